/**
 * One signal that fires when any parent signal aborts or `timeoutMs` passes, remembering which of the
 * two happened (a timeout is retried and reported as `PROVIDER_TIMEOUT`; a caller's abort is not).
 * Listeners on the parents are removed by `dispose()`, so a long-lived caller signal does not leak.
 */
export class Deadline {
  /** When the deadline expires (ms since epoch, real time); `Infinity` without a timeout. */
  readonly expiresAt: number;
  // Made on first use of `signal`: a request deadline whose children carry the provider's signal never needs one.
  private controller: AbortController | undefined;
  private abortedWith: { reason: unknown } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly parents: AbortSignal[] = [];
  private expired = false;
  /** Deadlines made by {@link Deadline.child}: aborted with this one, without an event listener each. */
  private children: Set<Deadline> | undefined;
  private parentDeadline: Deadline | undefined;
  private readonly onParentAbort = (event: Event): void => {
    this.abort((event.target as AbortSignal).reason);
  };

  constructor(parents: ReadonlyArray<AbortSignal | undefined>, timeoutMs: number | undefined) {
    this.expiresAt = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    for (const parent of parents) {
      if (!parent) continue;
      if (parent.aborted) {
        this.abort(parent.reason);
        return;
      }
      parent.addEventListener('abort', this.onParentAbort, { once: true });
      this.parents.push(parent);
    }
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs) && timeoutMs <= 2_147_483_647) {
      this.timer = setTimeout(() => {
        this.expired = true;
        this.abort(new DeadlineExpired(timeoutMs));
      }, timeoutMs);
      this.timer.unref?.();
    }
  }

  /**
   * A deadline inside this one (an attempt inside a request): aborted when this one aborts, linked
   * directly rather than through an `abort` listener (cheaper on the hot path).
   */
  child(timeoutMs: number | undefined): Deadline {
    const c = new Deadline([], timeoutMs);
    if (this.abortedWith) {
      c.abort(this.abortedWith.reason);
      return c;
    }
    c.parentDeadline = this;
    this.children ??= new Set();
    this.children.add(c);
    return c;
  }

  /** Fires when a parent aborts or the timeout passes. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  /** Whether the deadline fired (as `signal.aborted`, without making the signal). */
  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  /** Why it fired (as `signal.reason`). */
  get reason(): unknown {
    return this.abortedWith?.reason;
  }

  private abort(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
    if (this.children) for (const c of this.children) c.abort(reason);
  }

  /** True when this deadline's own timeout fired (not a parent's abort). */
  get timedOut(): boolean {
    return this.expired;
  }

  /** Milliseconds left (may be negative); `Infinity` without a timeout. */
  remainingMs(): number {
    return this.expiresAt - Date.now();
  }

  /** Stops the timeout but stays linked to the parents (a stream past its first chunk). */
  clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Clears the timer and detaches from the parents. Idempotent. */
  dispose(): void {
    this.clearTimer();
    for (const parent of this.parents) parent.removeEventListener('abort', this.onParentAbort);
    this.parents.length = 0;
    this.parentDeadline?.children?.delete(this);
    this.parentDeadline = undefined;
  }
}

/** Abort reason of an expired {@link Deadline}. */
export class DeadlineExpired extends Error {
  constructor(readonly timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms expired`);
    this.name = 'DeadlineExpired';
  }
}
