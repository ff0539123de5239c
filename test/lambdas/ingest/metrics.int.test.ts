import { describe, expect, it, vi } from 'vitest';
import { type Execution, mergeEvents } from '../../../lambdas/domain/execution';
import type { IngestOutcome } from '../../../lambdas/ingest/ingest-batch';
import {
  createMetricsPublisher,
  emfTimestampOf,
  formatMetricsLine,
  MAX_VALUES_PER_METRIC,
  type MetricRecord,
  metricsConfigFromEnv,
  observeMetricRecords,
  toMetricRecords,
} from '../../../lambdas/ingest/metrics';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import {
  DEFAULT_METRICS_NAMESPACE,
  EMF_TIMESTAMP_WINDOW,
  INGEST_METRIC_NAMES,
  UNIT_OF,
} from '../../../lambdas/shared/names/metrics';
import { captureIngestEmf, emfProblems } from '../../infra/support/emf';
import { BASE_TIME_MS, isoAt, makeEvent, makeLifecycle } from '../../support/events';
import { outcomeOf } from '../../support/outcomes';

const MINUTE = 60_000;
const NOW = BASE_TIME_MS + 10 * MINUTE;

const recordsOf = (accepted: TaskEvent[], extra: Partial<IngestOutcome> = {}, dimensionKeys: string[] = []) =>
  toMetricRecords(outcomeOf(accepted, extra), { stage: 'test', nowMs: NOW, dimensionKeys });

const taskRecords = (records: MetricRecord[]) =>
  records.filter((r) => r.dimensionSets[0]?.TaskType !== undefined);
const valuesOf = (record: MetricRecord | undefined, name: string) =>
  record?.metrics.find((m) => m.name === name)?.values;

