/**
 * Small helpers shared by the examples: section headers, registering simulated models, and player
 * traffic that keeps a rollout on a ManualClock moving. Nothing here is part of the SDK.
 */
import {
  type CoordinationResult,
  createModelManagement,
  formatTimeline,
  type ModelManagement,
  type ModelManagementOptions,
} from '../src/index.js';
import { ManualClock } from '../src/testing.js';

/** Prints a section header. */
export function section(title: string): void {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(3, 74 - title.length))}`);
}

/** Registers a model served by the built-in `simulated` provider (no network, deterministic). */
export async function registerSimulated(
  mm: ModelManagement,
  input: { useCase: string; modelName: string; version: string; configuration?: Record<string, unknown> },
): Promise<string> {
  const model = await mm.modelRegistry.registerModel({
    modelName: input.modelName,
    modelType: 'self_hosted',
    provider: 'simulated',
    useCase: input.useCase,
    version: input.version,
    configuration: {
      endpoint: `http://simulated.invalid/${input.modelName}/${input.version}`,
      seed: `${input.modelName}@${input.version}`,
      ...(input.configuration as Record<string, string | number>),
    },
  });
  return model.id;
}

/** Compressed rollout plan so examples finish in seconds of simulated time (the default is 5→25→50→100, ≥ 2 min and ≥ 500 requests per step). */
export const FAST_PLAN = {
  steps: [10, 50, 100],
  stepMinDurationMs: 20_000,
  stepMinSamples: 30,
  rollbackWindowMs: 30_000,
};

/** One quick retry, so a bad model's failures show in the figures instead of being retried away (default: 2 retries from 100 ms). */
export const FAST_RETRY = { retry: { retries: 1, minTimeoutMs: 5, maxTimeoutMs: 20 } };

/** How far the ManualClock moves per coordinator poll. */
export const POLL_MS = 5_000;

/** Player traffic started by {@link playerTrafficOnEachWait}. */
export interface PlayerTraffic {
  /** Requests sent so far. */
  readonly sent: () => number;
  /** Requests that failed through every fallback (the player saw an error). */
  readonly failed: () => number;
  /** Stops sending traffic and moving the clock. */
  readonly stop: () => void;
}

/**
 * Each time the coordinator waits, sends `perPoll` player requests per use case through the real
 * LLMClient (in parallel batches), then moves the ManualClock one poll forward.
 */
export function playerTrafficOnEachWait(
  mm: ModelManagement,
  clock: ManualClock,
  options: { useCases: readonly string[]; perPoll?: number; batch?: number },
): PlayerTraffic {
  const perPoll = options.perPoll ?? 60;
  const batch = options.batch ?? 20;
  let sent = 0;
  let failed = 0;
  let stopped = false;
  const onWait = async () => {
    for (const useCase of options.useCases) {
      for (let n = 0; n < perPoll; n += batch) {
        const results = await Promise.allSettled(
          Array.from({ length: Math.min(batch, perPoll - n) }, () => {
            const player = `player-${++sent % 97}`;
            return mm.llmClient.generate({
              useCase,
              prompt: `${player} talks to an NPC (turn ${sent})`,
              stickyKey: player,
              playerId: player,
            });
          }),
        );
        failed += results.filter((r) => r.status === 'rejected').length;
      }
    }
    if (!stopped) clock.advance(POLL_MS);
  };
  const listener = () => void onWait();
  mm.serviceCoordinator.on('coordination:waiting', listener);
  return {
    sent: () => sent,
    failed: () => failed,
    stop: () => {
      stopped = true;
      mm.serviceCoordinator.off('coordination:waiting', listener);
    },
  };
}

/**
 * The deployment examples' setup: the SDK on the embedded PGlite with a ManualClock, the compressed
 * plan, one current model for `useCase`, and player traffic on each coordinator wait.
 */
export async function rolloutSandbox(
  useCase: string,
  options: Pick<ModelManagementOptions, 'serviceCoordinator'> = {},
): Promise<{ mm: ModelManagement; clock: ManualClock; currentModelId: string; traffic: PlayerTraffic }> {
  const clock = new ManualClock();
  const mm = await createModelManagement({
    db: { embedded: {} },
    clock,
    deploymentManager: { drive: false, plan: FAST_PLAN }, // the coordinator ticks the rollout on each poll
    serviceCoordinator: { pollIntervalMs: POLL_MS, ...options.serviceCoordinator },
    llmClient: FAST_RETRY,
  });
  const currentModelId = await registerSimulated(mm, {
    useCase,
    modelName: useCase.replace('_layer', '-model'),
    version: '1.0',
  });
  await mm.modelRegistry.updateModelStatus(currentModelId, 'current');
  const traffic = playerTrafficOnEachWait(mm, clock, { useCases: [useCase] });
  return { mm, clock, currentModelId, traffic };
}

/** Prints a coordination result and its timeline. */
export function printCoordination(result: CoordinationResult): void {
  console.log(
    `${result.status} in ${(result.durationMs / 1000).toFixed(0)} s of simulated time: ${result.reason}`,
  );
  console.log(formatTimeline(result.timeline));
}
