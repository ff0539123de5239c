import { describe, expect, it } from 'vitest';
import { distinctEvents, generateStream } from '../../../bench/stream';

describe('generateStream', () => {
  const stream = generateStream({ events: 2_000, seed: 3 });
  const events = distinctEvents(stream);

  it('sends at least the asked events, in send order', () => {
    expect(events.length).toBeGreaterThanOrEqual(2_000);
    for (let i = 1; i < stream.length; i++)
      expect(stream[i]!.sentAtMs).toBeGreaterThanOrEqual(stream[i - 1]!.sentAtMs);
  });

  it('sends some events twice, some minutes late and some after the task next event', () => {
    const late = stream.filter((s) => s.sentAtMs - Date.parse(s.event.occurredAt) > 60_000);
    const byTask = new Map<string, number[]>();
    for (const s of stream)
      byTask.set(s.event.taskId, [...(byTask.get(s.event.taskId) ?? []), Date.parse(s.event.occurredAt)]);
    const overtaken = [...byTask.values()].filter((times) =>
      times.some((t, i) => i > 0 && t < times[i - 1]!),
    );

    expect(stream.length - events.length).toBeGreaterThan(0);
    expect(late.length).toBeGreaterThan(0);
    expect(overtaken.length).toBeGreaterThan(0);
  });

  it('replays the same lives from the same seed', () => {
    const again = generateStream({ events: 2_000, seed: 3 });

    expect(again.map((s) => [s.event.taskId, s.event.status, s.sentAtMs])).toEqual(
      stream.map((s) => [s.event.taskId, s.event.status, s.sentAtMs]),
    );
  });
});
