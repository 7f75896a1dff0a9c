import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../helpers/backends.js';
import { cliTestsCanRun, MMS_BIN, mmsJson, simulatedRollout } from '../helpers/cli.js';
import { requireTool } from '../helpers/system-tools.js';

const plan = fileURLToPath(new URL('../fixtures/cli/plan.json', import.meta.url));
const canRun = cliTestsCanRun() && requireTool('tmux');

// `mms deploy watch` in a real terminal (tmux) while another process drives a canary the judge rolls back.
describe.runIf(canRun)('mms deploy watch in a terminal (tmux)', { timeout: 180_000 }, () => {
  const schema = uniqueSchema('cliw');
  const socket = `mms-test-${randomBytes(4).toString('hex')}`; // our own tmux server, never the user's
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  // -J joins lines the terminal wrapped, so a long reason reads as the one line the view printed.
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'watch', '-S', '-100');

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(`/tmp/${schema}.jsonl`, { force: true });
    await dropSchema(schema);
  });

  async function waitFor(predicate: (text: string) => boolean, what: string, ms = 90_000): Promise<string> {
    const until = Date.now() + ms;
    for (;;) {
      const text = screen();
      if (predicate(text)) return text;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; screen:\n${text}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  it('redraws weight, arms and verdict in place and exits 1 when the canary rolls back', async () => {
    await mmsJson(schema, ['migrate']);
    const register = (version: string, configuration: object) =>
      mmsJson(schema, [
        ...['models', 'register', '--use-case', 'interaction_layer', '--name', 'interaction-model'],
        ...['--version', version, '--provider', 'simulated', '--type', 'self_hosted'],
        ...[
          '--config',
          JSON.stringify({ endpoint: `http://simulated.invalid/${version}`, ...configuration }),
        ],
      ]);
    const stable = await register('1.0', { unsafeRate: 0.03 });
    await mmsJson(schema, ['models', 'promote', stable.id as string]);
    const bad = await register('2.0-rc1', { errorRate: 0.25, latencyMs: 15, unsafeRate: 0.15 });
    const d = await mmsJson(schema, [
      ...['deploy', 'start', '--use-case', 'interaction_layer', '--model', bad.id as string],
      ...['--strategy', 'canary', '--plan', plan],
    ]);

    tmux(
      'new-session',
      '-d',
      '-s',
      'watch',
      '-x',
      '120',
      '-y',
      '50',
      '-e',
      `DATABASE_URL=${TEST_DATABASE_URL}`,
      'bash --norc --noprofile',
    );
    tmux(
      'send-keys',
      '-t',
      'watch',
      `${process.execPath} ${MMS_BIN} deploy watch ${d.id} --schema ${schema} --interval 200ms; echo "EXIT=$?"`,
      'Enter',
    );
    const first = await waitFor((t) => t.includes('status pending'), 'the first frame');
    expect(first).toContain(`deployment ${d.id}`);
    expect(first).toMatch(/interaction-model 1\.0 → interaction-model 2\.0-rc1/);

    // Another process plays the game backend: player traffic, the judge, the rollback.
    const driving = simulatedRollout(schema, ['drive', d.id as string], 250);
    const during = await waitFor((t) => /status progressing\s+weight 10%/.test(t), 'the canary at 10%');
    expect(during).toMatch(/steps \[10%\] → 50% → 100%/);
    expect(await driving).toBe('rolled_back');

    const end = await waitFor((t) => /EXIT=\d/.test(t), 'the command to exit');
    if (process.env.MMS_PRINT_SCREEN) console.log(end);
    expect(end).toMatch(/EXIT=1\b/);
    expect(end).toMatch(/status rolled_back\s+weight 0%/);
    expect(end).toMatch(/^arm\s+requests\s+errors\s+p95\s+violations\s+critical/m);
    expect(end).toMatch(/^stable\s+\d+/m);
    expect(end).toMatch(/^candidate\s+[1-9]\d*/m);
    expect(end).toMatch(/verdict: The canary rollout was rolled back \(automatic\)/);
    // The whole reason, not cut off: the breach and the baseline it was judged against (the holdback
    // names the previous model and its requests beside the candidate).
    expect(end).toMatch(
      new RegExp(
        `reason: Candidate .* is worse than (stable|the pre-switch baseline|its ceiling)\\b.*: evidence .* needed.* Baseline: previous model ${stable.id}, \\d+ requests served beside the candidate in the same windows`,
      ),
    );
    expect(end).toMatch(/breached/);
    // Redrawn in place: one frame on the screen (and in its scrollback), not a scrolling log.
    expect(end.split(`deployment ${d.id}`).length - 1).toBe(1);

    // Colour on a terminal only, and NO_COLOR turns it off (capture-pane -e keeps the escape codes).
    const coloured = () => tmux('capture-pane', '-p', '-e', '-t', 'watch');
    tmux('send-keys', '-t', 'watch', 'clear', 'Enter');
    tmux(
      'send-keys',
      '-t',
      'watch',
      `${process.execPath} ${MMS_BIN} status --schema ${schema}; echo "DONE=$?"`,
      'Enter',
    );
    await waitFor((t) => /DONE=0/.test(t), 'status in colour');
    expect(coloured()).toMatch(/\x1b\[[0-9;]*m\s*interaction_layer|interaction_layer\x1b\[/);
    tmux('send-keys', '-t', 'watch', 'clear', 'Enter');
    tmux(
      'send-keys',
      '-t',
      'watch',
      `NO_COLOR=1 ${process.execPath} ${MMS_BIN} status --schema ${schema}; echo "PLAIN=$?"`,
      'Enter',
    );
    await waitFor((t) => /PLAIN=0/.test(t), 'status without colour');
    const plain = coloured();
    expect(plain).toContain('interaction_layer');
    expect(plain.split('PLAIN=')[0]!.split('\n').slice(1).join('\n')).not.toMatch(/\x1b\[(?!0?m)[0-9;]*m/);

    // history export to a file draws a progress bar on the terminal.
    tmux('send-keys', '-t', 'watch', 'clear', 'Enter');
    const out = `/tmp/${schema}.jsonl`;
    tmux(
      'send-keys',
      '-t',
      'watch',
      `${process.execPath} ${MMS_BIN} history export --out ${out} --schema ${schema}; echo "EXPORT=$?"`,
      'Enter',
    );
    const exported = await waitFor((t) => /EXPORT=\d/.test(t), 'the export');
    expect(exported).toMatch(/\[█{30}\] 100%\s+[\d,]+ of ≤ [\d,]+ entries → \d+ examples/);
    expect(exported).toMatch(/\d+ examples written to .*\.jsonl/);
    expect(exported).toContain('EXPORT=0');
  }, 180_000);
});
