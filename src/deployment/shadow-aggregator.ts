import { validateOutcome } from './outcome-aggregator.js';
import { type ArmOutcome, addPair, emptyShadowWindow, type ShadowWindow } from './shadow-judge.js';

/** One shadowed request: what the previous model and the candidate did with the same prompt. */
export interface ShadowPairInput {
  /** The shadow deployment (`deploymentId` of the route decision / shadow target). */
  deploymentId: string;
  /** The answer the player got. */
  stable: ArmOutcome;
  /** The candidate's background answer (never shown to anyone). */
  candidate: ArmOutcome;
}

interface Cell {
  deploymentId: string;
  window: ShadowWindow;
  dirty: boolean;
}

/**
 * In-memory paired counters per (deployment, window), like `OutcomeAggregator` for outcomes: `drain()`
 * gives dirty windows as absolute values (a retried flush never double counts), `written()` forgets
 * finished, persisted windows.
 * @internal
 */
export class ShadowAggregator {
  private readonly cells = new Map<string, Cell>();

  constructor(private readonly windowMs: number) {}

  /** Adds one pair at time `now`. */
  record(p: ShadowPairInput, now: number): void {
    const windowStart = now - (now % this.windowMs);
    const key = `${p.deploymentId}|${windowStart}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { deploymentId: p.deploymentId, window: emptyShadowWindow(windowStart), dirty: true };
      this.cells.set(key, cell);
    }
    addPair(cell.window, p.stable, p.candidate);
    cell.dirty = true;
  }

  /** Dirty windows to write, as copies. */
  drain(): Array<{ deploymentId: string; window: ShadowWindow }> {
    const out: Array<{ deploymentId: string; window: ShadowWindow }> = [];
    for (const c of this.cells.values())
      if (c.dirty) out.push({ deploymentId: c.deploymentId, window: structuredClone(c.window) });
    return out;
  }

  /** Marks drained windows persisted (unless they changed since) and drops finished clean ones. */
  written(rows: ReadonlyArray<{ deploymentId: string; window: ShadowWindow }>, now: number): void {
    for (const r of rows) {
      const c = this.cells.get(`${r.deploymentId}|${r.window.windowStart}`);
      if (c && c.window.pairs === r.window.pairs) c.dirty = false;
    }
    for (const [key, c] of this.cells)
      if (!c.dirty && c.window.windowStart + this.windowMs <= now) this.cells.delete(key);
  }
}

/** Throws a `ValidationError` naming the field unless `pair` is a well-formed shadow pair. @internal */
export function validateShadowPair(pair: ShadowPairInput): void {
  for (const arm of ['stable', 'candidate'] as const) {
    validateOutcome({
      deploymentId: pair?.deploymentId,
      variant: arm,
      ...(pair?.[arm] ?? { ok: false, latencyMs: Number.NaN }),
    });
  }
}
