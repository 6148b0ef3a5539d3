/** Polls `probe` every 10 ms until it returns a value; rejects after `timeout` ms (a bound, not a measurement). */
export async function waitFor<T>(
  probe: () => T | undefined | null | false,
  timeout = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
