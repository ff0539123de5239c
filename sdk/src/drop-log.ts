import type { DropReason, DropReport, TaskpulseLogger } from './options';

/** How often the default drop reporter writes, per reason. */
const DROP_LOG_INTERVAL_MS = 10_000;

const describe = (error: unknown): string => {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : '';
};

/**
 * The default `onDrop`: one warning per reason at most every `intervalMs`, carrying the number of
 * events dropped since the previous warning, so an SQS outage does not flood the producer's logs.
 */
export const createDropLogger = (
  logger: TaskpulseLogger,
  intervalMs: number = DROP_LOG_INTERVAL_MS,
  now: () => number = Date.now,
): ((report: DropReport) => void) => {
  const state = new Map<DropReason, { lastLogMs: number; unreported: number }>();
  return (report) => {
    const entry = state.get(report.reason) ?? { lastLogMs: Number.NEGATIVE_INFINITY, unreported: 0 };
    entry.unreported += report.count;
    state.set(report.reason, entry);
    const at = now();
    if (at - entry.lastLogMs < intervalMs) return;
    const cause = describe(report.error);
    logger.warn(
      `taskpulse: dropped ${entry.unreported} event(s) (${report.reason})` +
        (cause ? ` — last error ${cause}` : ''),
    );
    entry.lastLogMs = at;
    entry.unreported = 0;
  };
};
