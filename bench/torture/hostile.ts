import { isoAt, makeEvent, pick, seededRandom, shuffle } from '../../demo/lifecycle';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
import { executionOfItem, snapshotOf } from './compare';
import { deliverAll, type QueuedMessage } from './delivery';
import { generateEvents, type ScenarioOptions, type ScenarioResult, TORTURE_NOW_MS } from './scenarios';
import { createTortureStack } from './stack';

/**
 * The messages of R3: malformed and hostile input mixed with valid neighbours, each with what the
 * pipeline must do with it. Bodies are written as text where JSON.stringify cannot produce them
 * (`1e400`, integers above 2^53 kept digit for digit).
 */

/** What must become of a message. */
type Expectation =
  /** Quarantined with a reason; nothing stored from it. */
  | 'quarantine'
  /** Its event is stored in its execution. */
  | 'store'
  /** Stored or quarantined with a reason (the one-task flood past the per-execution cap, unstorable params). */
  | 'accounted'
  /** One of the two messages of an eventId conflict: exactly one of the pair is quarantined. */
  | 'conflict';

interface HostileMessage extends QueuedMessage {
  readonly category: string;
  readonly expect: Expectation;
  /** The event of a valid message (store, accounted, conflict). */
  readonly event?: TaskEvent;
}

const at = (offsetMs: number) => isoAt(TORTURE_NOW_MS + offsetMs);
const valid = (taskId: string, extra: Partial<TaskEvent> = {}) =>
  makeEvent({
    taskId,
    eventId: `${taskId}.e`,
    taskType: 'hostile_input',
    status: 'succeeded',
    occurredAt: at(-3_600_000),
    durationMs: 1_000,
    ...extra,
  });
const deep = (depth: number): unknown => (depth === 0 ? 'bottom' : { d: deep(depth - 1) });

/** Bodies that must be quarantined, by category; `i` makes each one unique. */
const BAD: Record<string, (i: number) => string> = {
  'not-json': (i) => [`{"version": 1, "eventId": "x${i}"`, `garbage ${i}`, '', 'null', '[]', `${i}`][i % 6]!,
  'wrong-types': (i) =>
    JSON.stringify({
      ...valid(`wt-${i}`),
      ...[{ attempt: 'one' }, { durationMs: '12' }, { taskId: i }, { status: 5 }, { params: [1, 2] }][i % 5],
    }),
  oversize: (i) =>
    JSON.stringify(
      i % 2 === 0
        ? valid(`ov-${i}`, { params: { blob: 'x'.repeat(EVENT_LIMITS.maxParamsBytes) } })
        : { ...valid(`ov-${i}`), padding: 'y'.repeat(EVENT_LIMITS.maxEventBytes) },
    ),
  'unknown-status': (i) =>
    JSON.stringify({ ...valid(`us-${i}`), status: ['exploded', 'done', 'SUCCEEDED'][i % 3] }),
  'far-future': (i) =>
    JSON.stringify(valid(`ff-${i}`, { occurredAt: i % 2 ? '2100-01-01T00:00:00Z' : at(3_600_000) })),
  'far-past': (i) =>
    JSON.stringify(valid(`fp-${i}`, { occurredAt: i % 2 ? '2000-01-01T00:00:00Z' : at(-15 * 86_400_000) })),
  'unstorable-number': (i) =>
    JSON.stringify(valid(`un-${i}`, { params: { amount: 0 } })).replace(
      '"amount":0',
      `"amount":${i % 2 ? '1e400' : '9007199254740993'}`,
    ),
  'deep-nesting': (i) => JSON.stringify(valid(`dn-${i}`, { params: { nested: deep(33 + (i % 5)) } })),
  'unicode-name': (i) => JSON.stringify(valid(`uc-${i}`, { taskType: `überweisung_${i % 3}` })),
  // A lone UTF-16 surrogate has no UTF-8 form, so DynamoDB cannot store it; the contract rejects it.
  'lone-surrogate': (i) =>
    JSON.stringify(valid(`ls-${i}`, { status: 'failed', error: { type: 'E', message: `lone \ud800 ${i}` } })),
};

