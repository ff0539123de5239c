/**
 * Concurrency helpers that settle before they answer. `Promise.all` rejects at the first failure while
 * the other promises keep running; a handler that then answers "retry" would let those writes land
 * after the retry started (design: "Settle before you answer"). These wait for everything they
 * started. Written by hand: the platform and our dependencies offer only the non-settling forms
 * (`Promise.all`) or ones that never reject (`Promise.allSettled`).
 */

/**
 * Wait for every promise to settle; then resolve with all values, or reject with the first failure
 * (in array order).
 */
export const allSettledOrThrow = async <T>(promises: readonly Promise<T>[]): Promise<T[]> => {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
};

/**
 * Call `fn` for each item, at most `limit` at once. After the first failure no further item is
 * started; the calls already running are awaited, then the first failure is thrown.
 */
export const forEachSettled = async <T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await allSettledOrThrow(Array.from({ length: Math.min(limit, items.length) }, worker));
};
