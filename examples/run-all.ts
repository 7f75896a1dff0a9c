/**
 * Runs every example as a child process with `npx tsx` and prints each one's duration and status.
 * Exits non-zero if any failed. CI runs it (`.ci/run`).
 *
 *   npx tsx examples/run-all.ts                # the demo alone, then the others two at a time
 *   npx tsx examples/run-all.ts --sequential   # strictly one after the other
 *
 * The demo runs alone so its own time (< 60 s) is measured undisturbed. Most of an example's time is
 * starting tsx and the embedded PGlite (CPU-bound), so two at a time roughly halves the total on a
 * 2-core machine, and more so on a machine busy with other work. Output is printed per example, in order.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NOT_EXAMPLES = new Set(['run-all.ts', 'support.ts']);
const TIMEOUT_MS = 120_000;
/** Servers run in their self-test mode: start, call their own routes, exit. */
const ARGS: Readonly<Record<string, string[]>> = { 'http-service.ts': ['--self-test'] };

const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !NOT_EXAMPLES.has(f))
  .sort((a, b) => (a === 'demo.ts' ? -1 : b === 'demo.ts' ? 1 : a.localeCompare(b)));

function run(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', join('examples', file), ...(ARGS[file] ?? [])], {
      cwd: join(here, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d;
    });
    const timer = setTimeout(() => {
      output += `\n(killed after ${TIMEOUT_MS / 1000} s)`;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const jobs = process.argv.includes('--sequential') ? 1 : 2;
const results: Array<{ file: string; ok: boolean; seconds: number }> = [];
const started = performance.now();

async function timed(file: string) {
  const t0 = performance.now();
  const { code, output } = await run(file);
  return { file, ok: code === 0, seconds: (performance.now() - t0) / 1000, output };
}

function report(r: Awaited<ReturnType<typeof timed>>): void {
  results.push(r);
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.file.padEnd(30)} ${r.seconds.toFixed(1).padStart(5)} s`);
  if (!r.ok) console.log(r.output.replace(/^/gm, '     | '));
}

const [first, ...rest] = files;
if (first) report(await timed(first));
// The rest `jobs` at a time; each is reported in file order once it (and those before it) finished.
let running = 0;
const waiting: Array<() => void> = [];
const slot = async () => {
  while (running >= jobs) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
};
const release = () => {
  running--;
  waiting.shift()?.();
};
const tasks = rest.map(async (file) => {
  await slot();
  try {
    return await timed(file);
  } finally {
    release();
  }
});
for (const task of tasks) report(await task);
const failed = results.filter((r) => !r.ok);
console.log(
  `\n${results.length - failed.length} passed, ${failed.length} failed, ${((performance.now() - started) / 1000).toFixed(1)} s in all`,
);
process.exitCode = failed.length > 0 ? 1 : 0;
