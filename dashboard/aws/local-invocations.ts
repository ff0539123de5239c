import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sentByDocumentClient, storedReadItems } from '../../lambdas/shared/aws/item-size';
import { type DynamoRequestRecord, type InvocationRecord, requestUnitsOf } from './service-metrics';

/**
 * The tap local mode's runtime puts on every handler it invokes (`observeHandler`, one line in
 * `local/runtime.ts`), and on the DynamoDB requests those handlers make: the local runtime plays
 * Lambda and the event source mappings, so it is where AWS/Lambda, AWS/SQS and AWS/DynamoDB would be
 * measured. Listeners (the dashboard's `EmfCapture`) turn the records into metrics; without a listener
 * the tap only times the call.
 */

/** Receives what the functions did. */
export interface LocalActivityListener {
  invocation(record: InvocationRecord): void;
  dynamoRequest(record: DynamoRequestRecord): void;
}

/**
 * The tap's state, one per process on `globalThis`: it patches a class shared by every copy of this
 * module, and a test runner that resets modules loads a second copy, which must not tap clients twice.
 * `running`: the function whose invocation is running (requests outside one are not the functions').
 */
interface TapState {
  readonly listeners: Set<LocalActivityListener>;
  readonly running: AsyncLocalStorage<string>;
  readonly inFlight: Map<string, number>;
  readonly tapped: WeakSet<object>;
  readonly patched: { done: boolean };
}
const STATE_KEY = Symbol.for('taskpulse.localActivity');
const store = globalThis as { [STATE_KEY]?: TapState };
store[STATE_KEY] ??= {
  listeners: new Set(),
  running: new AsyncLocalStorage(),
  inFlight: new Map(),
  tapped: new WeakSet(),
  patched: { done: false },
};
const { listeners, running, inFlight, tapped, patched } = store[STATE_KEY];

/** Wrap a handler so each invocation is reported to the listeners. */
export const observeHandler = <H extends (event: never, context: never) => Promise<unknown>>(
  functionName: string,
  handler: H,
): H =>
  (async (event: never, context: never) => {
    const concurrent = (inFlight.get(functionName) ?? 0) + 1;
    inFlight.set(functionName, concurrent);
    const startMs = Date.now();
    const started = performance.now();
    let response: unknown;
    let error = false;
    try {
      response = await running.run(functionName, () => handler(event, context));
      return response;
    } catch (thrown) {
      error = true;
      throw thrown;
    } finally {
      inFlight.set(functionName, (inFlight.get(functionName) ?? 1) - 1);
      const record = {
        functionName,
        startMs,
        durationMs: performance.now() - started,
        error,
        concurrent,
        event,
        response,
      };
      for (const l of listeners) l.invocation(record);
    }
  }) as H;

/**
 * `observeHandler` for a function of the stack by construct id, for handlers local mode serves outside
 * the runtime (the read API behind its loopback server).
 */
export const tapOf =
  (stack: { readonly functions: readonly { constructId: string; name: string }[] }, constructId: string) =>
  <H>(handler: H): H =>
    observeHandler(
      stack.functions.find((f) => f.constructId === constructId)?.name ?? constructId,
      handler as (event: never, context: never) => Promise<unknown>,
    ) as H;

/** How a failed request counts in DynamoDB's metrics, by the error's name and fault. */
const outcomeOf = (error: unknown): DynamoRequestRecord['outcome'] | undefined => {
  const e = error as { name?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (e.$metadata?.httpStatusCode === undefined) return undefined; // never reached the service
  if (/Throughput|Throttl|RequestLimitExceeded/.test(e.name ?? '')) return 'throttled';
  if (e.name === 'ConditionalCheckFailedException' || e.name === 'TransactionCanceledException')
    return 'condition-failed';
  return e.$fault === 'server' ? 'system-error' : 'user-error';
};

/** Add the request tap to a DynamoDB client's middleware stack (once per stack). */
const tapStack = (stack: DynamoDBClient['middlewareStack']) => {
  if (tapped.has(stack)) return;
  tapped.add(stack);
  stack.add(
    (next, context) => async (args) => {
      if (running.getStore() === undefined || listeners.size === 0) return next(args);
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      const atMs = Date.now();
      const started = performance.now();
      const report = (outcome: DynamoRequestRecord['outcome'], output: unknown) => {
        const latencyMs = performance.now() - started;
        for (const units of requestUnitsOf(
          operation,
          input,
          storedReadItems(output, sentByDocumentClient(context)),
          outcome,
        ))
          for (const l of listeners) l.dynamoRequest({ ...units, operation, atMs, latencyMs, outcome });
      };
      try {
        const result = await next(args);
        report('ok', result.output);
        return result;
      } catch (error) {
        const outcome = outcomeOf(error);
        if (outcome !== undefined) report(outcome, undefined);
        throw error;
      }
    },
    { step: 'build', name: 'taskpulseLocalServiceMetrics' },
  );
};

/**
 * Tap every DynamoDB client in this process, including the ones the handlers build at import: the
 * SDK has no process-wide middleware, so the shared `send` of its client base class adds the tap to a
 * DynamoDB client's stack on first use (the document client shares its client's stack).
 */
const tapDynamoClients = () => {
  if (patched.done) return;
  patched.done = true;
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as {
    send: (this: { config?: { serviceId?: string }; middlewareStack: object }, ...args: unknown[]) => unknown;
  };
  const send = base.send;
  base.send = function (this: { config?: { serviceId?: string }; middlewareStack: object }, ...args) {
    if (this.config?.serviceId === 'DynamoDB')
      tapStack(this.middlewareStack as DynamoDBClient['middlewareStack']);
    return send.apply(this, args);
  };
};

/** Receive what the functions do until the returned function is called. */
export const onLocalActivity = (listener: LocalActivityListener): (() => void) => {
  tapDynamoClients();
  listeners.add(listener);
  return () => listeners.delete(listener);
};
