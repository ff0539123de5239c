import { describe, expect, it } from 'vitest';
import { backfill, chunkDays, lambdaRunner, RollupInvokeError } from '../../../cli/ops/backfill';

const day = (d: string) => ({ day: d, scopes: 1, written: 1, superseded: 0, empty: 0 });

/** A Lambda client stub that answers each invoke with `answer(payload)`. */
const lambdaStub = (
  answer: (payload: { from: string; to: string }) => { Payload?: Uint8Array; FunctionError?: string },
) => {
  const calls: unknown[] = [];
  return {
    calls,
    client: {
      send: async (command: { input: { Payload: Uint8Array; FunctionName: string } }) => {
        const payload = JSON.parse(Buffer.from(command.input.Payload).toString('utf8'));
        calls.push({ fn: command.input.FunctionName, payload });
        return answer(payload);
      },
    } as never,
  };
};

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('chunkDays', () => {
  it('covers the days in runs of at most the chunk size', () => {
    expect(chunkDays(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([
      { from: 'a', to: 'b' },
      { from: 'c', to: 'd' },
      { from: 'e', to: 'e' },
    ]);
  });
});

describe('backfill through the rollup function', () => {
  it('invokes the function with {from, to} per chunk and reports every day, in order', async () => {
    const stub = lambdaStub(({ from, to }) => ({
      Payload: json({ days: [from, to].filter((d, i, a) => a.indexOf(d) === i).map(day) }),
    }));
    const progress: number[] = [];

    const days = await backfill({
      from: '2026-03-01',
      to: '2026-03-04',
      run: lambdaRunner(stub.client, 'rollup-fn'),
      chunkDays: 2,
      concurrency: 2,
      onProgress: (done) => progress.push(done),
    });

    expect(days.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']);
    expect(stub.calls).toEqual(
      expect.arrayContaining([
        { fn: 'rollup-fn', payload: { from: '2026-03-01', to: '2026-03-02' } },
        { fn: 'rollup-fn', payload: { from: '2026-03-03', to: '2026-03-04' } },
      ]),
    );
    expect(progress.sort()).toEqual([2, 4]);
  });

  it('fails with the function error', async () => {
    const stub = lambdaStub(() => ({
      FunctionError: 'Unhandled',
      Payload: json({
        errorType: 'InvalidRollupRequestError',
        errorMessage: 'backfill of 93 days is longer than 92',
      }),
    }));

    const failure = lambdaRunner(stub.client, 'rollup-fn')('2026-01-01', '2026-04-03');

    await expect(failure).rejects.toBeInstanceOf(RollupInvokeError);
    await expect(failure).rejects.toMatchObject({
      message:
        'the rollup function failed for 2026-01-01..2026-04-03: InvalidRollupRequestError: backfill of 93 days is longer than 92',
      hint: "look at the function's logs (rollup-fn) in CloudWatch",
    });
  });
});
