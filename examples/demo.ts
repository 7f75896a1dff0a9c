/**
 * `npm run demo`: a game backend in miniature, on the embedded PGlite, in well under a minute.
 *
 * 1. Models for three use cases, served by the built-in `simulated` provider.
 * 2. A BAD interaction_layer candidate (flaky, slow, sometimes unsafe) is canaried with player traffic;
 *    the judge sees it is worse than the current model and rolls it back by itself.
 * 3. A GOOD foundation_layer candidate is promoted blue-green.
 * 4. NPC dialogue through the NarrativeGenerator; one unsafe answer is replaced by authored fallback content.
 * 5. The timelines and a summary table, health() and a few metrics.
 * 6. The rollout report of the canary (self-contained HTML, as `mms report` writes it); its path is printed last.
 *
 * Time runs on a ManualClock: the rollout plan counts simulated seconds, and every time the coordinator
 * waits, the demo sends a wave of player requests and moves the clock one poll forward.
 * Exit code 0 only when the bad model was rolled back and the good one promoted (CI runs it as a smoke test).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderReportHtml } from '../src/cli/report-html.js';
import {
  type CoordinationResult,
  createModelManagement,
  formatTimeline,
  type NarrativeRequest,
} from '../src/index.js';
import { ManualClock } from '../src/testing.js';
import { FAST_PLAN, POLL_MS, playerTrafficOnEachWait, registerSimulated, section } from './support.js';

const USE_CASES = ['foundation_layer', 'interaction_layer', 'customization_layer'] as const;
const started = performance.now();
const clock = new ManualClock();

const mm = await createModelManagement({
  db: { embedded: {} }, // PGlite in memory: a real PostgreSQL in-process, nothing to install
  clock,
  // The coordinator drives the rollouts (tick on each poll); compressed plan so it takes simulated minutes.
  deploymentManager: { drive: false, plan: FAST_PLAN },
  // 2 of 3 smoke prompts must pass: the flaky candidate gets into the canary, where the judge catches it.
  serviceCoordinator: { pollIntervalMs: POLL_MS, smokeMinPassRate: 2 / 3 },
  // One quick retry, so the bad model's failures show up in the figures instead of being retried away.
  llmClient: { retry: { retries: 1, minTimeoutMs: 5, maxTimeoutMs: 20 } },
});

let failed = false;
try {
  section('1. Models registered for three use cases (simulated provider)');
  const current: Record<string, string> = {};
  const layers: Record<(typeof USE_CASES)[number], Record<string, number | string>> = {
    foundation_layer: {},
    // The live dialogue model is good but not perfect: about 3 % of its answers are unsafe.
    interaction_layer: { unsafeRate: 0.03 },
    customization_layer: {},
  };
  for (const useCase of USE_CASES) {
    const name = useCase.replace('_layer', '-model');
    const id = await registerSimulated(mm, {
      useCase,
      modelName: name,
      version: '1.0',
      configuration: layers[useCase],
    });
    await mm.modelRegistry.updateModelStatus(id, 'current', { reason: 'initial model' });
    current[useCase] = id;
    console.log(`  ${useCase.padEnd(20)} ${name} 1.0 is current (${id})`);
  }

  // Player traffic for every layer on each coordinator poll; the deploying layer gets most of it.
  const traffic = playerTrafficOnEachWait(mm, clock, { useCases: USE_CASES, perPoll: 40 });

  section('2. Canary of a BAD interaction_layer candidate');
  const badId = await registerSimulated(mm, {
    useCase: 'interaction_layer',
    modelName: 'interaction-model',
    version: '2.0-rc1',
    // Fails 25 % of calls with HTTP 503, answers 15 ms slower, and 15 % of its answers are unsafe.
    configuration: { errorRate: 0.25, latencyMs: 15, unsafeRate: 0.15 },
  });
  console.log(`  candidate interaction-model 2.0-rc1 (${badId}): errorRate 25 %, +15 ms, unsafeRate 15 %`);
  const canary = await mm.serviceCoordinator.coordinateModelDeployment({
    newModelId: badId,
    currentModelId: current.interaction_layer ?? null,
    useCase: 'interaction_layer',
    strategy: 'canary',
    reason: 'demo: flaky candidate',
  });
  printResult(canary);
  console.log(
    '    (the judge compares candidate and current model on errors, violations, critical violations,',
  );
  console.log('     fallbacks and p95 latency; the first metric with enough evidence of harm rolls it back)');

  section('3. Blue-green of a GOOD foundation_layer candidate');
  const goodId = await registerSimulated(mm, {
    useCase: 'foundation_layer',
    modelName: 'foundation-model',
    version: '1.1',
  });
  console.log(`  candidate foundation-model 1.1 (${goodId})`);
  const blueGreen = await mm.serviceCoordinator.coordinateModelDeployment({
    newModelId: goodId,
    currentModelId: current.foundation_layer ?? null,
    useCase: 'foundation_layer',
    strategy: 'blue_green',
    reason: 'demo: better foundation model',
  });
  printResult(blueGreen);
  traffic.stop();
  console.log(
    `\n  player requests during the rollouts: ${traffic.sent()}, failed through every fallback: ${traffic.failed()}`,
  );

  section('4. NPC dialogue through the NarrativeGenerator (rating T)');
  const request = (turn: number): NarrativeRequest => ({
    kind: 'dialogue',
    scene: { id: 'village-gate', location: 'the village gate', conversationId: 'conv-gate-1' },
    characters: [{ id: 'npc-greta', name: 'Greta', persona: 'a weary gate guard' }],
    player: { id: 'player-7', name: 'Ayla' },
    tone: 'warm',
    rating: 'T',
    history: [{ speaker: 'Ayla', text: `Good evening (${turn})` }],
  });
  let fallbackShown = false;
  let modelLines = 0;
  for (let turn = 1; turn <= 80 && !fallbackShown; turn++) {
    const line = await mm.narrativeGenerator.generate(request(turn));
    if (line.source === 'fallback') {
      fallbackShown = true;
      const found = [...new Set(line.violations.map((v) => `${v.severity} ${v.category}`))].join(', ');
      console.log(
        `  turn ${turn}: the model's answer broke the guardrails (${found || line.fallbackReason})`,
      );
      console.log(`           Greta (authored fallback content): ${line.text}`);
    } else if (modelLines < 3) {
      modelLines++;
      console.log(`  turn ${turn}: Greta (model): "${line.text}"`);
    }
  }
  if (!fallbackShown) console.log('  (no unsafe answer came up in 80 turns)');

  section('5. Timelines');
  for (const [title, result] of [
    ['interaction_layer canary', canary],
    ['foundation_layer blue-green', blueGreen],
  ] as const) {
    console.log(`  ${title}: ${result.status}`);
    console.log(formatTimeline(result.timeline));
  }

  section('6. Summary');
  await mm.logProcessor.flush();
  await mm.guardrailsMonitor.flush();
  const rows: string[][] = [
    ['use case', 'current model', 'deployments', 'rollbacks', 'requests', 'violations'],
  ];
  for (const useCase of USE_CASES) {
    const model = await mm.modelRegistry.getCurrentModel(useCase);
    const deployments = await mm.deploymentManager.listDeployments({ useCase });
    const rollbacks = await mm.rollbackManager.listRollbacks({ useCase });
    const stats = await mm.logProcessor.stats({ useCase });
    const violations = mm.guardrailsMonitor.metrics({ useCase }).reduce((n, m) => n + m.violations, 0);
    rows.push([
      useCase,
      model ? `${model.modelName} ${model.version}` : '-',
      String(deployments.length),
      String(rollbacks.length),
      String(stats.count),
      String(violations),
    ]);
  }
  printTable(rows);

  const health = await mm.health();
  console.log(`\n  health(): ${health.status}`);
  for (const part of ['database', 'registry', 'history', 'deployments', 'guardrails'] as const) {
    const h = health[part];
    console.log(`    ${part.padEnd(12)} ${h.ok ? 'ok' : `needs attention: ${h.reasons.join('; ')}`}`);
  }
  const llm = mm.llmClient.metrics();
  const history = mm.logProcessor.metrics();
  const registry = mm.modelRegistry.metrics();
  console.log('\n  a few metrics():');
  console.log(
    `    llm        ${llm.requests} requests, p50 ${ms(llm.latency.p50)}, p99 ${ms(llm.latency.p99)}; ` +
      `${llm.retries} retries, ${llm.fallbacks} fallbacks, ${llm.blocked} answers blocked by guardrails, ` +
      `${llm.probes.total} smoke probes`,
  );
  console.log(
    `    registry   ${registry.lookups} lookups, p99 ${ms(registry.lookupLatencyMs.p99)}; ${registry.statusChanges} status changes`,
  );
  console.log(
    `    history    ${history.written} entries written in ${history.successfulWrites} batches, failure rate ${history.failureRate}`,
  );
  console.log(
    `    Prometheus ${(await mm.prometheus.metrics()).split('\n').length} lines of text exposition for /metrics`,
  );

  // The demo doubles as a smoke test.
  const badRolledBack =
    canary.status === 'rolled_back' &&
    (await mm.modelRegistry.getCurrentModel('interaction_layer'))?.id === current.interaction_layer;
  const goodPromoted =
    blueGreen.status === 'succeeded' &&
    (await mm.modelRegistry.getCurrentModel('foundation_layer'))?.id === goodId;
  section('Result');
  console.log(`  bad candidate rolled back by the judge: ${badRolledBack ? 'yes' : 'NO'}`);
  console.log(`  good candidate promoted blue-green:     ${goodPromoted ? 'yes' : 'NO'}`);
  console.log(`  guardrail fallback shown:               ${fallbackShown ? 'yes' : 'no'}`);
  console.log(`  wall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  failed = !badRolledBack || !goodPromoted;

  // The rollout report of the canary, as `mms report <id>` writes it: open it in a browser.
  if (canary.deploymentId) {
    const path = resolve(`rollout-report-${canary.deploymentId}.html`);
    await writeFile(path, await renderReportHtml(await mm.deploymentManager.report(canary.deploymentId)));
    console.log(`\n  rollout report of the canary: ${path}`);
  }
} finally {
  await mm.close();
}
process.exitCode = failed ? 1 : 0;

function printResult(r: CoordinationResult): void {
  const smoke = r.smoke ? `smoke ${r.smoke.passed}/${r.smoke.total}` : 'no smoke suite';
  console.log(`  → ${r.status} after ${(r.durationMs / 1000).toFixed(0)} s of simulated time (${smoke})`);
  console.log(`    ${r.reason}`);
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  rows.forEach((r, i) => {
    console.log(
      `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`,
    );
    if (i === 0) console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  });
}

function ms(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(value < 1 ? 3 : 1)} ms`;
}
