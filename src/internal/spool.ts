import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from './clock.js';

/** Defaults of {@link SpoolOptions}. */
export const DEFAULT_SPOOL_OPTIONS = {
  /** Rotate to a new segment file once the current one holds this many bytes. */
  segmentBytes: 8 * 1024 * 1024,
  /** Appends made within this window share one write + fsync (group commit). */
  syncIntervalMs: 20,
  /** Sync early once this many bytes wait to be written. */
  syncBytes: 1024 * 1024,
} as const;

/** Options of {@link Spool}. */
export interface SpoolOptions<T> {
  /** Folder holding the segment files; created if missing. One writer per folder. */
  dir: string;
  /** @default 8 MiB */
  segmentBytes?: number;
  /** @default 20 */
  syncIntervalMs?: number;
  /** @default 1 MiB */
  syncBytes?: number;
  /** Row → one line of JSON (no newline). @default JSON.stringify */
  serialize?: (row: T) => string;
  /** One line → row. @default JSON.parse */
  deserialize?: (line: string) => T;
  /** @default systemClock */
  clock?: Clock;
  /** Called when a background sync fails (the lines stay pending and are retried on the next sync). */
  onError?: (error: unknown) => void;
}

/** One closed segment read back for replay. */
export interface SpoolSegment<T> {
  /** File name of the segment, passed back to {@link Spool.commit}. */
  readonly name: string;
  /** Rows in append order. */
  readonly rows: T[];
  /** Lines that could not be parsed (a torn last line after a crash). */
  readonly corruptLines: number;
}

/** Counters of a {@link Spool}. */
export interface SpoolStats {
  /** Segment files on disk not yet committed (including the one being appended to). */
  segments: number;
  /** Rows appended but not yet committed. */
  pendingRows: number;
  /** Bytes on disk plus bytes waiting to be written. */
  pendingBytes: number;
}

const SEGMENT_PATTERN = /^seg-(\d{12})\.jsonl$/;

interface ClosedSegment {
  name: string;
  rows: number;
  bytes: number;
}

/**
 * An append-only on-disk spool of JSONL segments. Appends are buffered and written with one
 * `write` + `fdatasync` per group ({@link SpoolOptions.syncIntervalMs}); segments rotate at
 * {@link SpoolOptions.segmentBytes}; {@link Spool.readOldest} hands them back in order and
 * {@link Spool.commit} deletes one once its rows are safely stored elsewhere. Segments left by a
 * previous process are found by {@link Spool.open}. Internal to the SDK.
 * @example
 * ```ts
 * const spool = new Spool<Row>({ dir: './spool' });
 * await spool.open();
 * spool.append(rows); await spool.sync();
 * const seg = await spool.readOldest(); if (seg) { await store(seg.rows); await spool.commit(seg.name); }
 * ```
 */
export class Spool<T> {
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly syncIntervalMs: number;
  private readonly syncBytes: number;
  private readonly serialize: (row: T) => string;
  private readonly deserialize: (line: string) => T;
  private readonly clock: Clock;
  private readonly onError: (error: unknown) => void;
  private closed: ClosedSegment[] = [];
  private active: { name: string; fh: FileHandle; rows: number; bytes: number } | undefined;
  private pending: string[] = [];
  private pendingRowCount = 0;
  private pendingByteCount = 0;
  private nextSeq = 1;
  private chain: Promise<void> = Promise.resolve();
  private cancelTimer: (() => void) | undefined;
  private opened = false;

  constructor(options: SpoolOptions<T>) {
    this.dir = options.dir;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SPOOL_OPTIONS.segmentBytes;
    this.syncIntervalMs = options.syncIntervalMs ?? DEFAULT_SPOOL_OPTIONS.syncIntervalMs;
    this.syncBytes = options.syncBytes ?? DEFAULT_SPOOL_OPTIONS.syncBytes;
    this.serialize = options.serialize ?? ((row) => JSON.stringify(row));
    this.deserialize = options.deserialize ?? ((line) => JSON.parse(line) as T);
    this.clock = options.clock ?? systemClock;
    this.onError = options.onError ?? (() => {});
  }

