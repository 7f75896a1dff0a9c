import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/backends.js';

const CHILD = new URL('../fixtures/history/export-heap.ts', import.meta.url).pathname;
const ROWS = 50_000;
// 50,000 rows of ~1.7 KB need ~25 s to load into PGlite on 2 cores; PostgreSQL when CI provides it.
const backend = TEST_DATABASE_URL ? 'postgres' : 'pglite';

describe('exportDataset over 50,000 rows', () => {
  it(`streams page by page on ${backend}: live heap stays flat while ~85 MB of JSONL flows through`, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', CHILD, backend, String(ROWS)],
      { env: process.env, maxBuffer: 1024 * 1024 },
    );
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      lines: number;
      bytes: number;
      before: number;
      peak: number;
      after: number;
    };
    const mb = (n: number) => n / 1024 / 1024;
    console.log(
      `[history export ${backend}] ${r.lines} lines, ${(r.bytes / 1e6).toFixed(1)} MB streamed; live heap before ${mb(r.before).toFixed(1)} MB, ` +
        `peak ${mb(r.peak).toFixed(1)} MB, after ${mb(r.after).toFixed(1)} MB`,
    );
    expect(r.lines).toBe(ROWS);
    expect(r.bytes).toBeGreaterThan(80e6);
    // Holding the export in memory would add > 85 MB; paging keeps the live heap within a few pages.
    expect(mb(r.peak - r.before)).toBeLessThan(10);
    expect(mb(r.after - r.before)).toBeLessThan(5);
  }, 120_000);
});
