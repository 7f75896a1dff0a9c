import type { Clock } from '../internal/clock.js';

/** Outcome of one hook call. @internal */
export type HookOutcome = { ok: true; value: unknown } | { ok: false; timedOut: boolean; error: unknown };

/** Error used when a hook does not settle within its budget. */
export class HookTimeoutError extends Error {
  constructor(hook: string, ms: number) {
    super(`Hook \`${hook}\` did not finish within ${ms} ms`);
    this.name = 'HookTimeoutError';
  }
}

/**
 * Calls a hook with a timeout on `clock`; never throws. A missing hook is `{ ok: true }`.
 * @internal
 */
export async function callHook(
  name: string,
  fn: ((arg: never) => unknown) | undefined,
  arg: unknown,
  clock: Clock,
  timeoutMs: number,
): Promise<HookOutcome> {
  if (!fn) return { ok: true, value: undefined };
  let cancel: (() => void) | undefined;
  const timeout = new Promise<HookOutcome>((resolve) => {
    cancel = clock.setTimeout(
      () => resolve({ ok: false, timedOut: true, error: new HookTimeoutError(name, timeoutMs) }),
      timeoutMs,
    );
  });
  const run = (async (): Promise<HookOutcome> => {
    try {
      return { ok: true, value: await (fn as (a: unknown) => unknown)(arg) };
    } catch (error) {
      return { ok: false, timedOut: false, error };
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    cancel?.();
  }
}

/** Resolves after `ms` on `clock`. @internal */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}