/**
 * Categories the contract may accept if the stored form can hold them (issue 12 defect 5 allows
 * either: keep params storable, e.g. as a JSON string, or reject with a reason). Either way they must
 * never fail their batch or reach the DLQ.
 */
const STORABLE_OR_REJECTED = new Set(['unstorable-number', 'deep-nesting']);

/**
 * R3's messages, shuffled: `count` hostile ones (a quarter of them a flood of events for one taskId,
 * ending with its terminal event; a tenth eventId conflicts; the rest spread over the bad categories),
 * plus `count / 2` valid neighbours (lifecycles and unicode-rich events).
 */
const hostileMessages = (seed: number, count: number): HostileMessage[] => {
  const rand = seededRandom(seed);
  const out: HostileMessage[] = [];
  const add = (category: string, expect: Expectation, body: string, event?: TaskEvent) =>
    out.push({
      messageId: `r3-${category}-${out.length}`,
      body,
      sentAtMs: TORTURE_NOW_MS - 60_000 + out.length,
      category,
      expect,
      ...(event !== undefined && { event }),
    });
  // The flood: one task sends `flood` events; its terminal event must never be the one dropped.
  const flood = Math.max(2, Math.round(count / 4));
  for (let i = 0; i < flood; i++) {
    const last = i === flood - 1;
    const event = valid(`flood-${seed}`, {
      eventId: `flood-${seed}.${i}`,
      status: last ? 'succeeded' : 'started',
      attempt: last ? 1 : 1 + (i % 50),
      occurredAt: at(-3_600_000 + i),
    });
    add('one-task-flood', last ? 'store' : 'accounted', JSON.stringify(event), event);
  }
  // eventId conflicts: the same eventId with other content, both sent.
  const conflicts = Math.max(1, Math.round(count / 20));
  for (let i = 0; i < conflicts; i++) {
    const a = valid(`cf-${seed}-${i}`, { status: 'started', occurredAt: at(-7_200_000) });
    const b = {
      ...a,
      status: 'failed' as const,
      error: { type: 'Conflict', message: 'same eventId, other content' },
    };
    add('eventId-conflict', 'conflict', JSON.stringify(a), a);
    add('eventId-conflict', 'conflict', JSON.stringify(b), b);
  }
  const categories = Object.keys(BAD);
  for (let i = 0; out.length < count; i++) {
    const category = categories[i % categories.length]!;
    const body = BAD[category]!(i);
    if (STORABLE_OR_REJECTED.has(category)) add(category, 'accounted', body, JSON.parse(body) as TaskEvent);
    else add(category, 'quarantine', body);
  }
  // Valid neighbours: ordinary lifecycles and unicode in the free-text fields.
  for (const event of generateEvents(seed, Math.round(count / 4)))
    add('valid', 'store', JSON.stringify(event), event);
  const texts = ['Grüße 👋', 'مرحبا بالعالم', '漢字テスト', 'e\u0301 combining', 'zero\u200bwidth'];
  for (let i = 0; out.length < count + Math.round(count / 2); i++) {
    const text = pick(rand, texts);
    const event = valid(`uv-${seed}-${i}`, {
      status: 'failed',
      error: { type: 'UnicodeError', message: text },
      params: { note: text, n: i },
      dimensions: { marketplace: pick(rand, ['Zürich', 'São_Paulo', '東京']) },
    });
    add('valid-unicode', 'store', JSON.stringify(event), event);
  }
  return shuffle(rand, out);
};

/**
 * R3: hostile and malformed messages mixed with valid ones, shuffled and batched at random: no
 * invocation may crash, every bad message must be quarantined with a reason, every valid neighbour
 * stored, nothing may reach the DLQ, and the aggregates must count each stored finished execution once.
 */
