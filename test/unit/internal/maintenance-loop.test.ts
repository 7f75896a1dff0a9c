import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/internal/clock.js';
import { MaintenanceLoop } from '../../../src/internal/maintenance-loop.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

function loop(run: () => Promise<number>, clock = new ManualClock()) {
  const reports: number[] = [];
  const errors: unknown[] = [];
  const l = new MaintenanceLoop<number>({
    run,
    intervalMs: 1_000,
    retryMs: 100,
    closeTimeoutMs: 5_000,
    clock,
    onReport: (r) => reports.push(r),
    onError: (e) => errors.push(e),
  });
  return { l, clock, reports, errors };
}

describe('MaintenanceLoop', () => {
  it('runs the first pass at first use, then every intervalMs; concurrent calls share one pass', async () => {
    let n = 0;
    const { l, clock, reports } = loop(async () => ++n);
    expect(n).toBe(0);
    await Promise.all([l.started(), l.started(), l.maintain()]);
    expect(n).toBe(1);
    expect(reports).toEqual([1]); // reported once per pass, not per caller
    clock.advance(999);
    expect(n).toBe(1);
    clock.advance(1);
    expect(n).toBe(2);
    await tick();
    clock.advance(1_000);
    expect(n).toBe(3);
    await l.close();
  });

  it('a failed pass is reported and retried after retryMs; started() still resolves', async () => {
    let fail = true;
    let n = 0;
    const { l, clock, errors, reports } = loop(async () => {
      n++;
      if (fail) throw new Error('db down');
      return n;
    });
    await l.started();
    expect(errors).toHaveLength(1);
    fail = false;
    clock.advance(100);
    await tick();
    expect(reports).toEqual([2]);
    await expect(
      loop(async () => {
        throw new Error('x');
      }).l.maintain(),
    ).rejects.toThrow('x');
    await l.close();
  });

  it('close() stops the timer and waits for a pass in progress at most closeTimeoutMs', async () => {
    let n = 0;
    let release: () => void = () => {};
    const { l, clock } = loop(() => {
      n++;
      return new Promise<number>((resolve) => {
        release = () => resolve(n);
      });
    });
    const first = l.started();
    let closed = false;
    const closing = l.close().then(() => {
      closed = true;
    });
    await tick();
    expect(closed).toBe(false); // waiting for the pass
    clock.advance(5_000); // the close timeout
    await closing;
    release();
    await first;
    clock.advance(10_000);
    expect(n).toBe(1); // no pass after close
    await expect(l.started()).resolves.toBeUndefined();
  });
});
