/** Longest delay a Node timer accepts (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const noop = () => {};

/**
 * Holds the process open (one ref'd timer) until `work` settles, then returns its outcome.
 * Every SDK timer is `unref`'d so it never keeps a host alive; but a host that awaits `flush()` or
 * `close()` must get an answer: without a ref'd handle Node would exit mid-await (code 13) and the
 * buffered rows would be neither stored nor spooled. @internal
 */
export async function keepAliveWhile<T>(work: Promise<T>): Promise<T> {
  const handle = setInterval(noop, MAX_TIMER_MS);
  try {
    return await work;
  } finally {
    clearInterval(handle);
  }
}
