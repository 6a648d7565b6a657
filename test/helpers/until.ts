// Waiting on a condition in integration tests, without sleeps as synchronisation: polls `probe` every 100 ms until
// it gives a truthy value (returned) or the deadline passes (an error naming what was awaited).

export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
