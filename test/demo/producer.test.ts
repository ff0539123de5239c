import { describe, expect, it } from 'vitest';
import {
  burstTypeAt,
  DEFAULT_BURSTS,
  DEMO_TASK_TYPES,
  type DemoTaskType,
  describeBursts,
  malformedMessage,
  planTask,
} from '../../demo/producer';
import { SLOW_DEFAULTS } from '../../lambdas/domain/rules/slow';
import { parseTaskEvent } from '../../lambdas/shared/contract/event';
import { seededRandom } from '../support/events';

const NOW = Date.now();

describe('planTask', () => {
  it('plans only events the contract accepts, with a realistic mix of outcomes', () => {
    // Prepare
    const random = seededRandom(7);
    const statuses = new Map<string, number>();
    const types = Object.keys(DEMO_TASK_TYPES) as DemoTaskType[];

    // Act
    const plans = Array.from({ length: 2_000 }, (_, i) =>
      planTask(types[i % types.length]!, { random, nowMs: NOW }),
    );

    // Assess
    for (const event of plans.flat()) {
      const body = JSON.stringify(event);
      const parsed = parseTaskEvent(body, Date.parse(event.occurredAt));
      if (!parsed.ok) throw new Error(`${parsed.rejection.reason}: ${body}`);
      statuses.set(parsed.event.status, (statuses.get(parsed.event.status) ?? 0) + 1);
    }
    for (const status of ['enqueued', 'started', 'succeeded', 'failed', 'retrying', 'cancelled']) {
      expect(statuses.get(status), status).toBeGreaterThan(0);
    }
    const events = plans.flat();
    expect(events.some((e) => e.attempt === 2)).toBe(true);
    expect(events.some((e) => e.metrics?.tokens !== undefined && e.metrics.confidence !== undefined)).toBe(
      true,
    );
    expect(events.every((e) => e.dimensions?.marketplace !== undefined)).toBe(true);
    const stuck = plans.filter((p) => {
      return p.at(-1)!.status === 'started';
    });
    expect(stuck.length).toBeGreaterThan(0);
  });

  it('fails every attempt with the burst error during a failure burst', () => {
    const random = seededRandom(3);
    const burst = { type: 'UpstreamUnavailable', message: 'upstream returned 503' };
    const outcomes = Array.from({ length: 200 }, () =>
      planTask('send_invoice', { random, nowMs: NOW, burst }),
    )
      .flat()
      .filter((e) => e.status === 'failed' || e.status === 'retrying' || e.status === 'succeeded');
    expect(outcomes.length).toBeGreaterThan(150);
    expect(outcomes.some((e) => e.status === 'succeeded')).toBe(false);
    expect(outcomes.every((e) => e.error?.type === 'UpstreamUnavailable')).toBe(true);
  });
});

describe('run times', () => {
  it('keep every task type under the slow rule outside the failure bursts', () => {
    // The slow alert fires when more than 10% of runs take over 5 s: the demo's normal traffic must not.
    const random = seededRandom(5);
    for (const type of Object.keys(DEMO_TASK_TYPES) as DemoTaskType[]) {
      const runs = Array.from({ length: 1_000 }, () => planTask(type, { random, nowMs: NOW }))
        .flat()
        .filter((e) => e.durationMs !== undefined);
      const slow = runs.filter((e) => e.durationMs! > SLOW_DEFAULTS.thresholdMs).length;
      expect(slow / runs.length, type).toBeLessThan(SLOW_DEFAULTS.alertShare! / 2);
    }
  });
});

describe('malformedMessage', () => {
  it('is always rejected by the contract', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 50; i++) {
      const message = malformedMessage(NOW, random);
      expect(parseTaskEvent(message.body, NOW).ok, message.kind).toBe(false);
    }
  });
});

describe('burstTypeAt', () => {
  const at = (seconds: number) => burstTypeAt(seconds * 1000);

  it('starts with a short burst of the first task type soon after start', () => {
    expect(at(0)).toBeUndefined();
    expect(at(14.9)).toBeUndefined();
    expect(at(15)).toBe('send_invoice');
    expect(at(29.9)).toBe('send_invoice');
    expect(at(30)).toBeUndefined();
    expect(at(149)).toBeUndefined();
  });

  it('then gives the next task type a long burst every period, rotating through the types', () => {
    expect(at(150)).toBe('resize_image');
    expect(at(299)).toBe('resize_image');
    expect(at(300)).toBeUndefined();
    expect(at(450)).toBe('sync_inventory');
    expect(at(750)).toBe('generate_report');
    expect(at(1_050)).toBe('send_invoice');
    expect(at(1_350)).toBe('resize_image');
  });

  it('is long enough to be more than 20% of the failure-rate window even when it reaches 10 min back', () => {
    // Every attempt fails in a burst: its failures alone are more than 20% of 10 minutes of traffic.
    expect(DEFAULT_BURSTS.durationMs / 600_000).toBeGreaterThan(0.2);
    // The short first burst is over before the second starts, leaving room for its recovery.
    expect(DEFAULT_BURSTS.firstAtMs + DEFAULT_BURSTS.firstDurationMs).toBeLessThan(
      DEFAULT_BURSTS.laterFromMs,
    );
  });

  it('is described for the banner', () => {
    expect(describeBursts()).toBe(
      'send_invoice at +15 s for 15 s, then from +2.5 min the next type every 5 min for 2.5 min (every attempt fails)',
    );
  });
});
