/**
 * In-memory counters behind `GuardrailsMonitor.metrics()`, kept per model and use case.
 * @module
 */
import { Histogram, type HistogramSummary } from '../internal/histogram.js';
import type { CheckResult, Severity } from './types.js';

/** Metrics of one (model, use case) pair. */
export interface GuardrailsMetrics {
  readonly modelId: string | null;
  readonly useCase: string | null;
  readonly checks: number;
  /** Checks that found at least one violation. */
  readonly checksWithViolations: number;
  readonly violations: number;
  readonly violationsBySeverity: Readonly<Record<Severity, number>>;
  readonly violationsByCategory: Readonly<Record<string, number>>;
  readonly blocked: number;
  readonly fallbacks: number;
  /** blocked / checks (0 when no checks). */
  readonly blockedRate: number;
  /** fallbacks / checks (0 when no checks). */
  readonly fallbackRate: number;
  /** Custom checks that failed or timed out. */
  readonly checkFailures: number;
  readonly latencyMs: HistogramSummary;
  /** Raw histogram bucket counts (fixed bounds), so replicas can merge them. */
  readonly latencyBuckets: readonly number[];
}

interface Cell {
  modelId: string | null;
  useCase: string | null;
  checks: number;
  checksWithViolations: number;
  violations: number;
  bySeverity: Record<Severity, number>;
  byCategory: Record<string, number>;
  blocked: number;
  fallbacks: number;
  checkFailures: number;
  latency: Histogram;
}

/** Accumulates check results. */
export class MetricsCollector {
  private readonly cells = new Map<string, Cell>();

  record(modelId: string | undefined, useCase: string | undefined, result: CheckResult): void {
    const key = `${modelId ?? ''}\u0000${useCase ?? ''}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = {
        modelId: modelId ?? null,
        useCase: useCase ?? null,
        checks: 0,
        checksWithViolations: 0,
        violations: 0,
        bySeverity: { low: 0, medium: 0, high: 0, critical: 0 },
        byCategory: {},
        blocked: 0,
        fallbacks: 0,
        checkFailures: 0,
        latency: new Histogram(),
      };
      this.cells.set(key, cell);
    }
    cell.checks++;
    if (result.violations.length) cell.checksWithViolations++;
    for (const v of result.violations) {
      cell.violations++;
      cell.bySeverity[v.severity]++;
      cell.byCategory[v.category] = (cell.byCategory[v.category] ?? 0) + 1;
    }
    if (result.action === 'block') cell.blocked++;
    if (result.fallbackUsed) cell.fallbacks++;
    cell.checkFailures += result.failures.length;
    cell.latency.record(result.latencyMs);
  }

  snapshot(filter: { modelId?: string; useCase?: string } = {}): GuardrailsMetrics[] {
    const out: GuardrailsMetrics[] = [];
    for (const c of this.cells.values()) {
      if (filter.modelId !== undefined && c.modelId !== filter.modelId) continue;
      if (filter.useCase !== undefined && c.useCase !== filter.useCase) continue;
      out.push({
        modelId: c.modelId,
        useCase: c.useCase,
        checks: c.checks,
        checksWithViolations: c.checksWithViolations,
        violations: c.violations,
        violationsBySeverity: { ...c.bySeverity },
        violationsByCategory: { ...c.byCategory },
        blocked: c.blocked,
        fallbacks: c.fallbacks,
        blockedRate: c.checks ? c.blocked / c.checks : 0,
        fallbackRate: c.checks ? c.fallbacks / c.checks : 0,
        checkFailures: c.checkFailures,
        latencyMs: c.latency.summary(),
        latencyBuckets: [...c.latency.counts],
      });
    }
    return out.sort(
      (a, b) =>
        (a.modelId ?? '').localeCompare(b.modelId ?? '') || (a.useCase ?? '').localeCompare(b.useCase ?? ''),
    );
  }

  reset(): void {
    this.cells.clear();
  }
}
