import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, DatabaseError, DatabaseUnavailableError, ValidationError } from '../../../src/index.js';
import { BatchWriter, type BatchWriterEvent } from '../../../src/internal/batch-writer.js';
import { Spool } from '../../../src/internal/spool.js';
import { ManualClock } from '../../../src/testing.js';

interface Row {
  id: number;
  bad?: boolean;
}

/** A fake store: records rows, can be "down" (retryable) and rejects batches holding a bad row. */
function fakeStore() {
  const stored = new Map<number, number>();
  const state = { down: false, calls: 0, batchSizes: [] as number[] };
  const write = async (rows: readonly Row[]) => {
    state.calls++;
    await new Promise((r) => setImmediate(r));
    if (state.down) throw new DatabaseUnavailableError('down');
    if (rows.some((r) => r.bad)) throw new DatabaseError('bad row in batch');
    state.batchSizes.push(rows.length);
    for (const r of rows) stored.set(r.id, (stored.get(r.id) ?? 0) + 1);
  };
  return { stored, state, write };
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'mms-spool-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('BatchWriter', () => {
  it('writes full batches at batchSize and the rest on flush', async () => {
    const store = fakeStore();
    const w = new BatchWriter<Row>({ write: store.write, batchSize: 10, flushIntervalMs: 10_000 });
    for (let i = 0; i < 25; i++) expect(w.add({ id: i })).toBe(true);
    await w.flush();
    expect(store.stored.size).toBe(25);
    expect(store.state.batchSizes.sort((a, b) => a - b)).toEqual([5, 10, 10]);
    expect(w.stats()).toMatchObject({ accepted: 25, written: 25, buffered: 0, dropped: 0 });
    await w.close();
  });

  it('a full batch starts its write after add() returns, and a later partial batch is written flushIntervalMs after its first row', async () => {
    const clock = new ManualClock();
    const writes: number[][] = [];
    const w = new BatchWriter<Row>({
      write: async (rows) => {
        writes.push(rows.map((r) => r.id));
      },
      batchSize: 2,
      flushIntervalMs: 100,
      clock,
    });
    w.add({ id: 1 });
    w.add({ id: 2 }); // full: cut now, handed to the queue in a microtask
    w.add({ id: 3 });
    expect(writes).toEqual([]);
    expect(w.stats().buffered).toBe(3);
    await Promise.resolve();
    expect(writes).toEqual([[1, 2]]);
    clock.advance(60);
    w.add({ id: 4 }); // completes batch [3, 4]
    clock.advance(30);
    w.add({ id: 5 }); // first row of a new partial batch at t=90
    clock.advance(10); // t=100: the timer armed at t=0 fires, re-arms for t=190
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([
      [1, 2],
      [3, 4],
    ]);
    clock.advance(89);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(2);
    clock.advance(1); // t=190
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
    await w.close();
  });

  it('writes a partial batch after flushIntervalMs', async () => {
    const store = fakeStore();
    const w = new BatchWriter<Row>({ write: store.write, batchSize: 100, flushIntervalMs: 20 });
    w.add({ id: 1 });
    expect(store.state.calls).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(store.stored.get(1)).toBe(1);
    await w.close();
  });

  it('rejects invalid options with a ValidationError naming the field', () => {
    expect(() => new BatchWriter<Row>({ write: async () => {}, flushIntervalMs: -1 })).toThrow(
      /Expected `flushIntervalMs` to be a positive number, got -1/,
    );
    expect(() => new BatchWriter<Row>({ write: async () => {}, batchSize: 0 })).toThrow(ValidationError);
  });

  it('retries retryable failures with backoff until the store is back', async () => {
    const store = fakeStore();
    const events: BatchWriterEvent<Row>[] = [];
    const w = new BatchWriter<Row>({
      write: store.write,
      batchSize: 5,
      minRetryDelayMs: 5,
      maxRetryDelayMs: 20,
      onEvent: (e) => events.push(e),
    });
    store.state.down = true;
    for (let i = 0; i < 12; i++) w.add({ id: i });
    const flushed = w.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(store.stored.size).toBe(0);
    expect(w.stats().failedWrites).toBeGreaterThan(2);
    store.state.down = false;
    await flushed;
    expect([...store.stored.values()]).toEqual(new Array(12).fill(1));
    expect(events.some((e) => e.type === 'write_failed' && e.willRetry)).toBe(true);
    await w.close();
  });

  it('bisects a batch rejected for one bad row: good rows land, the bad one is reported once', async () => {
    const store = fakeStore();
    const events: BatchWriterEvent<Row>[] = [];
    const w = new BatchWriter<Row>({ write: store.write, batchSize: 64, onEvent: (e) => events.push(e) });
    for (let i = 0; i < 64; i++) w.add({ id: i, bad: i === 37 });
    await w.flush();
    expect(store.stored.size).toBe(63);
    expect(store.stored.has(37)).toBe(false);
    const rejected = events.filter((e) => e.type === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ row: { id: 37 } });
    expect(w.stats().rejected).toBe(1);
    // log2(64) levels of splitting, not endless retries
    expect(store.state.calls).toBeLessThan(20);
    await w.close();
  });

  it('without a spool, overflow drops the newest rows and counts exactly what was dropped', async () => {
    const store = fakeStore();
    store.state.down = true;
    const events: BatchWriterEvent<Row>[] = [];
    const w = new BatchWriter<Row>({
      write: store.write,
      batchSize: 10,
      maxBufferedEntries: 100,
      minRetryDelayMs: 5,
      maxRetryDelayMs: 10,
      onEvent: (e) => events.push(e),
    });
    let refused = 0;
    for (let i = 0; i < 250; i++) if (!w.add({ id: i })) refused++;
    expect(refused).toBe(150);
    expect(w.stats().buffered).toBe(100);
    store.state.down = false;
    await w.flush();
    const dropped = events
      .filter((e) => e.type === 'dropped')
      .reduce((n, e) => n + (e.type === 'dropped' ? e.count : 0), 0);
    expect(dropped).toBe(150);
    expect(w.stats().dropped).toBe(150);
    // the oldest 100 were kept
    expect([...store.stored.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await w.close();
  });

  it('bounds memory by bytes too', () => {
    const w = new BatchWriter<Row>({
      write: async () => {},
      maxBufferedBytes: 1000,
      sizeOf: () => 100,
      batchSize: 1000,
    });
    let ok = 0;
    for (let i = 0; i < 20; i++) if (w.add({ id: i })) ok++;
    expect(ok).toBe(10);
    expect(w.stats().bufferedBytes).toBe(1000);
  });

  it('close() stops intake and is idempotent', async () => {
    const store = fakeStore();
    const w = new BatchWriter<Row>({ write: store.write });
    w.add({ id: 1 });
    await Promise.all([w.close(), w.close()]);
    expect(store.stored.get(1)).toBe(1);
    expect(() => w.add({ id: 2 })).toThrow(ClosedError);
  });

  it('close() gives up after closeTimeoutMs when the store stays down and counts the loss', async () => {
    const store = fakeStore();
    store.state.down = true;
    const events: BatchWriterEvent<Row>[] = [];
    const w = new BatchWriter<Row>({
      write: store.write,
      closeTimeoutMs: 50,
      minRetryDelayMs: 5,
      maxRetryDelayMs: 10,
      onEvent: (e) => events.push(e),
    });
    for (let i = 0; i < 7; i++) w.add({ id: i });
    await w.close();
    expect(w.stats().dropped).toBe(7);
    expect(events).toContainEqual({ type: 'dropped', count: 7, reason: 'close_timeout' });
  });

  it('with a spool, failed batches go to disk and are replayed in order once the store is back', async () => {
    const dir = await tempDir();
    const store = fakeStore();
    const order: number[] = [];
    const write = async (rows: readonly Row[]) => {
      await store.write(rows);
      for (const r of rows) order.push(r.id);
    };
    store.state.down = true;
    const w = new BatchWriter<Row>({
      write,
      batchSize: 10,
      concurrency: 1,
      minRetryDelayMs: 5,
      maxRetryDelayMs: 20,
      attemptsBeforeSpill: 2,
      spool: new Spool<Row>({ dir, segmentBytes: 200 }),
    });
    for (let i = 0; i < 100; i++) w.add({ id: i });
    await w.flush(); // resolves with everything durable in the spool although the store is down
    expect(store.stored.size).toBe(0);
    expect(w.stats().mode).toBe('spooling');
    expect(w.stats().spooled).toBe(100);
    expect((await readdir(dir)).length).toBeGreaterThan(1); // rotated
    store.state.down = false;
    for (let i = 0; i < 20 && store.stored.size < 100; i++) await new Promise((r) => setTimeout(r, 50));
    expect(store.stored.size).toBe(100);
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(w.stats()).toMatchObject({ mode: 'direct', replayed: 100 });
    expect(await readdir(dir)).toEqual([]);
    await w.close();
  });

  it('with a spool, memory overflow spills instead of dropping', async () => {
    const dir = await tempDir();
    const store = fakeStore();
    store.state.down = true;
    const w = new BatchWriter<Row>({
      write: store.write,
      batchSize: 10,
      maxBufferedEntries: 20,
      minRetryDelayMs: 5,
      maxRetryDelayMs: 10,
      spool: new Spool<Row>({ dir }),
    });
    for (let i = 0; i < 200; i++) expect(w.add({ id: i })).toBe(true);
    expect(w.stats().buffered).toBeLessThanOrEqual(30);
    await w.flush();
    store.state.down = false;
    for (let i = 0; i < 40 && store.stored.size < 200; i++) await new Promise((r) => setTimeout(r, 50));
    expect(store.stored.size).toBe(200);
    expect(w.stats().dropped).toBe(0);
    await w.close();
  });

  it('a spool left by an earlier writer is replayed on the next start, and closing keeps unsent segments', async () => {
    const dir = await tempDir();
    const down = fakeStore();
    down.state.down = true;
    const first = new BatchWriter<Row>({
      write: down.write,
      minRetryDelayMs: 5,
      attemptsBeforeSpill: 1,
      spool: new Spool<Row>({ dir }),
    });
    for (let i = 0; i < 30; i++) first.add({ id: i });
    await first.flush();
    await first.close();
    expect((await readdir(dir)).length).toBeGreaterThan(0);

    const store = fakeStore();
    const second = new BatchWriter<Row>({ write: store.write, spool: new Spool<Row>({ dir }) });
    for (let i = 0; i < 40 && store.stored.size < 30; i++) await new Promise((r) => setTimeout(r, 25));
    expect([...store.stored.values()]).toEqual(new Array(30).fill(1));
    await second.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it('flush({ untilStored }) resolves only once the spool is replayed, and rejects with ClosedError if close() stops the replay', async () => {
    const store = fakeStore();
    const dir = await tempDir();
    const opts = {
      write: store.write,
      batchSize: 10,
      flushIntervalMs: 10_000,
      minRetryDelayMs: 1,
      maxRetryDelayMs: 5,
    };
    store.state.down = true;
    const w = new BatchWriter<Row>({ ...opts, attemptsBeforeSpill: 1, spool: new Spool<Row>({ dir }) });
    for (let i = 0; i < 25; i++) w.add({ id: i });
    await w.flush(); // durable in the spool
    expect(w.stats().spoolPendingRows).toBe(25);
    let settled = false;
    const stored = w.flush({ untilStored: true }).then(() => {
      settled = true;
    });
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2));
    expect(settled).toBe(false);
    store.state.down = false;
    await stored;
    expect(store.stored.size).toBe(25);
    expect(w.stats()).toMatchObject({ spoolPendingRows: 0, mode: 'direct' });
    store.state.down = true;
    for (let i = 25; i < 30; i++) w.add({ id: i });
    await w.flush();
    const stopped = w.flush({ untilStored: true });
    await w.close();
    await expect(stopped).rejects.toBeInstanceOf(ClosedError);
    expect(await readdir(dir)).not.toEqual([]); // left for the next start
  });
});
