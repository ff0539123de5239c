/**
 * The bench's model of time, pure: moto answers in its own time and the bench runs handlers one after
 * another, so when an event would become visible in production is computed from the stream's send
 * times, the batching the stack configures (batch size, batching window, tumbling window) and the
 * handler times the bench measured.
 */

/** Nearest-rank quantile of values (`q` in [0, 1]); 0 for no values. Pure. */
export const quantile = (values: readonly number[], q: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
};

/**
 * When each arrival's batch is handed to the function, for an event source mapping that gathers
 * arrivals (sorted, ms) until it holds `batchSize` or `windowMs` has passed since the batch's first
 * one. Returns the close time per arrival and the number of batches. Pure.
 */
export const batchCloseTimes = (
  arrivalsMs: readonly number[],
  batchSize: number,
  windowMs: number,
): { closeMs: number[]; batches: number; batchOf: number[] } => {
  const closeMs: number[] = new Array(arrivalsMs.length);
  const batchOf: number[] = new Array(arrivalsMs.length);
  let batches = 0;
  let i = 0;
  while (i < arrivalsMs.length) {
    const first = arrivalsMs[i]!;
    let j = i;
    while (j < arrivalsMs.length && j - i < batchSize && arrivalsMs[j]! <= first + windowMs) j++;
    const close = j - i === batchSize ? arrivalsMs[j - 1]! : first + windowMs;
    for (let k = i; k < j; k++) {
      closeMs[k] = close;
      batchOf[k] = batches;
    }
    batches++;
    i = j;
  }
  return { closeMs, batches, batchOf };
};

/** End of the tumbling window an instant falls in (windows aligned to multiples of `windowMs`). Pure. */
export const tumblingWindowEnd = (atMs: number, windowMs: number): number =>
  windowMs <= 0 ? atMs : Math.floor(atMs / windowMs) * windowMs + windowMs;

/** Write units per partition key per second: the busiest key and second of a set of writes. */
export interface HotKey {
  readonly partitionKey: string;
  /** Write units that key took in its busiest second. */
  readonly unitsPerSecond: number;
}

/** The partition key that took the most write units within one second (by the writes' model time). Pure. */
export const hottestKey = (
  writes: readonly { partitionKey: string; units: number; atMs: number }[],
): HotKey => {
  const perSecond = new Map<string, number>();
  let best: HotKey = { partitionKey: '', unitsPerSecond: 0 };
  for (const w of writes) {
    const slot = `${w.partitionKey}\n${Math.floor(w.atMs / 1000)}`;
    const units = (perSecond.get(slot) ?? 0) + w.units;
    perSecond.set(slot, units);
    if (units > best.unitsPerSecond) best = { partitionKey: w.partitionKey, unitsPerSecond: units };
  }
  return best;
};
