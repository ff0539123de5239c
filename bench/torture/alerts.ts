import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { BASE_TIME_MS, makeLifecycle, seededRandom, shuffle } from '../../demo/lifecycle';
import { NOTIFICATION_KIND } from '../../lambdas/domain/rules/rule';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { deliverAll } from './delivery';
import { messagesOf, type ScenarioOptions, type ScenarioResult, TORTURE_NOW_MS } from './scenarios';
import { createTortureStack, type TortureStack } from './stack';

/**
 * R6: a burst of failures of one task type within an hour, the monitor run by duplicated schedules
 * (EventBridge delivers at least once: two invocations at the same instant, plus the next regular one),
 * then recovery. The monitor runs must hand SNS exactly one ALARM and, after recovery, exactly one OK,
 * and an SQS queue subscribed to the stack's alert topic must receive each of them. SNS delivers at least
 * once, and the SDK may retry a Publish whose answer was lost (seen on a loaded machine): the subscriber
 * can then get the same notification twice, with the same `notificationId`, which consumers drop; so
 * what arrived is counted by `notificationId`, what was sent at the publisher.
 */

const TASK_TYPE = 'charge_card';
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** `count` runs of one type, spread evenly over an hour from `startMs`, 1 s each. */
const runsOf = (
  seed: number,
  prefix: string,
  count: number,
  startMs: number,
  outcome: 'failed' | 'succeeded',
) =>
  Array.from({ length: count }, (_, i) =>
    makeLifecycle({
      taskId: `${prefix}-${seed}-${i}`,
      taskType: TASK_TYPE,
      startMs: startMs + Math.floor((i * HOUR) / count),
      enqueued: false,
      runMs: 1_000,
      outcome,
      error: { type: 'CardDeclined', message: 'the issuer declined the charge' },
    }),
  )
    .flat()
    .map((e, i) => ({ ...e, eventId: `${prefix}-${seed}.${i}` }));

