/**
 * Scrape-time metrics of the registry, the log processor, the guardrails monitor and the LLM client,
 * read from each part's `metrics()` (their own cumulative counts).
 * @module
 */

import type { Registry } from 'prom-client';
import type { GuardrailsMonitor, Severity } from '../guardrails/index.js';
import type { HistoricalLogProcessor } from '../history/index.js';
import type { Clock } from '../internal/clock.js';
import type { LLMClient } from '../llm/index.js';
import type { ModelRegistry } from '../registry/index.js';
import {
  CollectedMetric,
  type CollectedType,
  FAST_BUCKETS_SECONDS,
  finite,
  histogramSamples,
  type Labels,
  PROMETHEUS_DB_CACHE_MS,
  REQUEST_BUCKETS_SECONDS,
  type Sample,
} from './prometheus-metric.js';

type Read = () => readonly Sample[] | Promise<readonly Sample[]>;

/** A registration helper bound to one registry and prefix. @internal */
export function metricFactory(register: Registry, prefix: string) {
  return (name: string, type: CollectedType, help: string, read: Read) =>
    new CollectedMetric(`${prefix}${name}`, help, type, read).registerInto(register);
}

const one = (value: number, labels: Labels = {}): Sample[] => [{ value: finite(value), labels }];

/** Registry: lookups, registrations, status changes, snapshot age and availability. @internal */
export function collectRegistry(
  register: Registry,
  prefix: string,
  registry: Pick<ModelRegistry, 'metrics'>,
): void {
  const add = metricFactory(register, prefix);
  const m = () => registry.metrics();
  add('registry_lookups_total', 'counter', 'Model lookups served by the registry (cached snapshot).', () =>
    one(m().lookups),
  );
  add('registry_lookup_duration_seconds', 'histogram', 'Duration of registry lookups.', () =>
    histogramSamples(
      `${prefix}registry_lookup_duration_seconds`,
      {},
      m().lookupLatencyMs,
      FAST_BUCKETS_SECONDS,
    ),
  );
  add('registry_registrations_total', 'counter', 'Model registrations by result (ok, failed).', () => {
    const r = m().registrations;
    return [...one(r.ok, { result: 'ok' }), ...one(r.failed, { result: 'failed' })];
  });
  add(
    'registry_status_changes_total',
    'counter',
    'Model lifecycle status changes made through this registry.',
    () => one(m().statusChanges),
  );
  add(
    'registry_snapshot_age_seconds',
    'gauge',
    'Age of the in-memory registry snapshot (time since it was last confirmed against the database).',
    () => {
      const age = m().snapshotAgeMs;
      return age === null ? [] : one(age / 1000);
    },
  );
  add(
    'registry_unavailable',
    'gauge',
    '1 while the registry cannot reach the database and serves its last snapshot, else 0.',
    () => one(m().unavailable ? 1 : 0),
  );
}

/** The history helper's storage report (shared contract), read defensively: it may not exist yet. */
interface StoragePart {
  table: string;
  partition: string | null;
  tableBytes: number;
  indexBytes: number;
  rows: number;
  oldestAt: Date | string | null;
}
interface StorageReport {
  parts: StoragePart[];
}
type StorageCapable = Pick<HistoricalLogProcessor, 'metrics'> & { storage?: () => Promise<unknown> };