describe('toMetricRecords', () => {
  it('groups events by task type and minute of occurredAt, stamped with that minute', () => {
    // Prepare
    const events = [
      makeEvent({ taskId: 't1', taskType: 'a', status: 'enqueued', occurredAt: isoAt(BASE_TIME_MS + 5_000) }),
      makeEvent({ taskId: 't2', taskType: 'a', status: 'started', occurredAt: isoAt(BASE_TIME_MS + 50_000) }),
      makeEvent({
        taskId: 't3',
        taskType: 'a',
        status: 'started',
        occurredAt: isoAt(BASE_TIME_MS + MINUTE + 1),
      }),
      makeEvent({ taskId: 't4', taskType: 'b', status: 'failed', occurredAt: isoAt(BASE_TIME_MS + 7_000) }),
    ];

    // Act
    const records = taskRecords(recordsOf(events));

    // Assess
    expect(records.map((r) => [r.dimensionSets[0]?.TaskType, r.timestampMs])).toEqual([
      ['a', BASE_TIME_MS],
      ['a', BASE_TIME_MS + MINUTE],
      ['b', BASE_TIME_MS],
    ]);
    expect(valuesOf(records[0], 'Enqueued')).toEqual([1]);
    expect(valuesOf(records[0], 'Started')).toEqual([1]);
    expect(valuesOf(records[0], 'Failed')).toEqual([0]);
    expect(valuesOf(records[2], 'Failed')).toEqual([1]);
  });

  it('publishes under [Stage, TaskType], [Stage] and one set per configured dimension key only', () => {
    const events = [makeEvent({ taskType: 'a', dimensions: { marketplace: 'DE', tenant: 't-1' } })];

    const [record] = taskRecords(recordsOf(events, {}, ['marketplace']));

    expect(record?.dimensionSets).toEqual([
      { Stage: 'test', TaskType: 'a' },
      { Stage: 'test' },
      { Stage: 'test', TaskType: 'a', marketplace: 'DE' },
    ]);
  });

  it('keeps events with different configured dimension values in different records', () => {
    const events = [
      makeEvent({ taskId: 't1', taskType: 'a', dimensions: { marketplace: 'DE' } }),
      makeEvent({ taskId: 't2', taskType: 'a', dimensions: { marketplace: 'FR' } }),
      makeEvent({ taskId: 't3', taskType: 'a' }),
    ];

    const records = taskRecords(recordsOf(events, {}, ['marketplace']));

    expect(records.map((r) => r.dimensionSets.length)).toEqual([3, 3, 2]);
    expect(records.flatMap((r) => valuesOf(r, 'Started'))).toEqual([1, 1, 1]);
  });

  it('measures run time from durationMs, else from the start in the same batch', () => {
    const withDuration = makeLifecycle({ taskId: 't1', taskType: 'a', runMs: 2_000 });
    const withoutDuration = makeLifecycle({ taskId: 't2', taskType: 'b', runMs: 3_000, withDuration: false });
    const lonelyTerminal = makeEvent({ taskId: 't3', taskType: 'c', status: 'succeeded' });

    const records = taskRecords(recordsOf([...withDuration, ...withoutDuration, lonelyTerminal]));
    const byType = (t: string) => records.filter((r) => r.dimensionSets[0]?.TaskType === t);

    expect(byType('a').flatMap((r) => valuesOf(r, 'RunTime') ?? [])).toEqual([2_000]);
    expect(byType('b').flatMap((r) => valuesOf(r, 'RunTime') ?? [])).toEqual([3_000]);
    expect(byType('c').flatMap((r) => valuesOf(r, 'RunTime') ?? [])).toEqual([]);
  });

  it('measures wait time from enqueued to the first start when both are in the batch', () => {
    const events = makeLifecycle({ taskType: 'a', waitMs: 1_500, attempts: 2 });
    const startedOnly = makeLifecycle({ taskType: 'b', enqueued: false });

    const records = taskRecords(recordsOf([...events, ...startedOnly]));
    const waits = (t: string) =>
      records.filter((r) => r.dimensionSets[0]?.TaskType === t).flatMap((r) => valuesOf(r, 'WaitTime') ?? []);

    expect(waits('a')).toEqual([1_500]);
    expect(waits('b')).toEqual([]);
  });

  it('measures ingest lag as now − occurredAt for every event', () => {
    const event = makeEvent({ occurredAt: isoAt(NOW - 4_321) });

    const [record] = taskRecords(recordsOf([event]));

    expect(valuesOf(record, 'IngestLag')).toEqual([4_321]);
  });

  it('counts an event delivered twice in one batch once', () => {
    const event = makeEvent({ status: 'failed' });

    const [record] = taskRecords(recordsOf([event, { ...event }]));

    expect(valuesOf(record, 'Failed')).toEqual([1]);
  });

  it('clamps timestamps into the window CloudWatch accepts', () => {
    expect(emfTimestampOf(NOW - 15 * 86_400_000, NOW)).toBe(NOW - EMF_TIMESTAMP_WINDOW.maxPastMs);
    expect(emfTimestampOf(NOW + 3 * 3_600_000, NOW)).toBe(NOW + EMF_TIMESTAMP_WINDOW.maxFutureMs);
    expect(emfTimestampOf(BASE_TIME_MS + 59_999, NOW)).toBe(BASE_TIME_MS);
  });

  it('splits a group so no metric carries more than 100 values, counting statuses once', () => {
    const events = Array.from({ length: 250 }, (_, i) =>
      makeEvent({ taskId: `t${i}`, status: 'succeeded', durationMs: i, occurredAt: isoAt(BASE_TIME_MS + i) }),
    );

    const records = taskRecords(recordsOf(events));

    expect(records).toHaveLength(3);
    for (const r of records)
      for (const m of r.metrics) expect(m.values.length).toBeLessThanOrEqual(MAX_VALUES_PER_METRIC);
    expect(records.flatMap((r) => valuesOf(r, 'Succeeded') ?? [])).toEqual([250]);
    expect(records.flatMap((r) => valuesOf(r, 'RunTime') ?? [])).toHaveLength(250);
  });

  it('ends with the pipeline record and one quarantine record per reason, stamped now', () => {
    const records = recordsOf([makeEvent()], {
      quarantined: [
        { messageId: 'm1', rejection: { code: 'schema', reason: 'x' } },
        { messageId: 'm2', rejection: { code: 'schema', reason: 'y' } },
        { messageId: 'm3', rejection: { code: 'not-json', reason: 'z' } },
      ],
      failedMessageIds: ['m4'],
      duplicates: 1,
    });

    const [pipeline, ...reasons] = records.slice(1);
    expect(pipeline?.timestampMs).toBe(NOW);
    expect(pipeline?.dimensionSets).toEqual([{ Stage: 'test' }]);
    expect(Object.fromEntries(pipeline?.metrics.map((m) => [m.name, m.values[0]]) ?? [])).toEqual({
      EventsAccepted: 1,
      Quarantined: 3,
      Duplicates: 1,
      RecordsRetried: 1,
    });
    expect(reasons.map((r) => [r.dimensionSets[0]?.Reason, valuesOf(r, 'Quarantined')])).toEqual([
      ['not-json', [1]],
      ['schema', [2]],
    ]);
  });

  it('uses only names and units of the shared module', () => {
    const records = recordsOf(makeLifecycle({ attempts: 2, outcome: 'failed' }), {
      quarantined: [{ messageId: 'm', rejection: { code: 'clock', reason: 'x' } }],
    });
    for (const r of records)
      for (const m of r.metrics) {
        expect(INGEST_METRIC_NAMES).toContain(m.name);
        expect(m.unit).toBe(UNIT_OF[m.name]);
      }
  });
});

