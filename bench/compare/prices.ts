/**
 * The prices the comparison bench charges, in one place: us-east-1, on-demand, list prices without
 * free tier. Change them here (and `PRICES_AS_OF`) when AWS changes them; every figure the bench
 * prints is recomputed from these.
 */

/** When the prices below were last checked against the AWS pricing pages (UTC date). */
export const PRICES_AS_OF = '2026-11-30';

/** us-east-1 list prices, USD. */
export const PRICES = {
  /** DynamoDB on-demand, per write request unit (1 KB). $0.625 per million since November 2024. */
  dynamoWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit (4 KB strongly consistent, 8 KB eventually). */
  dynamoReadUnit: 0.125 / 1e6,
  /** SQS standard queue, per request (each 64 KB chunk of a request is one). */
  sqsRequest: 0.4 / 1e6,
  /** Lambda, per invocation. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda on arm64 (the stack's architecture), per GB-second. */
  lambdaGbSecondArm: 0.0000133334,
} as const;

/** What a design consumes for a number of events. */
export interface Usage {
  readonly events: number;
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly sqsRequests: number;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
}

/** Price per million events, USD, by what it pays for. */
export interface PricePerMillion {
  readonly dynamoWrites: number;
  readonly dynamoReads: number;
  readonly sqs: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly total: number;
}

/** Price of a usage, scaled to one million events. Pure. */
export const pricePerMillion = (usage: Usage): PricePerMillion => {
  const scale = 1e6 / usage.events;
  const parts = {
    dynamoWrites: usage.writeUnits * PRICES.dynamoWriteUnit * scale,
    dynamoReads: usage.readUnits * PRICES.dynamoReadUnit * scale,
    sqs: usage.sqsRequests * PRICES.sqsRequest * scale,
    lambdaRequests: usage.lambdaInvocations * PRICES.lambdaRequest * scale,
    lambdaDuration: usage.lambdaGbSeconds * PRICES.lambdaGbSecondArm * scale,
  };
  return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
};

/** GB-seconds of invocations of a function with `memoryMb`, each lasting `msEach` (billed per ms). */
export const gbSeconds = (invocations: number, msEach: number, memoryMb: number): number =>
  invocations * (Math.ceil(msEach) / 1000) * (memoryMb / 1024);

/** The prices as one line for the bench's output. */
export const describePrices = (): string =>
  `us-east-1 list prices as of ${PRICES_AS_OF}: DynamoDB on-demand $${(PRICES.dynamoWriteUnit * 1e6).toFixed(3)}/M WRU, ` +
  `$${(PRICES.dynamoReadUnit * 1e6).toFixed(3)}/M RRU; SQS $${(PRICES.sqsRequest * 1e6).toFixed(2)}/M requests; ` +
  `Lambda $${(PRICES.lambdaRequest * 1e6).toFixed(2)}/M requests, $${PRICES.lambdaGbSecondArm}/GB-s (arm64); no free tier`;
