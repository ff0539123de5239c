import { createHash } from 'node:crypto';

/**
 * Fault injection at the AWS SDK v3 client: a middleware added to a real client (DynamoDB, DynamoDB
 * Streams, SQS, SNS) that makes chosen calls fail the way the network and AWS make them fail, so tests
 * and the torture bench exercise the real stores and protocols against moto_server instead of mocks.
 *
 * Kinds of fault:
 * - `throttle`: the service refuses the call (DynamoDB `ProvisionedThroughputExceededException`,
 *   elsewhere `ThrottlingException`, HTTP 400); nothing happened on the server.
 * - `timeout`: the client gives up before the request is sent (`TimeoutError`); nothing happened.
 * - `reset`: the connection breaks before the request is sent (`ECONNRESET`); nothing happened.
 * - `lostAnswer`: the request is sent and the server applies it, then the answer is lost (a
 *   `TimeoutError` or `ECONNRESET`, drawn from the seed): the caller sees an error for a write that
 *   happened. This is the fault that breaks non-idempotent retries.
 *
 * Determinism: whether a call is hit, and by which kind, is a hash of the seed, the operation, the
 * request input and how many times this identical request was seen before, not a draw from a shared
 * stream. So the same seed injects the same faults into the same requests whatever order concurrent
 * calls happen to reach the client in (as long as the code under test sends the same requests).
 *
 * Written by hand because no library injects faults into the v3 SDK's middleware stack (aws-sdk-client-mock
 * replaces the client instead of letting the request through to the emulator).
 */

/** The kinds of fault the injector produces. */
const FAULT_KINDS = ['throttle', 'timeout', 'reset', 'lostAnswer'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One SDK call as the injector sees it (after the document client marshalled its input). */
export interface FaultCall {
  /** The SDK client's name, e.g. `DynamoDBClient`, `SQSClient`. */
  readonly client: string;
  /** The operation without the `Command` suffix, e.g. `PutItem`, `TransactWriteItems`, `SendMessage`. */
  readonly operation: string;
  /** The request input, marshalled (DynamoDB attribute values). */
  readonly input: Readonly<Record<string, unknown>>;
  /** How many times this identical request (operation and input) was seen before: 0 the first time. */
  readonly repeat: number;
}

/** How an injector chooses its faults. */
interface FaultPlan {
  /** Seed of every decision. */
  readonly seed: number;
  /**
   * Share of the selected calls that fail, 0..1. @default 1 when `select` is given, otherwise 0
   * (an injector with neither injects nothing until `plan` is changed).
   */
  readonly rate?: number;
  /** Kinds to draw from (evenly). @default all of `FAULT_KINDS` */
  readonly kinds?: readonly FaultKind[];
  /** Which calls may fail. @default every call */
  readonly select?: (call: FaultCall) => boolean;
  /**
   * The protocol step a call belongs to, for the counts. @default the operation, e.g. `UpdateItem`
   */
  readonly stepOf?: (call: FaultCall) => string;
}

/** Where the middleware sits relative to the SDK's own retries. */
export type FaultPlacement =
  /**
   * Outside the SDK's retry loop: every injected fault reaches the calling code, as if the SDK had
   * used up its attempts. The default: it tests our protocols, not the SDK's retries.
   */
  | 'caller'
  /**
   * Inside the retry loop, on the wire: the SDK retries throttling, timeouts and resets itself (a
   * `lostAnswer` then sends the same write twice, as a real SDK retry after a lost answer does).
   */
  | 'wire';

/** One count of `FaultInjector.report()`. */
export interface FaultCount {
  readonly kind: FaultKind;
  readonly step: string;
  readonly count: number;
}

/** An SDK error as the client would raise it (name, `$fault`, `$metadata`, and `code` for socket errors). */
const sdkError = (
  name: string,
  message: string,
  extra: { code?: string; fault?: 'client' | 'server'; status?: number } = {},
): Error =>
  Object.assign(new Error(message), {
    name,
    ...(extra.code !== undefined && { code: extra.code }),
    $fault: extra.fault ?? 'client',
    $metadata: { ...(extra.status !== undefined && { httpStatusCode: extra.status }), attempts: 1 },
    $injected: true,
  });

/** The error a call fails with for a fault kind (the `lostAnswer` error is drawn by `variant`). */
const faultError = (kind: FaultKind, client: string, variant = 0): Error => {
  switch (kind) {
    case 'throttle':
      return client === 'DynamoDBClient'
        ? sdkError(
            'ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput for the table was exceeded. (injected)',
            { status: 400 },
          )
        : sdkError('ThrottlingException', 'Rate exceeded (injected)', { status: 400 });
    case 'timeout':
      return sdkError('TimeoutError', 'Connection timed out after 1000 ms (injected)');
    case 'reset':
      return sdkError('Error', 'socket hang up (injected)', { code: 'ECONNRESET' });
    case 'lostAnswer':
      return variant % 2 === 0
        ? sdkError(
            'TimeoutError',
            'Socket timed out without establishing a connection (injected, after the request was applied)',
          )
        : sdkError('Error', 'read ECONNRESET (injected, after the request was applied)', {
            code: 'ECONNRESET',
          });
  }
};

/** True for an error the injector produced (tests use it to tell injected faults from real ones). */
export const isInjectedFault = (error: unknown): boolean =>
  (error as { $injected?: unknown } | undefined)?.$injected === true;

/** A uniform number in [0, 1) and a second independent integer, from the hash of the parts. */
const draw = (parts: readonly (string | number)[]): { u: number; n: number } => {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return { u: digest.readUInt32BE(0) / 4_294_967_296, n: digest.readUInt32BE(4) };
};

/** The minimal shape of an SDK v3 client the injector needs. */
interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { input: unknown }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { input: unknown }) => Promise<unknown>,
      options: { step: 'build' | 'finalizeRequest'; name: string; priority?: 'high' | 'normal' | 'low' },
    ): void;
  };
}

