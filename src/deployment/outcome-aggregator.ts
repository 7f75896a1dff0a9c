import { ValidationError } from '../errors.js';
import { HISTOGRAM_BOUNDS_MS, Histogram } from '../internal/histogram.js';
import { describe } from '../internal/validate.js';
import type { MetricUpsert } from './deployment-store.js';
import type { Variant } from './judge.js';

/** One request's outcome, reported by the caller after it used a routed model. */
export interface OutcomeInput {
  /** `deploymentId` from the route decision. */
  deploymentId: string;
  /** `variant` from the route decision. */
  variant: Variant;
  /** False when the request failed (provider error, timeout…). */
  ok: boolean;
  /** End-to-end latency in ms. */
  latencyMs: number;
  /** Number of guardrail violations in the response. @default 0 */
  violations?: number;
  /** Number of critical guardrail violations. @default 0 */
  criticalViolations?: number;
  /** True when fallback content was served instead of the model's answer. @default false */
  fallback?: boolean;
}

/**
 * Cumulative outcomes of one arm of one deployment on this replica since it started (never reset, so
 * an exporter can publish them as counters; the fleet total is the sum over replicas).
 */
export interface ArmTotals {
  readonly deploymentId: string;
  readonly variant: Variant;
  requests: number;
  errors: number;
  violations: number;
  criticalViolations: number;
  fallbacks: number;
  /** Latency of every request, ms. */
  readonly latency: Histogram;
}

/** Arms whose totals are kept after their deployment stopped receiving traffic (oldest forgotten first). */
const MAX_ARM_TOTALS = 64;

interface Cell {
  deploymentId: string;
  variant: Variant;
  windowStart: number;
  requests: number;
  errors: number;
  violations: number;
  criticalViolations: number;
  fallbacks: number;
  latency: Histogram;
  dirty: boolean;
  totals: ArmTotals;
}

/**
 * In-memory windowed counters, one cell per (deployment, arm, window). `drain()` returns the dirty
 * cells as absolute values (this replica's rows are replaced, so a retried flush never double counts)
 * and forgets windows that are complete and written.
 * @internal
 */
export class OutcomeAggregator {
  private readonly cells = new Map<string, Cell>();
  private readonly totals = new Map<string, ArmTotals>();

  constructor(
    private readonly replicaId: string,
    private readonly windowMs: number,
  ) {}

  /** Adds one outcome at time `now`. */
  record(o: OutcomeInput, now: number): void {
    const windowStart = now - (now % this.windowMs);
    const key = `${o.deploymentId}|${o.variant}|${windowStart}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = {
        deploymentId: o.deploymentId,
        variant: o.variant,
        windowStart,
        requests: 0,
        errors: 0,
        violations: 0,
        criticalViolations: 0,
        fallbacks: 0,
        latency: new Histogram(),
        dirty: true,
        totals: this.armTotals(o.deploymentId, o.variant),
      };
      this.cells.set(key, cell);
    }
    const t = cell.totals;
    cell.requests++;
    t.requests++;
    if (!o.ok) {
      cell.errors++;
      t.errors++;
    }
    if ((o.violations ?? 0) > 0) {
      cell.violations++;
      t.violations++;
    }
    if ((o.criticalViolations ?? 0) > 0) {
      cell.criticalViolations++;
      t.criticalViolations++;
    }
    if (o.fallback) {
      cell.fallbacks++;
      t.fallbacks++;
    }
    cell.latency.record(o.latencyMs);
    t.latency.record(o.latencyMs);
    cell.dirty = true;
  }

  /** Cumulative per-arm outcomes of this replica (the most recent {@link MAX_ARM_TOTALS} arms). */
  armTotals(): readonly ArmTotals[];
  armTotals(deploymentId: string, variant: Variant): ArmTotals;
  armTotals(deploymentId?: string, variant?: Variant): ArmTotals | readonly ArmTotals[] {
    if (deploymentId === undefined || variant === undefined) return [...this.totals.values()];
    const key = `${deploymentId}|${variant}`;
    let t = this.totals.get(key);
    if (!t) {
      if (this.totals.size >= MAX_ARM_TOTALS) this.totals.delete(this.totals.keys().next().value as string);
      t = {
        deploymentId,
        variant,
        requests: 0,
        errors: 0,
        violations: 0,
        criticalViolations: 0,
        fallbacks: 0,
        latency: new Histogram(),
      };
      this.totals.set(key, t);
    }
    return t;
  }

  /** Number of cells waiting to be written. */
  get pending(): number {
    let n = 0;
    for (const c of this.cells.values()) if (c.dirty) n++;
    return n;
  }

  /** Dirty cells to write; call `written(rows, now)` after a successful write. */
  drain(): MetricUpsert[] {
    const out: MetricUpsert[] = [];
    for (const c of this.cells.values()) {
      if (!c.dirty) continue;
      out.push({
        deploymentId: c.deploymentId,
        variant: c.variant,
        replicaId: this.replicaId,
        windowStart: c.windowStart,
        requests: c.requests,
        errors: c.errors,
        violations: c.violations,
        criticalViolations: c.criticalViolations,
        fallbacks: c.fallbacks,
        latencySum: c.latency.sum,
        latencyCounts: [...c.latency.counts],
      });
    }
    return out;
  }

  /** Marks rows as persisted (unless they changed since) and drops finished, clean windows. */
  written(rows: readonly MetricUpsert[], now: number): void {
    for (const r of rows) {
      const key = `${r.deploymentId}|${r.variant}|${r.windowStart}`;
      const c = this.cells.get(key);
      if (c && c.requests === r.requests) c.dirty = false;
    }
    for (const [key, c] of this.cells) {
      if (!c.dirty && c.windowStart + this.windowMs <= now) this.cells.delete(key);
    }
  }

  /** Bucket count of the latency histograms (for reading rows back). */
  static get bucketCount(): number {
    return HISTOGRAM_BOUNDS_MS.length + 1;
  }
}

/** Throws a `ValidationError` naming the field unless `outcome` is a well-formed outcome. @internal */
export function validateOutcome(outcome: OutcomeInput): void {
  if (typeof outcome?.deploymentId !== 'string' || outcome.deploymentId === '') {
    throw new ValidationError(
      `Expected \`deploymentId\` to be a deployment id, got ${describe(outcome?.deploymentId)}`,
      {
        field: 'deploymentId',
      },
    );
  }
  if (outcome.variant !== 'stable' && outcome.variant !== 'candidate') {
    throw new ValidationError(
      `Expected \`variant\` to be 'stable' or 'candidate', got ${describe(outcome.variant)}`,
      {
        field: 'variant',
      },
    );
  }
  if (typeof outcome.latencyMs !== 'number' || !Number.isFinite(outcome.latencyMs) || outcome.latencyMs < 0) {
    throw new ValidationError(
      `Expected \`latencyMs\` to be a non-negative number, got ${describe(outcome.latencyMs)}`,
      {
        field: 'latencyMs',
      },
    );
  }
}
