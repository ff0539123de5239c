import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { observeHandler } from '../../dashboard/aws/local-invocations';
import { EmfCapture } from '../../dashboard/emf/capture-stdout';
import type { EmfDatum } from '../../dashboard/emf/parse-emf';

/** What the functions print: EMF documents become data, everything else is printed as before. */

const EMF = JSON.stringify({
  _aws: {
    Timestamp: 1_700_000_000_000,
    CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [[]], Metrics: [{ Name: 'M' }] }],
  },
  M: 1,
});

const streamCollecting = () => {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  const printed: string[] = [];
  stream.write = ((chunk: string) => {
    printed.push(String(chunk));
    return true;
  }) as NodeJS.WriteStream['write'];
  return { stream, printed };
};

describe('EmfCapture', () => {
  it('holds data until attached, keeps EMF off the output and lets log lines through', () => {
    const { stream, printed } = streamCollecting();
    const capture = new EmfCapture({ stream });
    const seen: EmfDatum[] = [];

    stream.write(`${EMF}\n`);
    stream.write('a log line\n');
    capture.attach((data) => seen.push(...data));
    stream.write(`${EMF}\n`);
    capture.stop();
    stream.write(`${EMF}\n`);

    expect(seen.map((d) => d.name)).toEqual(['M', 'M']);
    expect(printed).toEqual(['a log line\n', `${EMF}\n`]);
  });

  it('prints EMF lines too when asked (verbose local mode)', () => {
    const { stream, printed } = streamCollecting();
    const capture = new EmfCapture({ stream, echo: true });

    stream.write(`${EMF}\n`);
    capture.stop();

    expect(printed).toEqual([`${EMF}\n`]);
  });

  it('holds the service metrics of an invocation that ended before it was attached (the rollup at start)', async () => {
    // Prepare: a capture started before the functions run, as local mode does.
    const { stream } = streamCollecting();
    const capture = new EmfCapture({ stream });
    const handler = observeHandler('rollup-fn', async (_event: unknown, _context: unknown) => 'done');

    // Act: the invocation ends, then the dashboard attaches.
    await handler(undefined, undefined);
    const seen: EmfDatum[] = [];
    capture.attach((data) => seen.push(...data));
    capture.stop();

    // Assess
    expect(
      seen.filter((d) => d.namespace === 'AWS/Lambda').map((d) => [d.name, d.dimensions, d.values]),
    ).toContainEqual(['Invocations', { FunctionName: 'rollup-fn' }, [1]]);
  });
});