/**
 * Injects faults into the calls of the clients it is attached to, by a seeded plan, and counts them
 * per kind and step. Change `plan` or `enabled` at any time (e.g. to stop the faults and let the
 * pipeline recover).
 */
export class FaultInjector {
  /** When false, calls pass through untouched (and nothing is counted). */
  enabled = true;
  private readonly seen = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private calls = 0;

  constructor(public plan: FaultPlan) {}

  /** Add the middleware to a client; returns the client. One injector can serve many clients. */
  attach<C>(client: C, placement: FaultPlacement = 'caller'): C {
    (client as unknown as MiddlewareClient).middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.enabled) return next(args);
        const call = this.callOf(
          context.clientName ?? 'unknown',
          context.commandName ?? 'unknown',
          args.input,
        );
        const fault = this.decide(call);
        if (fault === undefined) return next(args);
        this.count(fault.kind, call);
        if (fault.kind !== 'lostAnswer') throw faultError(fault.kind, call.client);
        await next(args);
        throw faultError('lostAnswer', call.client, fault.variant);
      },
      placement === 'caller'
        ? { step: 'build', name: 'taskpulseFaultInjector' }
        : { step: 'finalizeRequest', name: 'taskpulseFaultInjector', priority: 'low' },
    );
    return client;
  }

  /** Calls seen while enabled. */
  get callsSeen(): number {
    return this.calls;
  }

  /** Faults injected, optionally only of one kind and/or step. */
  injected(kind?: FaultKind, step?: string): number {
    let total = 0;
    for (const { kind: k, step: s, count } of this.report()) {
      if ((kind === undefined || k === kind) && (step === undefined || s === step)) total += count;
    }
    return total;
  }

  /** Every non-zero count, sorted by step then kind. */
  report(): FaultCount[] {
    return [...this.counts.entries()]
      .map(([key, count]) => {
        const [kind, step] = key.split('\n') as [FaultKind, string];
        return { kind, step, count };
      })
      .sort((a, b) => a.step.localeCompare(b.step) || a.kind.localeCompare(b.kind));
  }

  /** Forget the counts (not the plan). */
  resetCounts(): void {
    this.counts.clear();
    this.calls = 0;
  }

  private callOf(client: string, commandName: string, input: unknown): FaultCall {
    const operation = commandName.replace(/Command$/, '');
    const identity = `${client}\n${operation}\n${JSON.stringify(input)}`;
    const repeat = this.seen.get(identity) ?? 0;
    this.seen.set(identity, repeat + 1);
    this.calls++;
    return { client, operation, input: (input ?? {}) as Record<string, unknown>, repeat };
  }

  private decide(call: FaultCall): { kind: FaultKind; variant: number } | undefined {
    const { seed, select, kinds = FAULT_KINDS } = this.plan;
    const rate = this.plan.rate ?? (select !== undefined ? 1 : 0);
    if (rate <= 0 || kinds.length === 0) return undefined;
    if (select !== undefined && !select(call)) return undefined;
    const { u, n } = draw([seed, call.client, call.operation, JSON.stringify(call.input), call.repeat]);
    if (u >= rate) return undefined;
    return { kind: kinds[n % kinds.length]!, variant: n >>> 16 };
  }

  private count(kind: FaultKind, call: FaultCall): void {
    const step = this.plan.stepOf?.(call) ?? call.operation;
    const key = `${kind}\n${step}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}
