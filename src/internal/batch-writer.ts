import PQueue from 'p-queue';
import pRetry from 'p-retry';
import { ClosedError, isRetryable, ValidationError } from '../errors.js';
import { Batch } from './batch.js';
import {
  type BatchWriterEvent,
  type BatchWriterOptions,
  type BatchWriterStats,
  DEFAULT_BATCH_WRITER_OPTIONS,
} from './batch-writer-types.js';
import { systemClock } from './clock.js';
import { Histogram } from './histogram.js';
import { keepAliveWhile } from './keep-alive.js';
import type { Spool } from './spool.js';

export {
  type BatchWriterEvent,
  type BatchWriterOptions,
  type BatchWriterStats,
  DEFAULT_BATCH_WRITER_OPTIONS,
} from './batch-writer-types.js';

/** After `closeTimeoutMs`, writes still running get this long before their rows are counted as dropped. */
const CLOSE_GRACE_MS = 1_000;

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !(v > 0)) {
    throw new ValidationError(`Expected \`${name}\` to be a positive number, got ${String(v)}`, {
      field: name,
    });
  }
  return v;
}

/**
 * Generic buffered batch writer: rows are added synchronously (never awaiting the store), written in
 * batches through a p-queue, retried with p-retry (exponential backoff with jitter, only while the
 * error is retryable); a batch rejected for a non-retryable reason is bisected so the good rows land
 * and each bad row is reported once (`rejected`). Memory is bounded; with a {@link Spool} the
 * overflow and failed batches go to disk and are replayed in order, otherwise the newest rows are
 * dropped and counted. Internal to the SDK (history and guardrails store through it).
 * @example
 * ```ts
 * const writer = new BatchWriter<Row>({ write: (rows) => insert(rows), sizeOf: (r) => r.size });
 * writer.add(row); await writer.flush(); await writer.close();
 * ```
 */
export class BatchWriter<T> {
  private readonly o: Required<Omit<BatchWriterOptions<T>, 'spool' | 'onEvent'>>;
  private readonly spool: Spool<T> | undefined;
  private readonly emit: (event: BatchWriterEvent<T>) => void;
  private readonly queue: PQueue;
  private readonly abort = new AbortController();
  private readonly latency = new Histogram();
  /** The batch rows are added to (undefined until the next row). */
  private buffer: Batch<T> | undefined;
  private readonly inflight = new Set<Batch<T>>();
  private readonly settling = new Set<Promise<void>>();
  private readonly abandoned = new WeakSet<Batch<T>>();
  private pendingSpills: Batch<T>[] = [];
  /** Settles when the last off-heap batch started is decoded: writes begin in the order batches started. */
  private decodeTail: Promise<unknown> | undefined;
  /** Full batches cut by add(), handed to the queue in a microtask (never inside the caller's add()). */
  private ready: Batch<T>[] = [];
  private readonly startReadyFn = () => this.startReady();
  private readonly onTimerFn = () => this.onTimer();
  private held = 0;
  private heldBytes = 0;
  private cancelTimer: (() => void) | undefined;
  private mode: 'direct' | 'spooling' = 'direct';
  private replaying: Promise<void> | undefined;
  private opened: Promise<void>;
  private closing: Promise<void> | undefined;
  private pendingDrops = new Map<'buffer_full' | 'close_timeout' | 'spool_failed', number>();
  private readonly c = {
    accepted: 0,
    written: 0,
    failedWrites: 0,
    successfulWrites: 0,
    rejected: 0,
    dropped: 0,
    spooled: 0,
    replayed: 0,
  };

