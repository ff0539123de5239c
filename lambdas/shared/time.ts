import { BUCKET_MINUTES } from './names/keys';

/** One aggregate time bucket: its UTC day, its slot within the day (`HH:MM`) and its bounds. */
interface Bucket {
  readonly day: string;
  readonly slot: string;
  readonly startMs: number;
  readonly endMs: number;
}

const BUCKET_MS = BUCKET_MINUTES * 60_000;

/** The bucket that contains an instant. */
export const bucketOf = (ms: number): Bucket => {
  const startMs = Math.floor(ms / BUCKET_MS) * BUCKET_MS;
  const iso = new Date(startMs).toISOString();
  return { day: iso.slice(0, 10), slot: iso.slice(11, 16), startMs, endMs: startMs + BUCKET_MS };
};

/** Start of a UTC day `YYYY-MM-DD`, epoch ms. Throws on a malformed day. */
export const dayStartMs = (day: string): number => {
  const ms = Date.parse(`${day}T00:00:00.000Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(ms))
    throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  return ms;
};

/** The UTC days from `from` to `to` inclusive. */
export const daysBetween = (from: string, to: string): string[] => {
  const out: string[] = [];
  for (let ms = dayStartMs(from); ms <= dayStartMs(to); ms += 86_400_000)
    out.push(new Date(ms).toISOString().slice(0, 10));
  return out;
};

/** Normalise an ISO timestamp to UTC with milliseconds, so stored times sort as strings. */
export const toUtcIso = (iso: string): string => new Date(iso).toISOString();
