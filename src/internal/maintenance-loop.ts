import type { Clock } from './clock.js';

/** Options of {@link MaintenanceLoop}. */
export interface MaintenanceLoopOptions<R> {
  /** One pass. */
  run(): Promise<R>;
  /** Time between passes after a successful one. */
  intervalMs: number;
  /** A failed pass is tried again after at most this long. */
  retryMs: number;
  /** `close()` waits at most this long for a pass in progress (it may wait on an unreachable database). */
  closeTimeoutMs: number;
  clock: Clock;
  /** Called once with the report of each successful pass. */
  onReport(report: R): void;
  /** Called with the error of a failed scheduled pass (a `maintain()` call gets its own rejection). */
  onError(error: unknown): void;
}

/**
 * Runs a periodic maintenance pass (partition maintenance, retention): the first at first use
 * (`started()`), then every `intervalMs` on the injected clock. Concurrent calls share one pass.
 */
export class MaintenanceLoop<R> {
  private first: Promise<void> | undefined;
  private running: Promise<R> | undefined;
  private cancel: (() => void) | undefined;
  private closed = false;

  constructor(private readonly o: MaintenanceLoopOptions<R>) {}

  /** Starts the loop on first call; resolves once the first pass is over (passed or failed). */
  started(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.first ??= this.scheduled();
    return this.first;
  }

  /** One pass now (shared with a pass already running). */
  async maintain(): Promise<R> {
    this.running ??= this.o
      .run()
      .then((report) => {
        this.o.onReport(report);
        return report;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops the timer and waits (at most `closeTimeoutMs`) for a pass in progress. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancel?.();
    this.cancel = undefined;
    const running = this.running;
    if (!running) return;
    let cancel: (() => void) | undefined;
    const timeout = new Promise<void>((resolve) => {
      cancel = this.o.clock.setTimeout(resolve, this.o.closeTimeoutMs);
    });
    await Promise.race([running.then(noop, noop), timeout]);
    cancel?.();
  }

  private async scheduled(): Promise<void> {
    let next = this.o.intervalMs;
    try {
      await this.maintain();
    } catch (error) {
      this.o.onError(error);
      next = Math.min(this.o.intervalMs, this.o.retryMs);
    }
    if (this.closed) return;
    this.cancel = this.o.clock.setTimeout(() => {
      this.cancel = undefined;
      if (this.closed) return;
      void this.scheduled();
    }, next);
  }
}

function noop(): void {}