/** Log processor: log and write counters, queue and spool states, write latency, storage usage. @internal */
export function collectHistory(
  register: Registry,
  prefix: string,
  processor: StorageCapable,
  capacity: number,
  clock: Clock,
): void {
  const add = metricFactory(register, prefix);
  const m = () => processor.metrics();
  const counters: Array<[string, string, (x: ReturnType<typeof m>) => number]> = [
    ['history_logged_total', 'Inferences handed to logInference().', (x) => x.logged],
    ['history_written_total', 'Log rows written to the database.', (x) => x.written],
    [
      'history_rejected_total',
      'Log rows the database refused for a non-retryable reason.',
      (x) => x.rejected,
    ],
    [
      'history_dropped_total',
      'Log entries lost (full buffer without spool, close timeout, spool failure).',
      (x) => x.dropped,
    ],
    [
      'history_spooled_total',
      'Log entries written to the on-disk spool while the database was away.',
      (x) => x.spooled,
    ],
    ['history_replayed_total', 'Spooled log entries replayed into the database.', (x) => x.replayed],
    ['history_truncated_total', 'Log entries with a text field cut to maxFieldBytes.', (x) => x.truncated],
    [
      'history_redaction_failures_total',
      'Times the redact hook threw (the field was stored as [redaction failed]).',
      (x) => x.redactionFailures,
    ],
  ];
  for (const [name, help, pick] of counters) add(name, 'counter', help, () => one(pick(m())));
  add(
    'history_write_batches_total',
    'counter',
    'Batch write attempts by result (ok, failed); failed ones are retried.',
    () => {
      const x = m();
      return [...one(x.successfulWrites, { result: 'ok' }), ...one(x.failedWrites, { result: 'failed' })];
    },
  );
  add('history_write_duration_seconds', 'histogram', 'Duration of batch writes of log rows.', () =>
    histogramSamples(
      `${prefix}history_write_duration_seconds`,
      {},
      m().writeLatencyMs,
      REQUEST_BUCKETS_SECONDS,
    ),
  );
  add('history_queue_depth', 'gauge', 'Log entries buffered in memory, waiting to be written.', () =>
    one(m().queueDepth),
  );
  add(
    'history_queue_capacity',
    'gauge',
    'Bound of the in-memory log buffer (maxBufferedEntries); beyond it entries spill or drop.',
    () => one(capacity),
  );
  add('history_buffered_bytes', 'gauge', 'Bytes of log entries buffered in memory.', () =>
    one(m().bufferedBytes),
  );
  add(
    'history_oldest_unflushed_age_seconds',
    'gauge',
    'Age of the oldest buffered log entry not yet written.',
    () => one(m().oldestUnflushedAgeMs / 1000),
  );
  add('history_spool_backlog_rows', 'gauge', 'Log entries in the on-disk spool waiting to be replayed.', () =>
    one(m().spoolPendingRows),
  );
  let measuring: Promise<unknown> | null = null;
  const storage = (): StorageReport | null => {
    const report = (m() as { storage?: StorageReport | null }).storage;
    if (report) return report;
    // Not measured yet: ask once in the background (the processor caches it), never on the scrape's time.
    if (!measuring && typeof processor.storage === 'function') {
      measuring = processor
        .storage()
        .catch(() => {})
        .finally(() => {
          setTimeout(() => {
            measuring = null;
          }, 60_000).unref?.();
        });
    }
    return null;
  };
  const perPart = (value: (p: StoragePart) => number | null): Sample[] =>
    (storage()?.parts ?? []).flatMap((p) => {
      const v = value(p);
      return v === null ? [] : one(v, { table: p.table, partition: p.partition ?? '' });
    });
  add(
    'history_storage_table_bytes',
    'gauge',
    'Bytes of log table data per table or partition (measured at most once a minute).',
    () => perPart((p) => p.tableBytes),
  );
  add('history_storage_index_bytes', 'gauge', 'Bytes of log table indexes per table or partition.', () =>
    perPart((p) => p.indexBytes),
  );
  add('history_storage_rows', 'gauge', 'Rows per log table or partition (estimate).', () =>
    perPart((p) => p.rows),
  );
  add(
    'history_storage_oldest_row_age_seconds',
    'gauge',
    'Age of the oldest row per log table or partition.',
    () =>
      perPart((p) => (p.oldestAt === null ? null : (clock.now() - new Date(p.oldestAt).getTime()) / 1000)),
  );
}

