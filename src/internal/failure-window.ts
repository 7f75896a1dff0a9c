import type { Clock } from './clock.js';

/**
 * Sliding-window success/failure counter in one-second buckets: `rate()` is the failed share of the
 * attempts of the last `windowMs`. O(1) per record. @internal
 */
export class FailureWindow {
  private readonly buckets: Array<{ second: number; ok: number; failed: number }>;

  constructor(
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {
    const n = Math.max(1, Math.ceil(windowMs / 1000));
    this.buckets = Array.from({ length: n }, () => ({ second: -1, ok: 0, failed: 0 }));
  }

  /** Records one attempt. */
  record(failed: boolean): void {
    const second = Math.floor(this.clock.now() / 1000);
    const b = this.buckets[second % this.buckets.length]!;
    if (b.second !== second) {
      b.second = second;
      b.ok = 0;
      b.failed = 0;
    }
    if (failed) b.failed++;
    else b.ok++;
  }

  /** Attempts and failures inside the window. */
  totals(): { attempts: number; failed: number } {
    const oldest = Math.floor(this.clock.now() / 1000) - this.buckets.length + 1;
    let attempts = 0;
    let failed = 0;
    for (const b of this.buckets) {
      if (b.second < oldest) continue;
      attempts += b.ok + b.failed;
      failed += b.failed;
    }
    return { attempts, failed };
  }

  /** Failed share (0–1) of the attempts in the window; 0 when there were none. */
  rate(): number {
    const { attempts, failed } = this.totals();
    return attempts === 0 ? 0 : failed / attempts;
  }

  /** Length of the window in ms. */
  get durationMs(): number {
    return this.windowMs;
  }
}