describe('toMetricRecords: counts what was stored, not what was delivered', () => {
  const at = (ms: number) => isoAt(BASE_TIME_MS + ms);
  const merged = (before: Execution | undefined, events: TaskEvent[]): Execution => {
    const result = mergeEvents(before, events);
    if (!result.changed) throw new Error('expected a change');
    return result.execution;
  };
  const countsOf = (records: MetricRecord[]) => {
    const out: Record<string, number> = {};
    for (const r of taskRecords(records))
      for (const m of r.metrics)
        if (m.unit === 'Count')
          out[`${m.name}@${r.timestampMs - BASE_TIME_MS}`] =
            (out[`${m.name}@${r.timestampMs - BASE_TIME_MS}`] ?? 0) + m.values[0]!;
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== 0));
  };

  it('counts nothing for a redelivered batch that wrote nothing', () => {
    // Prepare: the events were accepted again, but no execution changed.
    const events = makeLifecycle({ taskType: 'a' });

    // Act
    const records = recordsOf(events, { changes: [], duplicates: events.length });

    // Assess
    expect(taskRecords(records)).toEqual([]);
  });

  it('measures wait time from the stored execution when enqueued and started arrive in different batches', () => {
    // Prepare
    const [enqueued, started] = makeLifecycle({ taskType: 'a', waitMs: 1_500, outcome: 'running' });
    const before = merged(undefined, [enqueued!]);
    const after = merged(before, [started!]);

    // Act
    const records = recordsOf([started!], { changes: [{ before, after }] });

    // Assess
    expect(taskRecords(records).flatMap((r) => valuesOf(r, 'WaitTime') ?? [])).toEqual([1_500]);
    expect(countsOf(records)).toEqual({ 'Started@0': 1 });
  });

  it('retracts a terminal count a later write undoes, so the counts telescope to the final state', () => {
    // Prepare: attempt 1 fails; then attempt 2 starts (the run is open again) and later succeeds.
    const failed = makeEvent({ taskType: 'a', status: 'failed', attempt: 1, occurredAt: at(0) });
    const restarted = makeEvent({ taskType: 'a', status: 'started', attempt: 2, occurredAt: at(MINUTE) });
    const succeeded = makeEvent({
      taskType: 'a',
      status: 'succeeded',
      attempt: 2,
      occurredAt: at(2 * MINUTE),
    });
    const x1 = merged(undefined, [failed]);
    const x2 = merged(x1, [restarted]);
    const x3 = merged(x2, [succeeded]);

    // Act
    const writes = [
      recordsOf([failed], { changes: [{ before: undefined, after: x1 }] }),
      recordsOf([restarted], { changes: [{ before: x1, after: x2 }] }),
      recordsOf([succeeded], { changes: [{ before: x2, after: x3 }] }),
    ];

    // Assess
    expect(countsOf(writes[1]!)).toEqual({ 'Failed@0': -1, 'Started@60000': 1 });
    expect(countsOf(writes.flat())).toEqual({ 'Started@60000': 1, 'Succeeded@120000': 1 });
  });
});

describe('formatMetricsLine', () => {
  it('prints one compact segment per task type and one for the pipeline', () => {
    const records = recordsOf(
      [
        ...makeLifecycle({ taskType: 'send_invoice', runMs: 2_000, waitMs: 1_500 }),
        ...makeLifecycle({ taskType: 'send_invoice', outcome: 'failed', runMs: 4_000, waitMs: 500 }),
        ...makeLifecycle({ taskType: 'resize_image', enqueued: false, outcome: 'running' }),
      ],
      { quarantined: [{ messageId: 'm', rejection: { code: 'schema', reason: 'x' } }] },
    );

    const line = formatMetricsLine(records);

    expect(line).toMatch(
      /^resize_image: 1 started, lag p95 \d+(ms|\.\ds) \| send_invoice: 2 enqueued, 2 started, 1 succeeded, 1 failed \(50\.0% failed\), run p95 4000ms, wait p95 1500ms, lag p95 .+ \| pipeline: 7 accepted, 1 quarantined$/,
    );
    expect(line).not.toContain('\n');
  });

  it('is empty for no records', () => {
    expect(formatMetricsLine([])).toBe('');
  });
});

