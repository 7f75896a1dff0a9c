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
});