/** Guardrails: checks, violations by severity and category, actions, latency, review backlog. @internal */
export function collectGuardrails(
  register: Registry,
  prefix: string,
  monitor: Pick<GuardrailsMonitor, 'metrics' | 'reviews'>,
  modelLabel: (id: string | null) => string,
  clock: Clock,
): void {
  const add = metricFactory(register, prefix);
  const cells = () =>
    monitor
      .metrics()
      .map((c) => ({ c, labels: { use_case: c.useCase ?? 'none', model: modelLabel(c.modelId) } }));
  const counters: Array<[string, string, (c: ReturnType<GuardrailsMonitor['metrics']>[number]) => number]> = [
    ['guardrails_checks_total', 'Guardrail checks run, by use case and model.', (c) => c.checks],
    [
      'guardrails_checks_with_violations_total',
      'Guardrail checks that found at least one violation.',
      (c) => c.checksWithViolations,
    ],
    ['guardrails_blocked_total', 'Guardrail checks whose action was block.', (c) => c.blocked],
    ['guardrails_fallbacks_total', 'Guardrail checks that served fallback content.', (c) => c.fallbacks],
    ['guardrails_check_failures_total', 'Custom checks that threw or timed out.', (c) => c.checkFailures],
  ];
  for (const [name, help, pick] of counters) {
    add(name, 'counter', help, () => cells().flatMap(({ c, labels }) => one(pick(c), labels)));
  }
  add(
    'guardrails_violations_total',
    'counter',
    'Guardrail violations by severity (low, medium, high, critical).',
    () =>
      cells().flatMap(({ c, labels }) =>
        (Object.entries(c.violationsBySeverity) as Array<[Severity, number]>).flatMap(([severity, n]) =>
          one(n, { ...labels, severity }),
        ),
      ),
  );
  add(
    'guardrails_category_violations_total',
    'counter',
    'Guardrail violations by category (toxicity, pii, …).',
    () =>
      cells().flatMap(({ c, labels }) =>
        Object.entries(c.violationsByCategory).flatMap(([category, n]) => one(n, { ...labels, category })),
      ),
  );
  add('guardrails_check_duration_seconds', 'histogram', 'Duration of guardrail checks.', () =>
    cells().flatMap(({ c, labels }) =>
      histogramSamples(
        `${prefix}guardrails_check_duration_seconds`,
        labels,
        {
          count: c.checks,
          sum: c.latencyMs.sum ?? c.latencyMs.mean * c.latencyMs.count,
          buckets: c.latencyBuckets,
        },
        FAST_BUCKETS_SECONDS,
      ),
    ),
  );
  let pending: { at: number; value: Promise<Record<Severity, number> | null> } | null = null;
  add(
    'guardrails_reviews_pending',
    'gauge',
    'Stored violations waiting for a reviewer, by severity (the whole fleet: read from the database, cached 30 s).',
    async () => {
      if (!pending || clock.now() - pending.at > PROMETHEUS_DB_CACHE_MS) {
        pending = {
          at: clock.now(),
          value: monitor.reviews.pendingBySeverity().catch(() => null),
        };
      }
      const counts = await pending.value;
      if (!counts) return [];
      return (Object.entries(counts) as Array<[Severity, number]>).flatMap(([severity, n]) =>
        one(n, { severity }),
      );
    },
  );
}

/** LLM client: request counters, retries, fallbacks, dependency errors, circuits, registry outage. @internal */
export function collectLlm(register: Registry, prefix: string, llm: Pick<LLMClient, 'metrics'>): void {
  const add = metricFactory(register, prefix);
  const m = () => llm.metrics();
  add(
    'llm_requests_total',
    'counter',
    'Calls of generate() (kind=generate) and generateStream() (kind=stream).',
    () => {
      const x = m();
      return [...one(x.requests - x.streams, { kind: 'generate' }), ...one(x.streams, { kind: 'stream' })];
    },
  );
  add('llm_retries_total', 'counter', 'Provider attempts that failed and were retried.', () =>
    one(m().retries),
  );
  add(
    'llm_fallbacks_total',
    'counter',
    'Times a source failed and the next one in the fallback chain was tried.',
    () => one(m().fallbacks),
  );
  add('llm_blocked_total', 'counter', 'Prompts or answers blocked by guardrails.', () => one(m().blocked));
  add(
    'llm_registry_failures_total',
    'counter',
    'Registry lookups that failed inside the LLM client (served from fallback endpoints).',
    () => one(m().registry.failures),
  );
  add(
    'llm_registry_unavailable_seconds',
    'gauge',
    'How long the registry has been unavailable to the LLM client (0 when available).',
    () => one(m().registry.unavailableForMs / 1000),
  );
  add(
    'llm_dependency_errors_total',
    'counter',
    'Errors thrown by the router, log processor or guardrails during a request (the request went on).',
    () => Object.entries(m().dependencyErrors).flatMap(([dependency, n]) => one(n, { dependency })),
  );
  add('llm_probes_total', 'counter', 'Smoke-test probes of specific models by result (ok, failed).', () => {
    const p = m().probes;
    return [...one(p.total - p.failed, { result: 'ok' }), ...one(p.failed, { result: 'failed' })];
  });
  add(
    'llm_circuit_open',
    'gauge',
    '1 while the circuit breaker of a provider endpoint is open (calls fail fast), else 0.',
    () =>
      m().circuits.map((c) => ({
        value: c.state === 'open' ? 1 : 0,
        labels: { provider: c.provider, endpoint: c.endpoint },
      })),
  );
}
