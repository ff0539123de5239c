import { describe, expect, it } from 'vitest';
import { parseTaskEvent, type TaskEvent } from '../../lambdas/shared/contract/event';
import {
  DEMO_TASK_TYPES,
  type DemoTaskType,
  malformedMessage,
  planTask,
  seededRandom,
} from '../../local/demo-producer';

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
    for (const message of plans.flat()) {
      const parsed = parseTaskEvent(message.body, NOW + message.atMs);
      if (!parsed.ok) throw new Error(`${parsed.rejection.reason}: ${message.body}`);
      statuses.set(parsed.event.status, (statuses.get(parsed.event.status) ?? 0) + 1);
    }
    for (const status of ['enqueued', 'started', 'succeeded', 'failed', 'retrying', 'cancelled']) {
      expect(statuses.get(status), status).toBeGreaterThan(0);
    }
    const events = plans.flat().map((m) => JSON.parse(m.body) as TaskEvent);
    expect(events.some((e) => e.attempt === 2)).toBe(true);
    expect(events.some((e) => e.metrics?.tokens !== undefined && e.metrics.confidence !== undefined)).toBe(
      true,
    );
    expect(events.every((e) => e.dimensions?.marketplace !== undefined)).toBe(true);
    const stuck = plans.filter((p) => {
      const last = JSON.parse(p[p.length - 1]!.body) as TaskEvent;
      return last.status === 'started';
    });
    expect(stuck.length).toBeGreaterThan(0);
  });

  it('fails mostly with the burst error during a failure burst', () => {
    const random = seededRandom(3);
    const burstError = { type: 'UpstreamUnavailable', message: 'upstream returned 503' };
    const outcomes = Array.from({ length: 200 }, () =>
      planTask('send_invoice', { random, nowMs: NOW, failureRate: 0.6, burstError }),
    )
      .flat()
      .map((m) => JSON.parse(m.body) as TaskEvent)
      .filter((e) => e.status === 'failed' || e.status === 'retrying');
    expect(outcomes.length).toBeGreaterThan(60);
    expect(outcomes.every((e) => e.error?.type === 'UpstreamUnavailable')).toBe(true);
  });
});

describe('malformedMessage', () => {
  it('is always rejected by the contract', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 50; i++) {
      const message = malformedMessage(NOW, random);
      expect(parseTaskEvent(message.body, NOW).ok, message.malformed).toBe(false);
    }
  });
});
