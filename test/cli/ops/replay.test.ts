import { describe, expect, it } from 'vitest';
import { planReplay } from '../../../cli/ops/replay';
import { type QuarantineItemWithBody, toQuarantineItem } from '../../../lambdas/shared/queries/quarantine';
import { BASE_TIME_MS, makeEvent } from '../../support/events';

/** What a replay sends, decided without AWS. */

const item = (body: string, extra: Record<string, unknown> = {}): QuarantineItemWithBody =>
  toQuarantineItem({
    pk: 'Q#2026-03-02#0',
    sk: '2026-03-02T10:00:00.000Z#m-1',
    messageId: 'm-1',
    sentAt: '2026-03-02T10:00:00.000Z',
    receivedAt: '2026-03-02T10:00:01.000Z',
    code: 'schema',
    reason: 'status: bad',
    body,
    bodyBytes: Buffer.byteLength(body),
    truncated: false,
    ...extra,
  });

const valid = JSON.stringify(makeEvent());
const invalid = JSON.stringify({ ...makeEvent(), status: 'done' });
const plan = (items: QuarantineItemWithBody[], options: Partial<Parameters<typeof planReplay>[1]> = {}) =>
  planReplay(items, { nowMs: BASE_TIME_MS, byId: false, ...options }).map((s) => s.action);

describe('planReplay', () => {
  it('sends bodies the contract accepts now, and skips the others unless forced', () => {
    expect(plan([item(valid), item(invalid)])).toEqual(['send', 'invalid']);
    expect(plan([item(invalid)], { force: true })).toEqual(['send']);
  });

  it('sends an edited body instead of the stored one', () => {
    const [step] = planReplay([item(invalid)], { nowMs: BASE_TIME_MS, byId: true, body: valid });

    expect(step).toMatchObject({ action: 'send', body: valid, edited: true, rejection: null });
  });

  it('never sends a cut body as it is', () => {
    expect(plan([item(valid, { truncated: true })], { force: true })).toEqual(['truncated']);
    expect(plan([item(valid, { truncated: true })], { body: valid })).toEqual(['send']);
  });

  it('skips what a filtered replay sent before, unless named by id or --again', () => {
    const replayed = item(valid, { replayedAt: '2026-03-02T11:00:00.000Z' });

    expect(plan([replayed])).toEqual(['replayed']);
    expect(plan([replayed], { again: true })).toEqual(['send']);
    expect(plan([replayed], { byId: true })).toEqual(['send']);
  });

  it('shows attributes the ingest stored beyond the common ones as details', () => {
    expect(item(valid, { conflictingEventId: 'e-1' }).details).toEqual({ conflictingEventId: 'e-1' });
  });
});
