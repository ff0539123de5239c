import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { approximateCount, redrive } from '../../cli/ops/redrive';
import { makeEvent } from '../../demo/lifecycle';
import { EXECUTION_PK_PREFIX, executionKey } from '../../lambdas/shared/names/keys';
import { clientConfig } from '../../local/aws-config';
import { SqsEventSourcePoller } from '../../local/sqs-poller';
import { FaultInjector } from '../../test/support/faults';
import type { ScenarioOptions, ScenarioResult } from './scenarios';
import { TORTURE_NOW_MS } from './scenarios';
import { createTortureStack } from './stack';

/**
 * R4 on the real queues of the stack and the local SQS poller (the event source mapping's semantics):
 * a message whose execution write always fails (throttled by the fault injector) is received
 * `maxReceiveCount` times, then SQS (moto) moves it to the dead-letter queue while its neighbours are
 * stored; once the fault is gone, `taskpulse redrive`'s move brings it back and it is processed.
 */
export const runR4 = async (options: ScenarioOptions): Promise<ScenarioResult> => {
  const t0 = performance.now();
  const poisonTask = `poison-${options.seed}`;
  const faults = new FaultInjector({
    seed: options.seed,
    kinds: ['throttle'],
    select: (c) =>
      c.operation === 'PutItem' &&
      (c.input.Item as { pk?: { S?: string } })?.pk?.S === executionKey(poisonTask).pk,
  });
  const stack = await createTortureStack({
    endpoint: options.endpoint,
    nowMs: TORTURE_NOW_MS,
    ingestFaults: faults,
  });
  const sqs = stack.clients.sqs;
  const receivesOfPoison: number[] = [];
  const poller = new SqsEventSourcePoller({
    client: shortPolling(new SQSClient(clientConfig(stack.stack))),
    // No batching window: the receives follow each other at once (the window only groups messages).
    source: { ...stack.sqsSource, maximumBatchingWindowSeconds: 0 },
    handler: (event: SQSEvent) => {
      for (const r of event.Records)
        if (r.body.includes(poisonTask)) receivesOfPoison.push(Number(r.attributes.ApproximateReceiveCount));
      return stack.ingest(event);
    },
    retryVisibilitySeconds: 0,
    // Short polls (see `shortPolling`): each retry follows its failure at once.
    waitTimeSeconds: 0,
  });
  const notes: string[] = [];
  try {
    const at = new Date(TORTURE_NOW_MS - 60_000).toISOString();
    const events = [poisonTask, `neighbour-${options.seed}-1`, `neighbour-${options.seed}-2`].map((taskId) =>
      makeEvent({ taskId, eventId: `${taskId}.1`, status: 'succeeded', occurredAt: at, durationMs: 10 }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.eventsQueueUrl,
        Entries: events.map((e, i) => ({ Id: String(i), MessageBody: JSON.stringify(e) })),
      }),
    );
    options.log?.('R4: a poison message and two neighbours through the real queue');
    poller.start();
    await poller.waitIdle(120_000);
    const dlqAfterFailures = await approximateCount(sqs, stack.deadLetterQueueUrl);
    const receives = receivesOfPoison.length;
    const neighboursStored = [...(await storedTasks(stack))].filter((t) => t.startsWith('neighbour-')).length;
    if (receives !== stack.maxReceiveCount)
      notes.push(`poison received ${receives} times, not ${stack.maxReceiveCount}`);
    if (dlqAfterFailures !== 1)
      notes.push(`${dlqAfterFailures} messages in the DLQ after the failures, not 1`);
    if (neighboursStored !== 2) notes.push(`${neighboursStored} of 2 neighbours stored`);
    // The fault is fixed; the operator redrives.
    faults.enabled = false;
    // The one message the DLQ must hold (counted above): moving "all" would end with a long poll (1 s)
    // that finds nothing; the count after the redrive still shows anything left behind.
    const moved = await redrive({
      sqs,
      fromUrl: stack.deadLetterQueueUrl,
      toUrl: stack.eventsQueueUrl,
      max: 1,
    });
    await poller.waitIdle(60_000);
    const processed = (await storedTasks(stack)).has(poisonTask);
    const dlqAfter = await approximateCount(sqs, stack.deadLetterQueueUrl);
    if (moved.moved !== 1) notes.push(`redrive moved ${moved.moved} messages, not 1`);
    if (!processed) notes.push('the redriven message was not processed');
    if (dlqAfter !== 0) notes.push(`${dlqAfter} messages left in the DLQ after the redrive`);
    const problems = notes.length;
    notes.push(`poison receives before the DLQ: ${receives}; redrive moved ${moved.moved}`);
    return {
      id: 'R4',
      title: 'always-failing message: DLQ, redrive',
      events: events.length,
      lost: (processed ? 0 : 1) + (2 - neighboursStored),
      doubleCounted: 0,
      differences: problems,
      quarantined: 0,
      dlq: dlqAfterFailures,
      crashes: poller.stats().errors,
      pass: problems === 0,
      notes,
      faults: faults.report(),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    await poller.stop();
    await stack.close();
  }
};

/** Pause after a receive that came back empty, ms. */
const EMPTY_RECEIVE_PAUSE_MS = 20;

/**
 * A client for a short-polling SQS poller. moto_server's long poll wakes when a message is sent, not
 * when a failed one becomes visible again, so every retry of the poison message would wait out a whole
 * long poll (1 s, five times per run). Short polls see it at once; this client pauses after an empty
 * answer so an idle poller does not spin against the emulator.
 */
const shortPolling = (client: SQSClient): SQSClient => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const messages = (result.output as { Messages?: unknown[] }).Messages ?? [];
      if (context.commandName === 'ReceiveMessageCommand' && messages.length === 0)
        await sleep(EMPTY_RECEIVE_PAUSE_MS);
      return result;
    },
    { step: 'initialize', name: 'tortureEmptyReceivePause' },
  );
  return client;
};

const storedTasks = async (stack: Awaited<ReturnType<typeof createTortureStack>>): Promise<Set<string>> =>
  new Set(
    (await stack.scan(stack.historyTable))
      .filter((i) => String(i.pk).startsWith(EXECUTION_PK_PREFIX))
      .map((i) => String(i.pk).slice(EXECUTION_PK_PREFIX.length)),
  );
