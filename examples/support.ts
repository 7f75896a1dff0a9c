/**
 * Small helpers shared by the examples: section headers, registering simulated models, and player
 * traffic that keeps a rollout on a ManualClock moving. Nothing here is part of the SDK.
 */
import type { ManualClock, ModelManagement } from '../src/index.js';

/** Prints a section header. */
export function section(title: string): void {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(3, 74 - title.length))}`);
}

/** Registers a model served by the built-in `simulated` provider (no network, deterministic). */
export async function registerSimulated(
  mm: ModelManagement,
  input: { useCase: string; modelName: string; version: string; configuration?: Record<string, unknown> },
): Promise<string> {
  const model = await mm.registry.registerModel({
    modelName: input.modelName,
    modelType: 'self_hosted',
    provider: 'simulated',
    useCase: input.useCase,
    version: input.version,
    configuration: {
      endpoint: `http://simulated.invalid/${input.modelName}`,
      seed: `${input.modelName}@${input.version}`,
      ...(input.configuration as Record<string, string | number>),
    },
  });
  return model.id;
}

/**
 * A studio blocklist of threats against the player. The built-in term lists cover profanity, slurs,
 * sexual content and self-harm, but not threats, which is what the simulated provider's unsafe answer is.
 */
export const THREAT_TERMS = [
  { category: 'violence', severity: 'critical', terms: ['kill you', 'find where you live'] },
] as const;

/** Compressed rollout plan so examples finish in seconds of simulated time (the default is 5→25→50→100, ≥ 2 min and ≥ 500 requests per step). */
export const FAST_PLAN = {
  steps: [10, 50, 100],
  stepMinDurationMs: 20_000,
  stepMinSamples: 30,
  rollbackWindowMs: 30_000,
};

/** How far the ManualClock moves per coordinator poll. */
export const POLL_MS = 5_000;

/**
 * Each time the coordinator waits, sends `perPoll` player requests per use case through the real
 * LLMClient (in parallel batches), then moves the ManualClock one poll forward.
 * Returns a function that stops it.
 */
export function playerTrafficOnEachWait(
  mm: ModelManagement,
  clock: ManualClock,
  options: { useCases: readonly string[]; perPoll?: number; batch?: number },
): () => void {
  const perPoll = options.perPoll ?? 60;
  const batch = options.batch ?? 20;
  let request = 0;
  let stopped = false;
  const onWait = () => {
    void (async () => {
      try {
        for (const useCase of options.useCases) {
          for (let sent = 0; sent < perPoll; sent += batch) {
            await Promise.all(
              Array.from({ length: Math.min(batch, perPoll - sent) }, () => {
                request++;
                return mm.llm.generate({
                  useCase,
                  prompt: `Player ${request % 97} talks to an NPC (turn ${request})`,
                  stickyKey: `player-${request % 97}`,
                  playerId: `player-${request % 97}`,
                });
              }),
            );
          }
        }
      } catch (error) {
        // A request that fails through every fallback is part of what the judge measures; keep going.
        console.error(`  (traffic) ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        if (!stopped) clock.advance(POLL_MS);
      }
    })();
  };
  mm.coordinator.on('coordination:waiting', onWait);
  return () => {
    stopped = true;
    mm.coordinator.off('coordination:waiting', onWait);
  };
}