  constructor(options: BatchWriterOptions<T>) {
    const d = DEFAULT_BATCH_WRITER_OPTIONS;
    this.o = {
      write: options.write,
      batchSize: positiveInt('batchSize', options.batchSize, d.batchSize),
      flushIntervalMs: positiveInt('flushIntervalMs', options.flushIntervalMs, d.flushIntervalMs),
      maxBufferedEntries: positiveInt('maxBufferedEntries', options.maxBufferedEntries, d.maxBufferedEntries),
      maxBufferedBytes: positiveInt('maxBufferedBytes', options.maxBufferedBytes, d.maxBufferedBytes),
      sizeOf: options.sizeOf ?? (() => 1024),
      concurrency: positiveInt('concurrency', options.concurrency, d.concurrency),
      minRetryDelayMs: positiveInt('minRetryDelayMs', options.minRetryDelayMs, d.minRetryDelayMs),
      maxRetryDelayMs: positiveInt('maxRetryDelayMs', options.maxRetryDelayMs, d.maxRetryDelayMs),
      attemptsBeforeSpill: positiveInt(
        'attemptsBeforeSpill',
        options.attemptsBeforeSpill,
        d.attemptsBeforeSpill,
      ),
      closeTimeoutMs: positiveInt('closeTimeoutMs', options.closeTimeoutMs, d.closeTimeoutMs),
      isRetryable: options.isRetryable ?? isRetryable,
      clock: options.clock ?? systemClock,
      offHeap: options.offHeap ?? false,
    };
    this.spool = options.spool;
    const onEvent = options.onEvent;
    this.emit = onEvent
      ? (e) => {
          try {
            onEvent(e);
          } catch {
            // onEvent is documented as non-throwing; a bug there must not break writing.
          }
        }
      : () => {};
    this.queue = new PQueue({ concurrency: this.o.concurrency });
    // A spool left by an earlier process is replayed before anything else.
    this.opened = this.spool
      ? this.spool.open().then(() => {
          if (this.spool!.hasPending()) this.enterSpooling();
        })
      : Promise.resolve();
    this.opened.catch((error: unknown) => this.emit({ type: 'spool_error', error }));
  }

  /**
   * Accepts one row. Synchronous, O(1). Returns false when the row was dropped (memory full and no
   * spool); throws {@link ClosedError} after `close()`.
   */
  add(row: T, size: number = this.o.sizeOf(row)): boolean {
    if (this.closing) throw new ClosedError('The batch writer is closed; no rows are accepted');
    if (this.held + 1 > this.o.maxBufferedEntries || this.heldBytes + size > this.o.maxBufferedBytes) {
      if (!this.spool) {
        this.drop(1, 'buffer_full');
        return false;
      }
      this.enterSpooling();
      this.dispatch();
    }
    this.c.accepted++;
    let buffer = this.buffer;
    if (buffer === undefined) {
      buffer = this.buffer = this.openBatch();
      // A timer still armed for an earlier batch (cut when full) is kept: it re-arms for this one.
      if (this.cancelTimer === undefined) this.armTimer(this.o.flushIntervalMs);
    }
    buffer.push(row, size);
    this.held++;
    this.heldBytes += size;
    if (buffer.length >= this.o.batchSize) this.cutBatch();
    return true;
  }

  /**
   * A new batch is held off the JS heap from its first row when it will have to wait behind the
   * running writes: each row is then encoded as it is added (a few µs), never a whole batch at once.
   */
  private openBatch(): Batch<T> {
    const now = this.o.clock.now();
    const waiting = this.queue.pending + this.queue.size + this.ready.length;
    return this.o.offHeap && this.mode === 'direct' && waiting >= this.o.concurrency
      ? Batch.offHeap<T>(now)
      : new Batch<T>([], 0, now);
  }

  private armTimer(ms: number): void {
    this.cancelTimer = this.o.clock.setTimeout(this.onTimerFn, ms);
  }

  /** A partial batch is written `flushIntervalMs` after its first row (re-armed when armed for an older one). */
  private onTimer(): void {
    this.cancelTimer = undefined;
    if (this.buffer === undefined) return;
    const interval = this.o.flushIntervalMs;
    const left = this.buffer.acceptedAt + interval - this.o.clock.now();
    if (left > 0 && left <= interval) this.armTimer(left);
    else this.dispatch();
  }

  /**
   * Resolves once every row accepted before the call is stored, rejected, or durable in the spool;
   * with `untilStored`, also waits until the spool has been replayed into the store (rejects with
   * {@link ClosedError} if `close()` stops the replay first). Keeps the process alive while awaited.
   */
  flush(options: { untilStored?: boolean } = {}): Promise<void> {
    return keepAliveWhile(options.untilStored ? this.flushThenDrain() : this.flushBuffered());
  }

