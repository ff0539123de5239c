import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** What an in-process invocation knows about the function it plays (`timeoutSeconds`: @default 3). */
export interface FunctionIdentity {
  readonly name: string;
  readonly arn?: string;
  readonly timeoutSeconds?: number;
}

/** What a poller says about the function it plays. */
export interface InvocationOptions {
  /** Region in the records' `awsRegion`. @default 'us-east-1' */
  readonly region?: string;
  /** The function played (context and logs). @default a name per kind of poller */
  readonly fn?: FunctionIdentity;
  /** @default ignore */
  readonly log?: (line: string) => void;
}

/** A Lambda `Context` for one in-process invocation, with the remaining time counted from now. */
export const lambdaContext = (fn: FunctionIdentity): Context => {
  const deadline = Date.now() + (fn.timeoutSeconds ?? 3) * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn ?? `arn:aws:lambda:local:000000000000:function:${fn.name}`,
    memoryLimitInMB: '128',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
};