/** An SQS queue subscribed to the alert topic; `take` returns the notification kinds received since. */
const subscribeInbox = async (stack: TortureStack) => {
  const { sqs, sns } = stack.clients;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${stack.stack.stackName}-inbox` }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn: stack.alertTopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
  );
  return async (): Promise<{ kind: string; rule: string; id: string }[]> => {
    const out: { kind: string; rule: string; id: string }[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return out;
      for (const m of Messages) {
        const attributes = (
          JSON.parse(m.Body ?? '{}') as { MessageAttributes?: Record<string, { Value: string }> }
        ).MessageAttributes;
        out.push({
          kind: attributes?.kind?.Value ?? '?',
          rule: attributes?.rule?.Value ?? '?',
          id: attributes?.notificationId?.Value ?? m.MessageId ?? '?',
        });
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  };
};

export const runR6 = async (options: ScenarioOptions): Promise<ScenarioResult> => {
  const t0 = performance.now();
  const { seed } = options;
  const failures = options.events;
  const start = BASE_TIME_MS;
  const stack = await createTortureStack({
    endpoint: options.endpoint,
    nowMs: TORTURE_NOW_MS,
    dimensions: [],
  });
  const notes: string[] = [];
  let monitorErrors = 0;
  /** Scheduled runs at these instants, each delivered twice at once, as a duplicated schedule does. */
  const scheduledRuns = async (times: readonly number[]) => {
    for (const at of times) {
      const outcomes = await Promise.allSettled([stack.monitor(at), stack.monitor(at)]);
      monitorErrors += outcomes.filter((o) => o.status === 'rejected').length;
    }
  };
  const ingest = async (events: readonly TaskEvent[], prefix: string) => {
    const rand = seededRandom(seed);
    const delivery = await deliverAll(stack.ingest, shuffle(rand, messagesOf(events, prefix)), {
      rand,
      batchSize: stack.batchSize,
      maxReceiveCount: stack.maxReceiveCount,
      concurrency: 4,
    });
    await stack.aggregate();
    return delivery;
  };
  try {
    const take = await subscribeInbox(stack);
    const burst = [
      ...runsOf(seed, 'fail', failures, start, 'failed'),
      ...runsOf(seed, 'ok', Math.ceil(failures / 4), start, 'succeeded'),
    ];
    options.log?.(`R6: ${failures} failures of ${TASK_TYPE} in one hour, monitor runs duplicated`);
    const first = await ingest(burst, `r6a-${seed}`);
    await scheduledRuns([start + HOUR + MINUTE, start + HOUR + 6 * MINUTE]);
    const duringAlarm = await take();
    const publishedDuringAlarm = stack.published();
    const recovery = runsOf(
      seed,
      'recover',
      Math.max(20, Math.ceil(failures / 2)),
      start + HOUR + 10 * MINUTE,
      'succeeded',
    );
    const second = await ingest(recovery, `r6b-${seed}`);
    await scheduledRuns([
      start + 2 * HOUR + 15 * MINUTE,
      start + 2 * HOUR + 20 * MINUTE,
      start + 2 * HOUR + 25 * MINUTE,
    ]);
    const afterRecovery = await take();
    const publishedAfterRecovery = stack.published().slice(publishedDuringAlarm.length);
    const sent = (list: readonly string[], kind: string) => list.filter((k) => k === kind).length;
    /** Distinct notifications of a kind that arrived (a redelivery has the same `notificationId`). */
    const count = (list: { kind: string; id: string }[], kind: string) =>
      new Set(list.filter((n) => n.kind === kind).map((n) => n.id)).size;
    const all = [...duringAlarm, ...afterRecovery];
    const alarms = count(all, NOTIFICATION_KIND.alarm);
    const oks = count(all, NOTIFICATION_KIND.ok);
    if (sent(publishedDuringAlarm, NOTIFICATION_KIND.alarm) !== 1)
      notes.push(
        `${sent(publishedDuringAlarm, NOTIFICATION_KIND.alarm)} ALARM notifications sent while failing, not 1`,
      );
    if (count(duringAlarm, NOTIFICATION_KIND.alarm) !== 1)
      notes.push(
        `${count(duringAlarm, NOTIFICATION_KIND.alarm)} ALARM notifications arrived while failing, not 1`,
      );
    if (count(duringAlarm, NOTIFICATION_KIND.ok) !== 0) notes.push('an OK arrived while still failing');
    if (sent(publishedAfterRecovery, NOTIFICATION_KIND.ok) !== 1)
      notes.push(
        `${sent(publishedAfterRecovery, NOTIFICATION_KIND.ok)} OK notifications sent after recovery, not 1`,
      );
    if (count(afterRecovery, NOTIFICATION_KIND.ok) !== 1)
      notes.push(
        `${count(afterRecovery, NOTIFICATION_KIND.ok)} OK notifications arrived after recovery, not 1`,
      );
    if (count(afterRecovery, NOTIFICATION_KIND.alarm) !== 0) notes.push('an ALARM arrived after recovery');
    const other = all.filter((n) => n.kind !== NOTIFICATION_KIND.alarm && n.kind !== NOTIFICATION_KIND.ok);
    if (other.length > 0)
      notes.push(`other notifications: ${other.map((n) => `${n.kind} ${n.rule}`).join(', ')}`);
    const problems = notes.length;
    notes.push(
      `received ${alarms} ALARM, ${oks} OK (${[...new Set(all.map((n) => n.rule))].join(', ') || 'no rule'}); ${monitorErrors} of 10 monitor invocations failed`,
    );
    const dlq = first.deadLettered.length + second.deadLettered.length;
    return {
      id: 'R6',
      title: `${failures} failures/h, duplicated monitor runs`,
      events: burst.length + recovery.length,
      lost: 0,
      doubleCounted: Math.max(0, alarms - 1) + Math.max(0, oks - 1),
      differences: problems,
      quarantined: 0,
      dlq,
      crashes: first.crashes + second.crashes,
      pass: problems === 0 && dlq === 0,
      notes,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    await stack.close();
  }
};
