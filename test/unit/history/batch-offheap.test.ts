import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../../src/errors.js';
import { Batch } from '../../../src/internal/batch.js';
import { BatchWriter } from '../../../src/internal/batch-writer.js';

interface Row {
  id: number;
  text: string;
  nested: { a: number[]; b: string | null };
}

const row = (id: number): Row => ({
  id,
  text: `entry ${id} ✓ "quoted"\n`,
  nested: { a: [id, id + 1], b: id % 2 ? null : 'x' },
});

describe('Batch (off-heap encoding)', () => {
  it('round-trips rows through encoded bytes and keeps its length without decoding', () => {
    const rows = [row(1), row(2), row(3)];
    const b = new Batch(
      rows.map((r) => ({ ...r })),
      300,
      7,
    );
    b.encode();
    expect(b.length).toBe(3);
    expect(b.bytes).toBe(300);
    expect(b.rows).toEqual(rows);
    b.encode();
    expect(b.rows).toEqual(rows);
  });

  it('encodes rows as they are added, across many chunks and rows larger than a chunk, and decodes them in order', async () => {
    const big = (id: number): Row => ({ id, text: `é"\\${'ü✓'.repeat(40_000)}`, nested: { a: [], b: null } });
    const expected = Array.from({ length: 400 }, (_, i) => (i % 97 === 5 ? big(i) : row(i)));
    const b = Batch.offHeap<Row>(42);
    for (const r of expected) b.push(structuredClone(r), 10);
    expect(b.encoded).toBe(true);
    expect(b.length).toBe(400);
    expect(b.bytes).toBe(4000);
    expect(b.acceptedAt).toBe(42);
    expect(await b.decode()).toEqual(expected);
    expect(b.encoded).toBe(false);
    expect(b.rows).toEqual(expected);
  });

  it('decodes a large batch over several event-loop turns, and a synchronous read meanwhile gets every row', async () => {
    const expected = Array.from({ length: 2000 }, (_, i) => ({ ...row(i), text: 'x'.repeat(200) }));
    const b = Batch.offHeap<Row>(0);
    for (const r of expected) b.push(r, 1);
    const decoding = b.decode();
    await new Promise((r) => setImmediate(r));
    expect(b.encoded).toBe(true); // still parsing, one chunk per turn
    expect(b.rows).toEqual(expected); // finishes the rest synchronously
    expect(await decoding).toBe(b.rows);
  });

  it('an empty off-heap batch decodes to no rows', async () => {
    expect(await Batch.offHeap<Row>(0).decode()).toEqual([]);
    expect(Batch.offHeap<Row>(0).rows).toEqual([]);
  });
});

describe('BatchWriter with offHeap', () => {
  it('stores every row once, in order, after an outage backed batches up behind the running writes', async () => {
    const stored: Row[] = [];
    let down = true;
    const w = new BatchWriter<Row>({
      write: async (rows) => {
        await new Promise((r) => setImmediate(r));
        if (down) throw new DatabaseUnavailableError('down');
        stored.push(...rows);
      },
      batchSize: 10,
      concurrency: 1,
      minRetryDelayMs: 1,
      maxRetryDelayMs: 5,
      offHeap: true,
    });
    for (let i = 0; i < 95; i++) w.add(row(i));
    await new Promise((r) => setTimeout(r, 20));
    expect(w.stats().buffered).toBe(95);
    down = false;
    await w.flush();
    expect(stored.map((r) => r.id)).toEqual(Array.from({ length: 95 }, (_, i) => i));
    expect(stored[4]).toEqual(row(4));
    await w.close();
  });

  it('starts writes in the order batches were cut when some wait off the heap (concurrency 2)', async () => {
    const starts: number[] = [];
    const stored: Row[] = [];
    let down = true;
    const w = new BatchWriter<Row>({
      write: async (rows) => {
        starts.push(rows[0]!.id);
        await new Promise((r) => setImmediate(r));
        if (down) throw new DatabaseUnavailableError('down');
        stored.push(...rows);
      },
      batchSize: 300,
      concurrency: 2,
      minRetryDelayMs: 1,
      maxRetryDelayMs: 2,
      offHeap: true,
    });
    const rows = Array.from({ length: 3000 }, (_, i) => ({ ...row(i), text: 'y'.repeat(300) }));
    for (const r of rows) w.add(r);
    await new Promise((r) => setTimeout(r, 10));
    down = false;
    await w.flush();
    expect([...stored].sort((a, b) => a.id - b.id)).toEqual(rows);
    expect(stored.length).toBe(3000);
    // First attempts of the batches: in the order they were cut.
    const firsts = [...new Set(starts)];
    expect(firsts).toEqual(Array.from({ length: 10 }, (_, i) => i * 300));
    await w.close();
  });
});
