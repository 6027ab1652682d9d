/** Bounded waits that honour the scenario's AbortSignal (a timed-out scenario stops promptly). */

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Polls `cond` every `stepMs` until it holds, the deadline passes or the signal aborts. */
export async function waitUntil(
  cond: () => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
  stepMs = 20,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (signal?.aborted || performance.now() >= deadline) return cond();
    await sleep(Math.min(stepMs, Math.max(1, deadline - performance.now())), signal);
  }
  return true;
}
