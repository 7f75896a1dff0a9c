/**
 * One batch of the {@link BatchWriter}: its rows as a JS array, or — while it waits behind other
 * writes — encoded as JSON bytes in a Buffer, which lives outside the JS heap. A backlog of tens of
 * megabytes (a database outage at full speed) then costs the garbage collector a few Buffer handles
 * instead of hundreds of thousands of objects to mark on every major GC (pauses of 6–13 ms measured).
 * Rows are decoded when the write starts (or when spilled to the spool). @internal
 */
export class Batch<T> {
  private decoded: T[] | undefined;
  private encoded: Buffer | undefined;
  /** Rows in the batch. */
  readonly length: number;

  constructor(
    rows: T[],
    /** Their size per `sizeOf` (the memory bound counts this). */
    readonly bytes: number,
    /** When the first row was accepted. */
    readonly acceptedAt: number,
  ) {
    this.decoded = rows;
    this.length = rows.length;
  }

  /** The rows (decoded on first access after {@link Batch.encode}). */
  get rows(): T[] {
    if (this.decoded === undefined) {
      this.decoded = JSON.parse(this.encoded!.toString('utf8')) as T[];
      this.encoded = undefined;
    }
    return this.decoded;
  }

  /** Moves the rows off the JS heap until they are needed again (rows must be JSON-serialisable). */
  encode(): void {
    if (this.decoded === undefined) return;
    this.encoded = Buffer.from(JSON.stringify(this.decoded), 'utf8');
    this.decoded = undefined;
  }
}
