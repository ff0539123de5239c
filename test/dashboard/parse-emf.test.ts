import { describe, expect, it } from 'vitest';
import { EmfFormatError, looksLikeEmf, parseEmf } from '../../dashboard/emf/parse-emf';

/** EMF documents read back into metric data, as CloudWatch Logs extracts them. */

const doc = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    _aws: {
      Timestamp: 1_700_000_040_000,
      CloudWatchMetrics: [
        {
          Namespace: 'Taskpulse',
          Dimensions: [['Stage', 'TaskType'], ['Stage']],
          Metrics: [
            { Name: 'Succeeded', Unit: 'Count' },
            { Name: 'RunTime', Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    Stage: 'dev',
    TaskType: 'send_invoice',
    Succeeded: 2,
    RunTime: [120, 340],
    ...overrides,
  });

describe('parseEmf', () => {
  it('gives one datum per dimension set and metric, with every value of an array', () => {
    const data = parseEmf(doc());

    expect(data).toEqual([
      {
        namespace: 'Taskpulse',
        name: 'Succeeded',
        unit: 'Count',
        dimensions: { Stage: 'dev', TaskType: 'send_invoice' },
        timestampMs: 1_700_000_040_000,
        values: [2],
      },
      {
        namespace: 'Taskpulse',
        name: 'RunTime',
        unit: 'Milliseconds',
        dimensions: { Stage: 'dev', TaskType: 'send_invoice' },
        timestampMs: 1_700_000_040_000,
        values: [120, 340],
      },
      expect.objectContaining({ name: 'Succeeded', dimensions: { Stage: 'dev' }, values: [2] }),
      expect.objectContaining({ name: 'RunTime', dimensions: { Stage: 'dev' }, values: [120, 340] }),
    ]);
  });

  it('refuses a document whose metric has no numeric value or whose dimension is not a string', () => {
    expect(() => parseEmf(doc({ RunTime: 'fast' }))).toThrow(EmfFormatError);
    expect(() => parseEmf(doc({ TaskType: 3 }))).toThrow(/dimension TaskType/);
    expect(() => parseEmf('{"_aws":{"CloudWatchMetrics":[]}}')).toThrow(/not EMF/);
  });

  it('tells EMF lines from log lines', () => {
    expect(looksLikeEmf(doc())).toBe(true);
    expect(looksLikeEmf('{"level":"ERROR","message":"boom"}')).toBe(false);
    expect(looksLikeEmf('plain text')).toBe(false);
  });
});
