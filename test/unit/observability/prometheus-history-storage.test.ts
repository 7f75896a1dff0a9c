import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { HistoricalLogProcessor } from '../../../src/history/historical-log-processor.js';
import { PrometheusExporter } from '../../../src/observability/prometheus.js';
import { ManualClock } from '../../../src/testing.js';

const BASE = {
  logged: 0,
  queueDepth: 0,
  bufferedBytes: 0,
  oldestUnflushedAgeMs: 0,
  written: 0,
  successfulWrites: 0,
  failedWrites: 0,
  rejected: 0,
  dropped: 0,
  spooled: 0,
  replayed: 0,
  spoolPendingRows: 0,
  truncated: 0,
  redactionFailures: 0,
  writeLatencyMs: { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
  failureRate: 0,
};

/** A log processor fake with the history storage report of the shared contract. */
function processor(storage: unknown, measure?: () => Promise<unknown>) {
  return { metrics: () => ({ ...BASE, storage }), ...(measure && { storage: measure }) } as unknown as Pick<
    HistoricalLogProcessor,
    'metrics'
  >;
}

describe('history storage gauges', () => {
  it('publish table bytes, index bytes, rows and oldest row age per table or partition', async () => {
    const clock = new ManualClock();
    const oldestAt = new Date(clock.now() - 3_600_000);
    const exporter = new PrometheusExporter({
      register: new Registry(),
      clock,
      logProcessor: processor({
        measuredAt: new Date(),
        totalBytes: 3000,
        parts: [
          {
            table: 'inference_logs',
            partition: 'inference_logs_2026_11',
            tableBytes: 2000,
            indexBytes: 500,
            rows: 42,
            oldestAt,
          },
          {
            table: 'inference_logs',
            partition: null,
            tableBytes: 0,
            indexBytes: 500,
            rows: 0,
            oldestAt: null,
          },
        ],
      }),
    });
    const text = await exporter.metrics();
    expect(text).toMatch(
      /^mms_history_storage_table_bytes\{table="inference_logs",partition="inference_logs_2026_11"\} 2000$/m,
    );
    expect(text).toMatch(/^mms_history_storage_index_bytes\{table="inference_logs",partition=""\} 500$/m);
    expect(text).toMatch(
      /^mms_history_storage_rows\{table="inference_logs",partition="inference_logs_2026_11"\} 42$/m,
    );
    const age = Number(
      text.match(/^mms_history_storage_oldest_row_age_seconds\{[^}]*2026_11"\} (\S+)$/m)?.[1],
    );
    expect(age).toBe(3600); // the exporter's clock, not the wall clock
    // No age for a part without rows.
    expect(text).not.toMatch(/^mms_history_storage_oldest_row_age_seconds\{[^}]*partition=""\}/m);
  });

  it('tolerate a processor without a storage report, and ask for a measurement once in the background', async () => {
    let asked = 0;
    const exporter = new PrometheusExporter({
      register: new Registry(),
      logProcessor: processor(null, async () => {
        asked++;
        return null;
      }),
    });
    for (let i = 0; i < 3; i++) {
      const text = await exporter.metrics();
      expect(text).toMatch(/^# TYPE mms_history_storage_table_bytes gauge$/m);
      expect(text).not.toMatch(/^mms_history_storage_table_bytes\{/m);
    }
    expect(asked).toBe(1);
    const without = new PrometheusExporter({ register: new Registry(), logProcessor: processor(undefined) });
    expect(await without.metrics()).toMatch(/^mms_history_queue_capacity 100000$/m);
  });
});
