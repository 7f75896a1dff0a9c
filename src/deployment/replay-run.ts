/**
 * `DeploymentManager.replay()`: validation (nothing is read or written on bad input), the replay through
 * the injected port, the paired judgement and the stored comparison.
 * @module
 */
import { NotFoundError, ValidationError } from '../errors.js';
import { uuidv7 } from '../internal/ids.js';
import { describe, nonEmptyString, optionalSignal } from '../internal/validate.js';
import { checkId } from './deployment-input.js';
import type { AnalysisConfig } from './judge.js';
import type { DeploymentRegistry } from './registry-port.js';
import type { ReplayPort } from './replay-port.js';
import { addPair, emptyShadowWindow, judgeShadow, type ShadowWindow } from './shadow-judge.js';
import type { ReplayComparison, ShadowStore } from './shadow-store.js';

/** Input of `DeploymentManager.replay()`. */
export interface ReplayInput {
  useCase: string;
  /** A registered model of `useCase` other than its current one. */
  candidateModelId: string;
  /** Inclusive start of the history range. */
  from: Date;
  /** Exclusive end of the history range (after `from`). */
  to: Date;
  /** Prompts to replay (1–100 000). @default 500 */
  sample?: number;
  /** Candidate calls in flight at most (1–256). @default 8 */
  concurrency?: number;
  /** Stops the replay; nothing is stored. */
  signal?: AbortSignal;
  /** Recorded with the comparison. @default the manager's `actor` */
  actor?: string;
}

/** Defaults of {@link ReplayInput}. */
export const DEFAULT_REPLAY = { sample: 500, concurrency: 8 } as const;

/** Pairs per judged window: the latency threshold of a window comes from the windows before it. */
const PAIRS_PER_WINDOW = 50;

/** Validates, replays, judges and stores. @internal */
export async function runReplay(
  deps: {
    registry: DeploymentRegistry;
    replayer: ReplayPort | undefined;
    store: ShadowStore;
    analysis: AnalysisConfig;
    actor: string;
    now: () => number;
  },
  input: ReplayInput,
): Promise<ReplayComparison> {
  if (typeof input !== 'object' || input === null)
    throw new ValidationError(
      `Expected replay input such as { useCase, candidateModelId, from, to }, got ${describe(input)}`,
    );
  nonEmptyString(input.useCase, 'useCase');
  checkId(input.candidateModelId, 'model', 'candidateModelId');
  for (const f of ['from', 'to'] as const) {
    const v = input[f];
    if (!(v instanceof Date) || Number.isNaN(v.getTime()))
      throw new ValidationError(`Expected \`${f}\` to be a valid Date, got ${describe(v)}`, { field: f });
  }
  if (input.from.getTime() >= input.to.getTime())
    throw new ValidationError(
      `Expected \`from\` (${input.from.toISOString()}) to be before \`to\` (${input.to.toISOString()}): the range is empty`,
      { field: 'from' },
    );
  const sample = input.sample ?? DEFAULT_REPLAY.sample;
  const concurrency = input.concurrency ?? DEFAULT_REPLAY.concurrency;
  integerIn(sample, 'sample', 1, 100_000);
  integerIn(concurrency, 'concurrency', 1, 256);
  if (input.actor !== undefined) nonEmptyString(input.actor, 'actor');
  optionalSignal(input.signal);
  input.signal?.throwIfAborted(); // before any database access
  if (!deps.replayer)
    throw new ValidationError(
      'replay() needs a `replayer` (createModelManagement wires one from its LLM client and history)',
      { field: 'replayer' },
    );
  const candidate = await deps.registry.getModel(input.candidateModelId);
  if (candidate.useCase !== input.useCase)
    throw new ValidationError(
      `Model '${candidate.id}' serves use case '${candidate.useCase}', not '${input.useCase}'`,
      { field: 'candidateModelId' },
    );
  const stable = await deps.registry.getCurrentModel(input.useCase);
  if (!stable)
    throw new NotFoundError(
      `Use case '${input.useCase}' has no current model whose answers could be compared`,
      {
        details: { useCase: input.useCase },
      },
    );
  if (stable.id === candidate.id)
    throw new ValidationError(`Model '${candidate.id}' is already the current model of '${input.useCase}'`, {
      field: 'candidateModelId',
    });
  const startedAt = deps.now();
  const result = await deps.replayer({
    useCase: input.useCase,
    stableModel: stable,
    candidateModel: candidate,
    from: input.from,
    to: input.to,
    sample,
    concurrency,
    signal: input.signal,
  });
  input.signal?.throwIfAborted();
  if (result.pairs.length === 0)
    throw new NotFoundError(
      `No reusable prompts of model '${stable.id}' in use case '${input.useCase}' between ${input.from.toISOString()} and ${input.to.toISOString()} (${result.scanned} rows read, ${result.skipped} not reusable)`,
      { details: { useCase: input.useCase, scanned: result.scanned, skipped: result.skipped } },
    );
  const windows: ShadowWindow[] = [];
  result.pairs.forEach((p, i) => {
    if (i % PAIRS_PER_WINDOW === 0) windows.push(emptyShadowWindow(i));
    addPair(windows.at(-1)!, p.stable, p.candidate);
  });
  const now = deps.now();
  const verdict = judgeShadow({
    windows,
    startedAt,
    now,
    minPairs: sample,
    minDurationMs: 0,
    config: deps.analysis,
    baselineModelId: stable.id,
    source: `historic prompts from ${input.from.toISOString()} to ${input.to.toISOString()} replayed`,
  });
  const comparison: ReplayComparison = {
    id: uuidv7(),
    useCase: input.useCase,
    stableModelId: stable.id,
    candidateModelId: candidate.id,
    from: input.from,
    to: input.to,
    requestedSample: sample,
    pairs: result.pairs.length,
    scanned: result.scanned,
    skipped: result.skipped,
    verdict,
    actor: input.actor ?? deps.actor,
    createdAt: new Date(now),
  };
  await deps.store.insertReplay(comparison);
  return comparison;
}

function integerIn(v: unknown, field: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ValidationError(
      `Expected \`${field}\` to be an integer from ${min} to ${max}, got ${describe(v)}`,
      {
        field,
      },
    );
}
