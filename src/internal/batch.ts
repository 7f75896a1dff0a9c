import { setImmediate as nextTurn } from 'node:timers/promises';

/** Target size of one encoded chunk: decoding one (a JSON.parse) stays well under a millisecond. */
const CHUNK_BYTES = 64 * 1024;
const OPEN = 0x5b; // [
const COMMA = 0x2c; // ,
const CLOSE = 0x5d; // ]

/**
 * One batch of the {@link BatchWriter}: its rows as a JS array, or — while it waits behind other
 * writes — encoded as JSON bytes in Buffers, which live outside the JS heap. A backlog of tens of
 * megabytes (a database outage at full speed) then costs the garbage collector a few Buffer handles
 * instead of hundreds of thousands of objects to mark on every major GC (pauses of 6–13 ms measured).
 *
 * Rows are encoded one by one as they are added ({@link Batch.offHeap}), never a whole batch at once:
 * a single `JSON.stringify` of 500 rows (~1 MB) was the longest synchronous stretch of an outage and
 * its large string grew the old generation. The bytes are kept in chunks of ~64 KiB, each a JSON
 * array, so {@link Batch.decode} parses one chunk per event-loop turn. @internal
 */
export class Batch<T> {
  private decoded: T[] | undefined;
  /** Sealed chunks, each `[row,row,…]`. */
  private chunks: Buffer[] = [];
  /** Rows parsed so far by a decode in progress. */
  private parsed: T[] = [];
  /** The chunk being filled and how many bytes of it are used (0 = none open). */
  private chunk: Buffer | undefined;
  private used = 0;
  private count: number;
  private size: number;

  constructor(
    rows: T[],
    /** Their size per `sizeOf` (the memory bound counts this). */
    bytes: number,
    /** When the first row was accepted. */
    readonly acceptedAt: number,
  ) {
    this.decoded = rows;
    this.count = rows.length;
    this.size = bytes;
  }

  /** An empty batch whose rows are encoded as they are added (rows must be JSON-serialisable). */
  static offHeap<T>(acceptedAt: number): Batch<T> {
    const batch = new Batch<T>([], 0, acceptedAt);
    batch.decoded = undefined;
    return batch;
  }

  /** Rows in the batch. */
  get length(): number {
    return this.count;
  }

  /** Their size per `sizeOf` (the memory bound counts this). */
  get bytes(): number {
    return this.size;
  }

  /** Whether the rows are held as bytes (reading {@link Batch.rows} would parse them synchronously). */
  get encoded(): boolean {
    return this.decoded === undefined;
  }

  /** Adds a row: kept as is, or encoded at once when the batch is off the heap. */
  push(row: T, size: number): void {
    if (this.decoded) this.decoded.push(row);
    else this.append(JSON.stringify(row));
    this.count++;
    this.size += size;
  }

  /** The rows, parsed synchronously if they are encoded (prefer {@link Batch.decode} on the event loop). */
  get rows(): T[] {
    if (this.decoded === undefined) {
      this.sealChunk();
      while (this.parseNext());
      this.finishDecode();
    }
    return this.decoded!;
  }

  /** The rows, parsed one chunk per event-loop turn so a large batch never blocks the loop for long. */
  async decode(): Promise<T[]> {
    this.sealChunk();
    while (this.decoded === undefined && this.parseNext()) {
      if (this.chunks.length > 0) await nextTurn();
    }
    if (this.decoded === undefined) this.finishDecode();
    return this.decoded!;
  }

  /** Moves the rows off the JS heap until they are needed again (rows must be JSON-serialisable). */
  encode(): void {
    if (this.decoded === undefined) return;
    const rows = this.decoded;
    this.decoded = undefined;
    for (const row of rows) this.append(JSON.stringify(row));
  }

  private append(json: string): void {
    // `json.length * 3` bounds its UTF-8 size; the exact size is only computed near a chunk's end.
    const room = (this.chunk?.length ?? 0) - this.used - 2; // a comma before, `]` after
    if (this.chunk === undefined || (json.length * 3 > room && Buffer.byteLength(json) > room)) {
      this.sealChunk();
      const chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, Buffer.byteLength(json) + 2));
      chunk[0] = OPEN;
      this.chunk = chunk;
      this.used = 1;
    } else {
      this.chunk[this.used++] = COMMA;
    }
    this.used += this.chunk.write(json, this.used, 'utf8');
  }

  /** Closes the open chunk; one mostly empty (a small or partial batch) is copied to its exact size. */
  private sealChunk(): void {
    const chunk = this.chunk;
    if (chunk === undefined) return;
    chunk[this.used++] = CLOSE;
    const bytes = chunk.subarray(0, this.used);
    this.chunks.push(this.used * 2 < chunk.length ? Buffer.from(bytes) : bytes);
    this.chunk = undefined;
    this.used = 0;
  }

  /** Parses the oldest remaining chunk into `parsed`; false when none is left. */
  private parseNext(): boolean {
    const chunk = this.chunks.shift();
    if (chunk === undefined) return false;
    for (const row of JSON.parse(chunk.toString('utf8')) as T[]) this.parsed.push(row);
    return true;
  }

  private finishDecode(): void {
    this.decoded = this.parsed;
    this.parsed = [];
  }
}
