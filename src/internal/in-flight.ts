import { ClosedError } from '../errors.js';

/**
 * The calls a closable object has in flight: `run` refuses new ones once closed, `close` waits for the
 * running ones to settle (the shared half of `close()` for objects that hold no timers of their own).
 */
export class InFlight {
  private closed = false;
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly owner: string) {}

  /** Starts `call` unless closed (then a `ClosedError`), tracking it until it settles. */
  run<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError(`${this.owner} is closed`));
    const pending = call();
    this.running.add(pending);
    const forget = () => this.running.delete(pending);
    pending.then(forget, forget);
    return pending;
  }

  /** Refuses new calls and resolves once every running one has settled. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running]);
  }
}
