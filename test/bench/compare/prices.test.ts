import { describe, expect, it } from 'vitest';
import {
  describePrices,
  gbSeconds,
  PRICES,
  PRICES_AS_OF,
  pricePerMillion,
} from '../../../bench/compare/prices';

const usage = (overrides: Partial<Parameters<typeof pricePerMillion>[0]> = {}) => ({
  events: 1_000,
  writeUnits: 0,
  readUnits: 0,
  sqsRequests: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  ...overrides,
});

describe('pricePerMillion', () => {
  it('charges one write unit per event at the on-demand price per million', () => {
    const price = pricePerMillion(usage({ writeUnits: 1_000 }));

    expect(price.dynamoWrites).toBeCloseTo(0.625, 9);
    expect(price.total).toBeCloseTo(0.625, 9);
  });

  it('scales every part to one million events and sums them', () => {
    const price = pricePerMillion(
      usage({
        events: 2_000,
        readUnits: 1_000,
        sqsRequests: 600,
        lambdaInvocations: 20,
        lambdaGbSeconds: 10,
      }),
    );

    expect(price.dynamoReads).toBeCloseTo(500 * PRICES.dynamoReadUnit * 1_000, 9);
    expect(price.sqs).toBeCloseTo(300_000 * PRICES.sqsRequest, 9);
    expect(price.lambdaRequests).toBeCloseTo(10_000 * PRICES.lambdaRequest, 9);
    expect(price.lambdaDuration).toBeCloseTo(5_000 * PRICES.lambdaGbSecondArm, 9);
    expect(price.total).toBeCloseTo(
      price.dynamoWrites + price.dynamoReads + price.sqs + price.lambdaRequests + price.lambdaDuration,
      12,
    );
  });
});

describe('gbSeconds', () => {
  it('bills whole milliseconds at the configured memory', () => {
    expect(gbSeconds(10, 99.2, 1024)).toBeCloseTo(10 * 0.1, 9);
    expect(gbSeconds(4, 1_000, 512)).toBeCloseTo(2, 9);
  });
});

describe('describePrices', () => {
  it('states the region, the date and every price the bench charges', () => {
    const line = describePrices();

    expect(line).toContain('us-east-1');
    expect(line).toContain(PRICES_AS_OF);
    expect(line).toContain('$0.625/M WRU');
    expect(line).toContain('$0.125/M RRU');
    expect(line).toContain('$0.40/M requests');
  });
});