export const runR3 = async (options: ScenarioOptions): Promise<ScenarioResult> => {
  const t0 = performance.now();
  const messages = hostileMessages(options.seed, options.events);
  const stack = await createTortureStack({ endpoint: options.endpoint, nowMs: TORTURE_NOW_MS });
  try {
    options.log?.(`R3: ${messages.length} messages, ${options.events} of them hostile`);
    const delivery = await deliverAll(stack.ingest, messages, {
      rand: seededRandom(options.seed + 5),
      batchSize: stack.batchSize,
      maxReceiveCount: stack.maxReceiveCount,
      concurrency: 4,
    });
    await stack.aggregate();
    const snapshot = await snapshotOf(stack);
    const failures = new Map<string, number>();
    const fail = (what: string) => failures.set(what, (failures.get(what) ?? 0) + 1);
    const storedIds = (event: TaskEvent | undefined) => {
      const item = event && snapshot.executions.get(event.taskId);
      if (item === undefined) return new Set<string>();
      return new Set(executionOfItem(item).events.map((e) => e.eventId));
    };
    const quarantinedWithReason = (m: HostileMessage) =>
      (snapshot.quarantine.get(m.messageId)?.reason ?? '') !== '';
    let lost = 0;
    const pairs = new Map<string, HostileMessage[]>();
    const unaccounted = new Map<string, number>();
    for (const m of messages) {
      const stored = storedIds(m.event).has(m.event?.eventId ?? '');
      const quarantined = quarantinedWithReason(m);
      if (m.expect === 'quarantine' && !quarantined) fail(`${m.category} not quarantined`);
      if (m.expect === 'store' && !stored) {
        lost++;
        fail(`${m.category} not stored`);
      }
      if (m.expect === 'accounted' && !stored && !quarantined) {
        // A flood event stored earlier may have been evicted to admit the task's terminal event past
        // the event cap; the execution counts those (`evictedEvents`). Anything beyond that is lost.
        const task = m.event?.taskId ?? '';
        unaccounted.set(task, (unaccounted.get(task) ?? 0) + 1);
      }
      if (m.expect === 'conflict') pairs.set(m.event!.eventId, [...(pairs.get(m.event!.eventId) ?? []), m]);
    }
    let evicted = 0;
    for (const [taskId, missing] of unaccounted) {
      const item = snapshot.executions.get(taskId);
      const evictedHere = Math.min(
        missing,
        item === undefined ? 0 : (executionOfItem(item).evictedEvents ?? 0),
      );
      evicted += evictedHere;
      for (let k = evictedHere; k < missing; k++) {
        lost++;
        fail('neither stored, evicted nor quarantined');
      }
    }
    for (const pair of pairs.values()) {
      if (pair.filter(quarantinedWithReason).length !== 1) fail('eventId conflict not quarantined');
    }
    const finished = [...snapshot.executions.values()].filter(
      (item) => executionOfItem(item).finishedAt !== undefined,
    ).length;
    const counted = [...snapshot.buckets]
      .filter(([key]) => !key.split('\n')[0]!.includes('|'))
      .reduce((sum, [, b]) => sum + (typeof b.n === 'number' ? b.n : 0), 0);
    const dlq = delivery.deadLettered.length;
    const byCategory = new Map<string, number>();
    for (const m of delivery.deadLettered) {
      const category = (m as HostileMessage).category;
      byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
    }
    const notes = [
      ...[...failures].map(([what, n]) => `${n} ${what}`),
      ...(evicted > 0
        ? [`${evicted} stored flood events evicted to admit the terminal event (counted in evictedEvents)`]
        : []),
      ...(dlq > 0 ? [`DLQ by category: ${[...byCategory].map(([c, n]) => `${c} ${n}`).join(', ')}`] : []),
      ...(counted !== finished
        ? [`aggregates count ${counted} finished executions, ${finished} stored`]
        : []),
    ];
    return {
      id: 'R3',
      title: 'malformed and hostile input',
      events: messages.length,
      lost,
      doubleCounted: Math.max(0, counted - finished),
      differences: [...failures.values()].reduce((a, b) => a + b, 0) + Math.abs(counted - finished),
      quarantined: snapshot.quarantine.size,
      dlq,
      crashes: delivery.crashes,
      pass: failures.size === 0 && dlq === 0 && delivery.crashes === 0 && counted === finished,
      notes,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    await stack.close();
  }
};
