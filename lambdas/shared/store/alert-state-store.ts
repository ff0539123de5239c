import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AlertMessage } from '../../domain/alerts/sns-message';
import type { AlertState } from '../../domain/rules/alert-state';
import { isConditionalCheckFailed, StoreError, VersionConflictError } from '../errors';
import { ALERT_STATE_PARTITION, alertStateKey } from '../names/keys';
import { queryAll } from './query-all';

/**
 * Alert states, one item per rule × scope (`AL` / `<rule>#<scope>`), written with optimistic
 * concurrency so that two monitor runs can never both send the same transition. A state may hold the
 * message it is about to publish (`pending`) and the claim of the run publishing it
 * (`claimedUntilMs`): both written in one conditional write before publishing, the message cleared
 * after, so a failed publish is retried by a later run instead of being lost and a concurrent run
 * leaves a claimed message alone (see `settle` in `lambdas/monitor/run-monitor.ts`).
 */
export interface StoredAlertState {
  readonly state: AlertState;
  readonly version: number;
  readonly pending: AlertMessage | null;
  /** Until when (epoch ms) the run that wrote `pending` holds it; `null` when nobody does. */
  readonly claimedUntilMs?: number | null;
}

export interface AlertStateStore {
  /** Every stored state (one query: the states share one small partition). */
  list(): Promise<StoredAlertState[]>;
  /**
   * Write a state if nobody changed it since `expectedVersion` (`undefined`: must not exist yet).
   * `claimedUntilMs` claims `pending` for the writer until then (epoch ms). Returns the new version;
   * throws `AlertStateConflictError` when somebody did.
   */
  put(
    state: AlertState,
    pending: AlertMessage | null,
    expectedVersion: number | undefined,
    claimedUntilMs?: number,
  ): Promise<number>;
}

/** Another monitor run changed the alert state first; this run leaves it alone. */
export class AlertStateConflictError extends VersionConflictError {
  override readonly name = 'AlertStateConflictError';
}

/** Reading or writing alert states failed for another reason. */
class AlertStateStoreError extends StoreError {
  override readonly name = 'AlertStateStoreError';
}

/** DynamoDB implementation of `AlertStateStore` over the state table. */
export class DynamoAlertStateStore implements AlertStateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<StoredAlertState[]> {
    let items: Record<string, unknown>[];
    try {
      items = await queryAll(this.doc, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': ALERT_STATE_PARTITION },
        ConsistentRead: true,
      });
    } catch (error) {
      throw new AlertStateStoreError('could not list alert states', { cause: error });
    }
    const out: StoredAlertState[] = items.map((item) => {
      const { pk: _pk, sk: _sk, v, pending, claimedUntil, ...state } = item;
      return {
        state: state as unknown as AlertState,
        version: Number(v),
        pending: (pending as AlertMessage | undefined) ?? null,
        claimedUntilMs: typeof claimedUntil === 'number' ? claimedUntil : null,
      };
    });
    return out;
  }

  async put(
    state: AlertState,
    pending: AlertMessage | null,
    expectedVersion: number | undefined,
    claimedUntilMs?: number,
  ): Promise<number> {
    const version = (expectedVersion ?? 0) + 1;
    const claim = pending !== null && claimedUntilMs !== undefined ? { claimedUntil: claimedUntilMs } : {};
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...alertStateKey(state.rule, state.scope), ...state, v: version, pending, ...claim },
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
      return version;
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new AlertStateConflictError(
          `alert state ${state.rule}#${state.scope} changed since version ${expectedVersion ?? 'none'}`,
          { cause: error },
        );
      }
      throw new AlertStateStoreError(`could not write alert state ${state.rule}#${state.scope}`, {
        cause: error,
      });
    }
  }
}