  private async flushBuffered(): Promise<void> {
    this.startReady();
    this.dispatch();
    this.spillPending();
    await Promise.allSettled([...this.settling]);
    if (this.spool) {
      await this.opened.catch(() => {}); // segments of an earlier run are counted once open
      await this.spool.sync();
    }
    this.emitDrops();
  }

  /** flush(), then wait for the replay loop until the spool holds nothing (segments of earlier runs too). */
  private async flushThenDrain(): Promise<void> {
    await this.opened.catch(() => {});
    await this.flushBuffered();
    const spool = this.spool;
    if (!spool) return;
    while (spool.hasPending() || this.replaying) {
      if (this.abort.signal.aborted) {
        throw new ClosedError('The batch writer was closed before its spool was replayed');
      }
      this.enterSpooling();
      await this.replaying?.catch(() => {});
    }
  }

  /**
   * Stops intake, flushes (at most `closeTimeoutMs`), stops replay and timers. Idempotent. A write
   * that fails for a retryable reason during close goes to the spool at once (no retries); without a
   * spool it is retried until `closeTimeoutMs`, then counted dropped. Keeps the process alive while awaited.
   */
  close(): Promise<void> {
    this.closing ??= keepAliveWhile(this.doClose());
    return this.closing;
  }

  /** Counters and gauges. */
  stats(): BatchWriterStats {
    let oldest = this.buffer?.acceptedAt ?? Number.POSITIVE_INFINITY;
    for (const b of this.inflight) oldest = Math.min(oldest, b.acceptedAt);
    for (const b of this.ready) oldest = Math.min(oldest, b.acceptedAt);
    const spool = this.spool?.stats();
    return {
      buffered: this.held,
      bufferedBytes: this.heldBytes,
      oldestBufferedAgeMs: Number.isFinite(oldest) ? Math.max(0, this.o.clock.now() - oldest) : 0,
      mode: this.mode,
      ...this.c,
      spoolPendingRows: spool?.pendingRows ?? 0,
      spoolSegments: spool?.segments ?? 0,
      writeLatency: this.latency.summary(),
    };
  }

