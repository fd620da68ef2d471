/**
 * Waits for something the app does after acknowledging (listeners ack first, then work): polls
 * until `probe` returns a value, failing with `what` if it never does. Not a timing assertion: the
 * limit only bounds a broken run.
 */
export async function eventually<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, limitMs = 10_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