  /** Creates the folder and finds segments left by an earlier process (they are replayed first). */
  async open(): Promise<void> {
    if (this.opened) return;
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_PATTERN.test(n)).sort();
    for (const name of names) {
      const seq = Number(SEGMENT_PATTERN.exec(name)![1]);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      // Counted now, so a host waiting for "nothing pending" does not stop mid-replay.
      this.closed.push({ name, ...(await countLines(join(this.dir, name))) });
    }
    this.opened = true;
  }

  /** True while anything is waiting to be written or replayed. */
  hasPending(): boolean {
    return this.closed.length > 0 || (this.active?.rows ?? 0) > 0 || this.pending.length > 0;
  }

  /** Buffers rows for the next group write; synchronous and cheap. Call {@link Spool.sync} to make them durable. */
  append(rows: readonly T[]): void {
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) text += `${this.serialize(row)}\n`;
    this.pending.push(text);
    this.pendingRowCount += rows.length;
    this.pendingByteCount += Buffer.byteLength(text);
    if (this.pendingByteCount >= this.syncBytes) void this.sync().catch(this.onError);
    else if (!this.cancelTimer) {
      this.cancelTimer = this.clock.setTimeout(() => {
        this.cancelTimer = undefined;
        void this.sync().catch(this.onError);
      }, this.syncIntervalMs);
    }
  }

  /** Writes and fsyncs everything appended so far; resolves once it is durable. */
  sync(): Promise<void> {
    const next = this.chain.then(() => this.writePending());
    this.chain = next.catch(() => {});
    return next;
  }

  /** The oldest segment not yet committed (rotating the active one if it is the oldest), or undefined. */
  async readOldest(): Promise<SpoolSegment<T> | undefined> {
    await this.sync();
    await this.serialised(async () => {
      if (this.closed.length === 0 && this.active && this.active.rows > 0) await this.rotate();
    });
    const first = this.closed[0];
    if (!first) return undefined;
    const text = await readFile(join(this.dir, first.name), 'utf8');
    const rows: T[] = [];
    let corruptLines = 0;
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        rows.push(this.deserialize(line));
      } catch {
        corruptLines++;
      }
    }
    first.rows = rows.length;
    return { name: first.name, rows, corruptLines };
  }

  /** Deletes a segment returned by {@link Spool.readOldest} once its rows are stored. */
  async commit(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.closed = this.closed.filter((s) => s.name !== name);
  }

  /** Counters for health and metrics. */
  stats(): SpoolStats {
    let rows = this.pendingRowCount + (this.active?.rows ?? 0);
    let bytes = this.pendingByteCount + (this.active?.bytes ?? 0);
    for (const s of this.closed) {
      rows += s.rows;
      bytes += s.bytes;
    }
    return { segments: this.closed.length + (this.active ? 1 : 0), pendingRows: rows, pendingBytes: bytes };
  }

  /** Syncs and closes the open file. Idempotent; segments stay on disk for the next start. */
  async close(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.sync();
    await this.serialised(async () => {
      if (this.active) {
        await this.active.fh.close();
        this.closed.push({ name: this.active.name, rows: this.active.rows, bytes: this.active.bytes });
        this.active = undefined;
      }
    });
  }

  private serialised(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private async writePending(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.pending.length === 0) return;
    if (!this.opened) await this.open();
    const chunks = this.pending;
    const rows = this.pendingRowCount;
    const bytes = this.pendingByteCount;
    this.pending = [];
    this.pendingRowCount = 0;
    this.pendingByteCount = 0;
    try {
      if (!this.active) {
        const name = `seg-${String(this.nextSeq++).padStart(12, '0')}.jsonl`;
        this.active = { name, fh: await open(join(this.dir, name), 'a'), rows: 0, bytes: 0 };
      }
      await this.active.fh.write(chunks.join(''));
      await this.active.fh.datasync();
    } catch (error) {
      // Keep the lines for the next attempt, ahead of anything appended meanwhile.
      this.pending = [...chunks, ...this.pending];
      this.pendingRowCount += rows;
      this.pendingByteCount += bytes;
      throw error;
    }
    this.active.rows += rows;
    this.active.bytes += bytes;
    if (this.active.bytes >= this.segmentBytes) await this.rotate();
  }

  private async rotate(): Promise<void> {
    if (!this.active) return;
    await this.active.fh.close();
    this.closed.push({ name: this.active.name, rows: this.active.rows, bytes: this.active.bytes });
    this.active = undefined;
  }
}

/** Rows (non-empty lines, a torn last line included) and bytes of a segment file on disk. */
async function countLines(path: string): Promise<{ rows: number; bytes: number }> {
  const data = await readFile(path);
  let rows = 0;
  let from = 0;
  for (let nl = data.indexOf(10, from); nl !== -1; nl = data.indexOf(10, from)) {
    if (nl > from) rows++;
    from = nl + 1;
  }
  if (from < data.length) rows++;
  return { rows, bytes: data.length };
}