describe('createMetricsPublisher', () => {
  it('never throws into the batch when emitting fails, and logs why', () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const broken = {
      addDimensions: () => {
        throw new Error('boom');
      },
    } as never;
    const publish = createMetricsPublisher(
      { namespace: 'X', stage: 'test', dimensionKeys: [] },
      { metrics: broken, logger, now: () => NOW },
    );

    expect(() => publish(outcomeOf([makeEvent()]))).not.toThrow();
    expect(logger.error).toHaveBeenCalledWith('ingest metrics could not be emitted', expect.any(Error));
  });

  it('emits overlapping dimension sets without Powertools warnings', () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const publish = createMetricsPublisher(
        { namespace: 'X', stage: 'test', dimensionKeys: ['marketplace'] },
        { logger, now: () => Date.now() },
      );
      publish(outcomeOf([makeEvent({ occurredAt: isoAt(Date.now()), dimensions: { marketplace: 'DE' } })]));
    } finally {
      write.mockRestore();
    }
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('lets local mode observe the records, even with EMF output disabled', () => {
    const seen: MetricRecord[] = [];
    const stop = observeMetricRecords((records) => seen.push(...records));
    const previous = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const write = vi.spyOn(process.stdout, 'write');
    try {
      const publish = createMetricsPublisher({ namespace: 'X', stage: 'test', dimensionKeys: [] });
      publish(outcomeOf([makeEvent({ occurredAt: isoAt(Date.now()), status: 'succeeded' })]));
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
      stop();
      if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = previous;
    }
    expect(formatMetricsLine(seen)).toMatch(
      /^send_invoice: 1 succeeded \(0\.0% failed\), lag p95 \d+ms \| pipeline: 1 accepted, 0 quarantined$/,
    );
  });

  it('reads namespace, stage and dimension keys from the environment, with defaults', () => {
    expect(metricsConfigFromEnv({})).toEqual({
      namespace: DEFAULT_METRICS_NAMESPACE,
      stage: 'dev',
      dimensionKeys: [],
    });
    expect(
      metricsConfigFromEnv({
        TASKPULSE_METRICS_NAMESPACE: 'Acme',
        TASKPULSE_STAGE: 'prod',
        TASKPULSE_AGGREGATE_DIMENSIONS: 'marketplace, tenant',
      }),
    ).toEqual({ namespace: 'Acme', stage: 'prod', dimensionKeys: ['marketplace', 'tenant'] });
  });
});

describe('ingest handler EMF output', () => {
  it('is valid EMF with only the shared module names, back-dated to the event minute', async () => {
    // Prepare
    const start = Date.now() - 30 * MINUTE;
    const events = [
      ...makeLifecycle({
        taskType: 'send_invoice',
        startMs: start,
        dimensions: { marketplace: 'DE', other: 'x' },
      }),
      ...makeLifecycle({ taskType: 'resize_image', startMs: start, outcome: 'failed' }),
    ];

    // Act
    const { documents, response } = await captureIngestEmf(events, {
      stage: 'test',
      dimensionKeys: 'marketplace',
      extraBodies: ['not json at all'],
    });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(documents.length).toBeGreaterThanOrEqual(4);
    const allowed = new Set<string>(INGEST_METRIC_NAMES);
    for (const doc of documents) {
      expect(emfProblems(doc)).toEqual([]);
      const [directive] = doc._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe(DEFAULT_METRICS_NAMESPACE);
      for (const m of directive?.Metrics ?? []) {
        expect(allowed.has(m.Name), m.Name).toBe(true);
        expect(m.Unit).toBe(UNIT_OF[m.Name as keyof typeof UNIT_OF]);
      }
      for (const set of directive?.Dimensions ?? []) {
        expect(set[0]).toBe('Stage');
        expect(set).not.toContain('other');
        expect(set).not.toContain('service');
      }
    }
    const taskDocs = documents.filter((d) => typeof d.TaskType === 'string');
    expect(taskDocs.length).toBeGreaterThanOrEqual(2);
    for (const d of taskDocs) expect(d._aws.Timestamp % MINUTE).toBe(0);
    expect(taskDocs.every((d) => d._aws.Timestamp <= start + MINUTE)).toBe(true);
    const quarantined = documents.find((d) => d.Reason === 'not-json');
    expect(quarantined?.Quarantined).toBe(1);
  });
});
