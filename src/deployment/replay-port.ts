/**
 * Replay from history, as the deployment part sees it: the manager validates, judges and stores; the
 * prompts are read and sent to the candidate by a {@link ReplayPort} injected from above (the LLM client
 * is an integration above this part, so the part never imports it; `createHistoryReplayer` in
 * `coordination/` is the SDK's implementation).
 * @module
 */
import type { Model } from './registry-port.js';
import type { ArmOutcome } from './shadow-judge.js';

/** What the manager asks a replayer for. */
export interface ReplayRequest {
  readonly useCase: string;
  /** The model whose historic answers are compared with (the use case's current model). */
  readonly stableModel: Model;
  readonly candidateModel: Model;
  /** Inclusive start of the history range. */
  readonly from: Date;
  /** Exclusive end of the history range. */
  readonly to: Date;
  /** Prompts to replay at most (a uniform sample of the reusable rows). */
  readonly sample: number;
  /** Candidate calls in flight at most. */
  readonly concurrency: number;
  readonly signal?: AbortSignal | undefined;
}

/** One replayed prompt: what the previous model did then, what the candidate does now. */
export interface ReplayedPair {
  readonly stable: ArmOutcome;
  readonly candidate: ArmOutcome;
}

/** What a replayer found and did. */
export interface ReplayPairs {
  readonly pairs: readonly ReplayedPair[];
  /** History rows of the stable model read in the range. */
  readonly scanned: number;
  /** Rows whose text may not be reused (blocked, truncated, redaction failed, not player traffic). */
  readonly skipped: number;
}

/** Reads reusable historic prompts and replays them to the candidate. */
export type ReplayPort = (request: ReplayRequest) => Promise<ReplayPairs>;
