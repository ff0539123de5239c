import { onLocalActivity } from '../aws/local-invocations';
import { dynamoMetricsOf, lambdaMetricsOf } from '../aws/service-metrics';
import { type EmfDatum, looksLikeEmf, parseEmf } from './parse-emf';

/**
 * What CloudWatch Logs does for a Lambda, in this process: read what the functions print on stdout and
 * hand every EMF document on to `onData` as metric data. A Lambda's stdout is its log stream; local mode
 * runs the handlers in-process, so their stdout is this process's. Powertools prints each EMF document
 * with one `console.log` (one `write` of the line and its newline), which is what this relies on.
 */

/** How to treat what the functions print. */
export interface StdoutEmfCaptureOptions {
  /** Receives the data of each EMF document, in print order. */
  readonly onData: (data: readonly EmfDatum[]) => void;
  /** Receives a line that looks like EMF and is not (CloudWatch would drop it). @default ignore */
  readonly onInvalid?: (line: string, reason: string) => void;
  /** Also print the EMF lines (`npm start -- --verbose`). @default false */
  readonly echo?: boolean;
  /** @default process.stdout */
  readonly stream?: NodeJS.WriteStream;
}

/**
 * Capture from now on, holding the data until a consumer is attached: local mode starts capturing
 * before the functions run and attaches the metric sink once the emulator's CloudWatch is known. Two
 * sources, both as metric data: the EMF documents the functions print, and the AWS/Lambda and
 * AWS/DynamoDB metrics of what they do (the runtime's tap, see `dashboard/aws/local-invocations.ts`),
 * so an invocation that ends before the dashboard starts (the rollup at start) is graphed too.
 */
export class EmfCapture {
  /** When capturing started, epoch ms: the dashboard has data from here on. */
  readonly startedAtMs = Date.now();
  private held: EmfDatum[][] = [];
  private consumer?: (data: readonly EmfDatum[]) => void;
  private readonly restore: () => void;
  private readonly unsubscribe: () => void;

  constructor(options: Omit<StdoutEmfCaptureOptions, 'onData'> = {}) {
    const take = (data: readonly EmfDatum[]) => {
      if (this.consumer !== undefined) this.consumer(data);
      else this.held.push([...data]);
    };
    this.restore = captureEmfFromStdout({ ...options, onData: take });
    this.unsubscribe = onLocalActivity({
      invocation: (r) => take(lambdaMetricsOf(r)),
      dynamoRequest: (r) => take(dynamoMetricsOf(r)),
    });
  }

  /** Deliver the held data, then every document as it is printed. */
  attach(consumer: (data: readonly EmfDatum[]) => void): void {
    this.consumer = consumer;
    for (const data of this.held.splice(0)) consumer(data);
  }

  /** Stop capturing. */
  stop(): void {
    this.restore();
    this.unsubscribe();
    this.held = [];
  }
}

/** Start capturing; returns a function that restores the stream. */
export const captureEmfFromStdout = (options: StdoutEmfCaptureOptions): (() => void) => {
  const stream = options.stream ?? process.stdout;
  const original = stream.write;
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text =
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    if (text === undefined || !text.includes('"_aws"'))
      return Reflect.apply(original, stream, [chunk, ...rest]);
    const kept: string[] = [];
    for (const line of text.split('\n')) {
      if (!looksLikeEmf(line)) {
        kept.push(line);
        continue;
      }
      try {
        options.onData(parseEmf(line));
      } catch (error) {
        options.onInvalid?.(line, (error as Error).message);
      }
      if (options.echo) kept.push(line);
    }
    const out = kept.join('\n');
    if (out.trim() === '') {
      // Nothing left to print: still honour the callback contract of `write`.
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return Reflect.apply(original, stream, [out, ...rest]);
  };
  stream.write = write as typeof stream.write;
  return () => {
    if (stream.write === write) stream.write = original;
  };
};
