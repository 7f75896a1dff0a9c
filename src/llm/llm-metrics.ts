import { Histogram, type HistogramSummary } from '../internal/histogram.js';
import type { EndpointCircuit } from './endpoint-caller.js';
import type { GenerateSource } from './llm-options.js';

/** Snapshot returned by `LLMClient.metrics()`. */
export interface LLMClientMetrics {
  /** Calls of `generate()` and `generateStream()`. */
  requests: number;
  streams: number;
  completed: number;
  failed: number;
  bySource: Record<GenerateSource, number>;
  retries: number;
  fallbacks: number;
  /** Prompts or answers blocked by guardrails. */
  blocked: number;
  registry: { failures: number; available: boolean; unavailableForMs: number };
  dependencyErrors: { router: number; logProcessor: number; guardrails: number };
  /** Calls of `probe()` (not player traffic: not in `requests`), and how many of them failed. */
  probes: { total: number; failed: number };
  /** End-to-end latency of completed calls, ms. */
  latency: HistogramSummary;
  circuits: EndpointCircuit[];
}

/** Mutable counters behind {@link LLMClientMetrics}. @internal */
export class LLMCounters {
  requests = 0;
  streams = 0;
  completed = 0;
  failed = 0;
  bySource: Record<GenerateSource, number> = { model: 0, fallback_endpoint: 0, fallback_content: 0 };
  retries = 0;
  fallbacks = 0;
  blocked = 0;
  registryFailures = 0;
  registryDownSince: number | null = null;
  dependencyErrors = { router: 0, logProcessor: 0, guardrails: 0 };
  probes = 0;
  probeFailures = 0;
  readonly latency = new Histogram();

  snapshot(nowMs: number, circuits: EndpointCircuit[]): LLMClientMetrics {
    return {
      requests: this.requests,
      streams: this.streams,
      completed: this.completed,
      failed: this.failed,
      bySource: { ...this.bySource },
      retries: this.retries,
      fallbacks: this.fallbacks,
      blocked: this.blocked,
      registry: {
        failures: this.registryFailures,
        available: this.registryDownSince === null,
        unavailableForMs: this.registryDownSince === null ? 0 : Math.max(0, nowMs - this.registryDownSince),
      },
      dependencyErrors: { ...this.dependencyErrors },
      probes: { total: this.probes, failed: this.probeFailures },
      latency: this.latency.summary(),
      circuits,
    };
  }
}