  private async doClose(): Promise<void> {
    let cancel: (() => void) | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancel = this.o.clock.setTimeout(() => resolve('timeout'), this.o.closeTimeoutMs);
    });
    await Promise.race([this.opened.catch(() => {}), timedOut]);
    const outcome = await Promise.race([this.flushBuffered().then(() => 'done' as const), timedOut]);
    cancel?.();
    this.abort.abort(new ClosedError('The batch writer was closed'));
    if (outcome === 'timeout') {
      // Writes hanging on a dead connection get a short grace; what is still in flight is counted lost.
      await this.withGrace(Promise.allSettled([...this.settling]));
      for (const batch of this.inflight) {
        this.abandoned.add(batch);
        this.drop(batch.length, 'close_timeout');
      }
    }
    // The replay loop stops at its next retry; segments not committed stay on disk for the next start.
    if (this.replaying) await this.withGrace(this.replaying.catch(() => {}));
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.spool)
      await this.spool.close().catch((error: unknown) => this.emit({ type: 'spool_error', error }));
    this.emitDrops();
  }

  private async withGrace(work: Promise<unknown>): Promise<void> {
    let cancel: (() => void) | undefined;
    const grace = new Promise<void>((r) => {
      cancel = this.o.clock.setTimeout(r, CLOSE_GRACE_MS);
    });
    await Promise.race([work, grace]);
    cancel?.();
  }

  private drop(count: number, reason: 'buffer_full' | 'close_timeout' | 'spool_failed'): void {
    this.c.dropped += count;
    const first = this.pendingDrops.size === 0;
    this.pendingDrops.set(reason, (this.pendingDrops.get(reason) ?? 0) + count);
    // Coalesce: at most one event per reason per flush interval.
    if (first) this.o.clock.setTimeout(() => this.emitDrops(), this.o.flushIntervalMs);
  }

  private emitDrops(): void {
    for (const [reason, count] of this.pendingDrops) this.emit({ type: 'dropped', count, reason });
    this.pendingDrops.clear();
  }

  private enterSpooling(): void {
    if (!this.spool) return;
    this.mode = 'spooling';
    this.replaying ??= this.replayLoop().finally(() => {
      this.replaying = undefined;
    });
  }

  /**
   * The buffer reached `batchSize` inside add(): it becomes a batch at once (O(1), so batches never
   * grow past `batchSize`), and is handed to the queue in a microtask — starting a write (p-queue,
   * p-retry, the store's first synchronous steps) costs ~50 µs that the caller of add() must not wait.
   */
  private cutBatch(): void {
    if (this.mode === 'spooling') {
      this.dispatch(); // already deferred to a microtask
      return;
    }
    // The flush timer stays armed: the next row re-uses it (no timer per batch under load).
    this.ready.push(this.buffer!);
    this.buffer = undefined;
    if (this.ready.length === 1) queueMicrotask(this.startReadyFn);
  }

  /** Starts the batches cut by add(), oldest first (before any newer buffer is dispatched). */
  private startReady(): void {
    if (this.ready.length === 0) return;
    const batches = this.ready;
    this.ready = [];
    for (const batch of batches) this.start(batch);
  }

  /** Moves the current buffer into a batch: written directly, or appended to the spool. */
  private dispatch(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.startReady();
    const batch = this.buffer;
    if (batch === undefined) return;
    this.buffer = undefined;
    this.start(batch);
  }

  /** Writes a batch directly, or appends it to the spool (in spooling mode). */
  private start(batch: Batch<T>): void {
    if (this.mode === 'spooling') {
      // Serialising a batch for the spool takes ~1 ms: never inside the caller's add().
      // Handed to the spool: no longer counted against the memory bound (released within a microtask).
      this.held -= batch.length;
      this.heldBytes -= batch.bytes;
      this.pendingSpills.push(batch);
      if (this.pendingSpills.length === 1) queueMicrotask(() => this.spillPending());
      return;
    }
    this.inflight.add(batch);
    const done = this.queue
      .add(() => this.writeDirect(batch))
      .finally(() => {
        this.inflight.delete(batch);
        this.held -= batch.length;
        this.heldBytes -= batch.bytes;
        this.settling.delete(done);
      });
    this.settling.add(done);
  }

  private spillPending(): void {
    const batches = this.pendingSpills;
    this.pendingSpills = [];
    for (const batch of batches) this.spill(batch);
  }

  private spill(batch: Batch<T>): void {
    try {
      this.spool!.append(batch.rows);
      this.c.spooled += batch.length;
      this.emit({ type: 'spooled', rows: batch.length });
    } catch (error) {
      this.emit({ type: 'spool_error', error });
      this.drop(batch.length, 'spool_failed');
    }
  }

  private async writeDirect(batch: Batch<T>): Promise<void> {
    const retries = this.spool ? this.o.attemptsBeforeSpill - 1 : Number.POSITIVE_INFINITY;
    const rows = batch.encoded || this.decodeTail ? await this.decodeInOrder(batch) : batch.rows;
    try {
      await this.writeWithRetry(rows, retries, 'memory', true);
    } catch (error) {
      if (this.o.isRetryable(error) && this.spool && !this.abort.signal.aborted) {
        this.enterSpooling();
        this.spill(batch);
      } else if (this.abort.signal.aborted && error === this.abort.signal.reason) {
        if (!this.abandoned.has(batch)) this.drop(batch.length, 'close_timeout');
      } else {
        await this.bisect(rows, error, 'memory');
      }
    }
  }

  /** Decodes an off-heap batch a chunk per event-loop turn, after the batches started before it. */
  private async decodeInOrder(batch: Batch<T>): Promise<readonly T[]> {
    const decoded = (this.decodeTail ?? Promise.resolve()).then(() => batch.decode());
    const tail = decoded.catch(() => {});
    this.decodeTail = tail;
    tail.then(() => {
      if (this.decodeTail === tail) this.decodeTail = undefined;
    });
    return decoded;
  }

  /** Writes rows, retrying retryable failures; rethrows the last error. `spillable`: a spool may take them on close. */
  private async writeWithRetry(
    rows: readonly T[],
    retries: number,
    source: 'memory' | 'spool',
    spillable = false,
  ): Promise<void> {
    await pRetry(
      async () => {
        const started = performance.now();
        await this.o.write(rows);
        const durationMs = performance.now() - started;
        this.latency.record(durationMs);
        this.c.successfulWrites++;
        this.c.written += rows.length;
        this.emit({ type: 'written', rows: rows.length, durationMs, source });
      },
      {
        retries,
        factor: 2,
        minTimeout: this.o.minRetryDelayMs,
        maxTimeout: this.o.maxRetryDelayMs,
        randomize: true,
        unref: true,
        signal: this.abort.signal,
        shouldConsumeRetry: () => true,
        // While closing, a batch from memory goes to the spool at once instead of retrying.
        shouldRetry: ({ error }) => this.o.isRetryable(error) && !(spillable && this.spillNow()),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          this.c.failedWrites++;
          const willRetry =
            retriesLeft > 0 &&
            this.o.isRetryable(error) &&
            !this.abort.signal.aborted &&
            !(spillable && this.spillNow());
          this.emit({ type: 'write_failed', rows: rows.length, error, attempt: attemptNumber, willRetry });
        },
      },
    );
  }

  /** During close, a memory batch that fails for a retryable reason is spooled without further attempts. */
  private spillNow(): boolean {
    return this.closing !== undefined && this.spool !== undefined;
  }

  /** A batch failed for a non-retryable reason: split it until the bad rows are isolated. */
  private async bisect(rows: readonly T[], error: unknown, source: 'memory' | 'spool'): Promise<void> {
    if (rows.length === 1) {
      this.c.rejected++;
      this.emit({ type: 'rejected', row: rows[0]!, error });
      return;
    }
    const mid = rows.length >>> 1;
    for (const half of [rows.slice(0, mid), rows.slice(mid)]) {
      try {
        await this.writeWithRetry(half, Number.POSITIVE_INFINITY, source);
      } catch (e) {
        if (this.abort.signal.aborted && e === this.abort.signal.reason) {
          if (source === 'memory') this.drop(half.length, 'close_timeout');
          continue;
        }
        await this.bisect(half, e, source);
      }
    }
  }

  /** Replays spool segments oldest first until the spool is empty, then returns to direct mode. */
  private async replayLoop(): Promise<void> {
    const spool = this.spool!;
    await this.opened.catch(() => {});
    while (!this.abort.signal.aborted) {
      // Let the in-memory batches that are already on their way settle first (they may spill).
      await Promise.allSettled([...this.settling]);
      let segment: Awaited<ReturnType<Spool<T>['readOldest']>>;
      try {
        segment = await spool.readOldest();
      } catch (error) {
        this.emit({ type: 'spool_error', error });
        await new Promise<void>((r) => this.o.clock.setTimeout(r, this.o.maxRetryDelayMs));
        continue;
      }
      if (!segment) {
        if (
          spool.hasPending() ||
          this.inflight.size > 0 ||
          this.ready.length > 0 ||
          this.pendingSpills.length > 0
        )
          continue;
        this.mode = 'direct';
        return;
      }
      try {
        for (let i = 0; i < segment.rows.length; i += this.o.batchSize) {
          const chunk = segment.rows.slice(i, i + this.o.batchSize);
          await this.queue.add(async () => {
            try {
              await this.writeWithRetry(chunk, Number.POSITIVE_INFINITY, 'spool');
            } catch (error) {
              if (this.abort.signal.aborted) throw error;
              await this.bisect(chunk, error, 'spool');
            }
          });
        }
      } catch {
        return; // closed mid-replay: the segment stays on disk for the next start.
      }
      await spool.commit(segment.name);
      this.c.replayed += segment.rows.length;
      this.emit({
        type: 'replayed',
        rows: segment.rows.length,
        segment: segment.name,
        corruptLines: segment.corruptLines,
      });
    }
  }
}
