import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { RollupDayOutcome, RollupDeps, RollupOutcome } from '../../lambdas/rollup/run-rollup';
import { runRollup } from '../../lambdas/rollup/run-rollup';
import { daysBetween } from '../../lambdas/shared/time';
import { CliError } from '../errors';

/**
 * `backfill`: recompute the daily rollups of a range of days. Against AWS the rollup function does it
 * (`{from, to}` per chunk of days, with the function's own permissions and time limit); against local
 * mode (moto runs no Lambda code) or with `--in-process`, `runRollup` runs here against the state
 * table. Either way a recomputation replaces a day's rollups with the current truth (idempotent).
 */

/** Consecutive runs of at most `size` days covering `days`. Pure. */
export const chunkDays = (days: readonly string[], size: number): { from: string; to: string }[] => {
  const out: { from: string; to: string }[] = [];
  for (let i = 0; i < days.length; i += size) {
    const chunk = days.slice(i, i + size);
    out.push({ from: chunk[0]!, to: chunk[chunk.length - 1]! });
  }
  return out;
};

/** A backfill runner: computes one chunk of days. */
export type RollupRunner = (from: string, to: string) => Promise<RollupOutcome>;

/** The rollup function failed or answered something else than a rollup outcome. */
export class RollupInvokeError extends CliError {
  override readonly name = 'RollupInvokeError';
}

/** Run chunks by invoking the rollup Lambda synchronously. */
export const lambdaRunner =
  (lambda: Pick<LambdaClient, 'send'>, functionName: string): RollupRunner =>
  async (from, to) => {
    const res = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify({ from, to })),
      }),
    );
    const text = res.Payload === undefined ? '' : Buffer.from(res.Payload).toString('utf8');
    if (res.FunctionError !== undefined) {
      let detail = text;
      try {
        const body = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        detail = `${body.errorType ?? 'Error'}: ${body.errorMessage ?? text}`;
      } catch {
        // not JSON: show the raw payload
      }
      throw new RollupInvokeError(`the rollup function failed for ${from}..${to}: ${detail}`, {
        hint: `look at the function's logs (${functionName}) in CloudWatch`,
      });
    }
    const outcome = JSON.parse(text) as Partial<RollupOutcome>;
    if (!Array.isArray(outcome.days))
      throw new RollupInvokeError(`the rollup function answered ${text.slice(0, 200)} for ${from}..${to}`);
    return outcome as RollupOutcome;
  };

/** Run chunks in this process against the state table. */
export const inProcessRunner =
  (deps: RollupDeps): RollupRunner =>
  (from, to) =>
    runRollup(deps, from, to);

interface BackfillOptions {
  readonly from: string;
  readonly to: string;
  readonly run: RollupRunner;
  /** Days per run. @default 1 */
  readonly chunkDays?: number;
  /** Runs at once. @default 1 */
  readonly concurrency?: number;
  /** After each chunk: days done so far. */
  readonly onProgress?: (daysDone: number, totalDays: number) => void;
}

/** Recompute every day of `[from, to]`; returns one outcome per day, oldest first. */
export const backfill = async (options: BackfillOptions): Promise<RollupDayOutcome[]> => {
  const days = daysBetween(options.from, options.to);
  const chunks = chunkDays(days, options.chunkDays ?? 1);
  const outcomes: RollupDayOutcome[] = [];
  let done = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency ?? 1, chunks.length) }, async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        const outcome = await options.run(chunk.from, chunk.to);
        outcomes.push(...outcome.days);
        done += daysBetween(chunk.from, chunk.to).length;
        options.onProgress?.(done, days.length);
      }
    }),
  );
  return outcomes.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
};
