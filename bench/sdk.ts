import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { CreateQueueCommand, DeleteQueueCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createTaskpulse, type SqsSender, type Taskpulse } from '../sdk/src/index';

/** Tracked calls measured (each emits two events). */
const CALLS = 2_000;
/** Calls run before measuring, to warm up the JIT, the client and the connection pool. */
const WARMUP_CALLS = 200;

/** One unit of "work": yields to the event loop once, as a real task doing I/O would. */
const task = async (n: number): Promise<number> => {
  await yieldToIo();
  return n;
};

const elapsedNs = (startedAt: bigint): number => Number(process.hrtime.bigint() - startedAt);

/** Accepts every entry at once: isolates the SDK's own cost from the AWS client's and the network's. */
const inMemorySqs: SqsSender = {
  send: async (command) => ({
    $metadata: {},
    Successful: (command.input.Entries ?? []).map((e) => ({
      Id: e.Id,
      MessageId: e.Id,
      MD5OfMessageBody: '',
    })),
    Failed: [],
  }),
};

/** Wall time (ns) and this process's CPU time (user + system, µs) of `CALLS` sequential calls of `run`. */
const timeCalls = async (
  run: (n: number) => Promise<unknown>,
): Promise<{ wallNs: number; cpuUs: number }> => {
  const cpuBefore = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  for (let n = 0; n < CALLS; n++) await run(n);
  const wallNs = elapsedNs(startedAt);
  const cpu = process.cpuUsage(cpuBefore);
  return { wallNs, cpuUs: cpu.user + cpu.system };
};

const trackTask = (taskpulse: Taskpulse) => (n: number) =>
  taskpulse.track('bench.task', { dimensions: { shard: `s${n % 4}` } }, () => task(n));

/**
 * Producer-side cost of the SDK against SQS on `endpoint` (moto_server in `npm run bench`):
 * - per-call overhead of `track()` over the bare task, in wall time and in this process's CPU time,
 *   while the SDK sends in the background (this includes the AWS client's signing and parsing, which
 *   share the producer's thread; wall time also includes moto competing for the same cores), and the
 *   same with an in-memory SQS that isolates the SDK's own cost (build, validate, serialize, batch);
 * - the producer process's whole CPU cost per tracked call once every event is delivered;
 * - messages per `SendMessageBatch` request, and how long the final flush took.
 *
 * The queue is purged every 100 ms while the benchmark runs: moto scans the whole queue for each
 * message it stores, and a growing queue would measure moto, not the SDK.
 */
export async function benchSdk(endpoint: string): Promise<Record<string, number | string>> {
  const sqs = new SQSClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `bench-sdk-${randomUUID().slice(0, 8)}` }),
  );
  const queueUrl = QueueUrl!;
  let purging = true;
  const purger = (async () => {
    while (purging) {
      await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const taskpulse = createTaskpulse({ queueUrl, sqs, source: 'bench' });

  try {
    for (let n = 0; n < WARMUP_CALLS; n++) {
      await task(n);
      await taskpulse.track('bench.warmup', {}, () => task(n));
    }
    await taskpulse.flush();
    const warm = taskpulse.stats;

    const bare = await timeCalls(task);
    const tracked = await timeCalls(trackTask(taskpulse));

    const flushCpuBefore = process.cpuUsage();
    const flushStart = process.hrtime.bigint();
    await taskpulse.flush();
    const flushNs = elapsedNs(flushStart);
    const flushCpu = process.cpuUsage(flushCpuBefore);

    const inMemory = createTaskpulse({ queueUrl, sqs: inMemorySqs, source: 'bench' });
    await timeCalls(trackTask(inMemory));
    const inMemoryRun = await timeCalls(trackTask(inMemory));
    await inMemory.close();

    const { stats } = taskpulse;
    const sent = stats.sent - warm.sent;
    const requests = stats.requests - warm.requests;
    const perCallUs = (value: number) => round(Math.max(0, value) / CALLS);
    return {
      'sdk.calls': CALLS,
      'sdk.bareTaskUsPerCall': perCallUs(bare.wallNs / 1_000),
      'sdk.trackedTaskUsPerCall': perCallUs(tracked.wallNs / 1_000),
      'sdk.trackOverheadUsPerCall': perCallUs((tracked.wallNs - bare.wallNs) / 1_000),
      'sdk.trackOverheadCpuUsPerCall': perCallUs(tracked.cpuUs - bare.cpuUs),
      'sdk.trackCpuUsPerCallWithDelivery': perCallUs(
        tracked.cpuUs - bare.cpuUs + flushCpu.user + flushCpu.system,
      ),
      'sdk.trackedCallsPerSecond': Math.round(CALLS / (tracked.wallNs / 1e9)),
      'sdk.trackOverheadUsPerCallInMemorySqs': perCallUs((inMemoryRun.wallNs - bare.wallNs) / 1_000),
      'sdk.trackOverheadCpuUsPerCallInMemorySqs': perCallUs(inMemoryRun.cpuUs - bare.cpuUs),
      'sdk.eventsSent': sent,
      'sdk.sendMessageBatchRequests': requests,
      'sdk.messagesPerRequest': round(requests === 0 ? 0 : sent / requests),
      'sdk.finalFlushMs': round(flushNs / 1e6),
      'sdk.dropped': stats.dropped,
      'sdk.retried': stats.retried,
    };
  } finally {
    await taskpulse.close();
    purging = false;
    await purger;
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    sqs.destroy();
  }
}

const round = (value: number): number => Math.round(value * 100) / 100;
