import type { StatsReport } from '../../lambdas/shared/queries/stats';
import { formatTable } from './table';
import { formatDuration, formatInteger, formatRatio } from './values';

/** Human output of `stats`. Pure. */

const scopeLabel = (s: StatsReport['scopes'][number]): string =>
  s.dimension === null ? s.taskType : `${s.taskType} ${s.dimension.key}=${s.dimension.value}`;

/** The summary table (one row per task type, or per dimension value), or one row per day with `byDay`. */
export const formatStats = (report: StatsReport, options: { byDay?: boolean } = {}): string => {
  const days = report.days.length;
  const title = `Rollups ${report.from} .. ${report.to} (${days} day${days === 1 ? '' : 's'}, UTC) · percentiles within ${Math.round(report.percentileRelativeError * 100)}%`;
  const lines = [title, ''];
  if (report.scopes.length === 0) lines.push('no rollups in this range');
  else if (options.byDay) {
    lines.push(
      formatTable(
        [
          { header: 'TASK TYPE' },
          { header: 'DAY' },
          { header: 'TOTAL', align: 'right' },
          { header: 'SUCCEEDED', align: 'right' },
          { header: 'FAILED', align: 'right' },
          { header: 'CANCELLED', align: 'right' },
          { header: 'FAILURE RATE', align: 'right' },
          { header: 'P50 RUN', align: 'right' },
          { header: 'P95 RUN', align: 'right' },
        ],
        report.scopes.flatMap((s) =>
          s.daily.map((d) => [
            scopeLabel(s),
            d.day,
            formatInteger(d.total),
            formatInteger(d.succeeded),
            formatInteger(d.failed),
            formatInteger(d.cancelled),
            formatRatio(d.failureRate),
            formatDuration(d.runP50Ms),
            formatDuration(d.runP95Ms),
          ]),
        ),
      ),
    );
  } else {
    lines.push(
      formatTable(
        [
          { header: 'TASK TYPE' },
          { header: 'TOTAL', align: 'right' },
          { header: 'SUCCEEDED', align: 'right' },
          { header: 'FAILED', align: 'right' },
          { header: 'CANCELLED', align: 'right' },
          { header: 'FAILURE RATE', align: 'right' },
          { header: 'RETRIED', align: 'right' },
          { header: 'AVG RUN', align: 'right' },
          { header: 'P95 RUN (WORST DAY)', align: 'right' },
        ],
        report.scopes.map((s) => [
          scopeLabel(s),
          formatInteger(s.total),
          formatInteger(s.succeeded),
          formatInteger(s.failed),
          formatInteger(s.cancelled),
          formatRatio(s.failureRate),
          formatInteger(s.retried),
          formatDuration(s.runAvgMs),
          formatDuration(s.runP95MsWorstDay),
        ]),
      ),
    );
  }
  if (report.daysWithoutRollups.length > 0) {
    const missing = report.daysWithoutRollups;
    lines.push(
      '',
      `No rollups for ${missing.join(', ')}: nothing finished, or not rolled up yet ` +
        `(taskpulse backfill --from ${missing[0]} --to ${missing[missing.length - 1]}).`,
    );
  }
  return lines.join('\n');
};
