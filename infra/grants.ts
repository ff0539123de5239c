import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { PARTITION } from '../lambdas/shared/names/keys';

/**
 * What each Taskpulse function may do on the two tables: the one place to read (and change) the
 * DynamoDB grants. Each entry lists only the commands the function's stores send
 * (`lambdas/shared/store/*`), and writes are limited with `dynamodb:LeadingKeys` to the partitions of
 * the item kinds the function owns (`PARTITION` in `lambdas/shared/names/keys.ts`). When a store
 * starts sending a new command or writing a new kind of item, add it here; `test/infra/grants.test.ts`
 * asserts the synthesized actions of every function.
 *
 * Reads are not limited by key: queries of the secondary indexes are matched against the index's own
 * partition key, and a read cannot damage anything.
 */

/** A DynamoDB data action, as IAM spells it. */
type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

/** One function's access to one table. */
interface TableAccess {
  /** Read actions, on the table. */
  readonly read: readonly DynamoAction[];
  /** Also allow `dynamodb:Query` on the table's secondary indexes. @default false */
  readonly queryIndexes?: boolean;
  /** Write actions, only on items whose partition key is in `writePartitions`. */
  readonly write: readonly DynamoAction[];
  /**
   * Partition-key patterns the writes may touch (IAM `StringLike`: a prefix ends with `*`, a whole
   * partition has none).
   */
  readonly writePartitions: readonly string[];
}

const prefix = (p: string): string => `${p}*`;

/** The table access of every function, by function and table. */
export const TABLE_ACCESS = {
  /** `store/history-store.ts`: BatchGet executions, conditional Put executions, BatchWrite quarantine. */
  ingest: {
    history: {
      read: ['dynamodb:BatchGetItem'],
      write: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
      writePartitions: [prefix(PARTITION.execution), prefix(PARTITION.quarantine)],
    },
  },
  /**
   * `store/aggregate-store.ts`: Get/Put/Update the intent ledger, Update aggregates, the scope registry
   * and dirty-day marks, Put records of skipped writes.
   */
  aggregate: {
    state: {
      read: ['dynamodb:GetItem'],
      write: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      writePartitions: [
        PARTITION.ledger,
        prefix(PARTITION.aggregate),
        prefix(PARTITION.scopeRegistry),
        PARTITION.dirtyDays,
        prefix(PARTITION.aggregateSkip),
      ],
    },
  },
  /**
   * `store/aggregate-reader.ts`, `store/rollup-store.ts` and `store/dirty-day-store.ts`: Query
   * aggregates, registry and dirty-day marks, Put rollups, Delete the marks it recomputed;
   * `store/run-record-store.ts`: Put its run record.
   */
  rollup: {
    state: {
      read: ['dynamodb:Query'],
      write: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      writePartitions: [prefix(PARTITION.rollup), PARTITION.dirtyDays, PARTITION.rollupRun],
    },
  },
  /**
   * `store/aggregate-reader.ts`, `store/alert-state-store.ts`: Query aggregates and alert states, Put
   * alert states; `store/run-lookup.ts`: Query the byType index, BatchGet executions (read only);
   * `store/run-record-store.ts`: Put its run record.
   */
  monitor: {
    state: {
      read: ['dynamodb:Query'],
      write: ['dynamodb:PutItem'],
      writePartitions: [PARTITION.alertState, PARTITION.monitorRun],
    },
    history: {
      read: ['dynamodb:BatchGetItem'],
      queryIndexes: true,
      write: [],
      writePartitions: [],
    },
  },
  /**
   * The read API (`lambdas/api/`, `lambdas/shared/queries/`): Get, BatchGet and Query on both tables
   * and the history table's indexes; no write of any kind.
   */
  api: {
    history: {
      read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      queryIndexes: true,
      write: [],
      writePartitions: [],
    },
    state: {
      read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      write: [],
      writePartitions: [],
    },
  },
} as const satisfies Record<string, Partial<Record<'history' | 'state', TableAccess>>>;

/**
 * Grant `access` on `table` to `grantee`: reads on the table (and `dynamodb:Query` on its indexes when
 * asked), writes on the table under a `dynamodb:LeadingKeys` condition.
 */
const grantTableAccess = (grantee: iam.IGrantable, table: dynamodb.ITable, access: TableAccess): void => {
  if (access.read.length > 0)
    iam.Grant.addToPrincipal({ grantee, actions: [...access.read], resourceArns: [table.tableArn] });
  if (access.queryIndexes === true)
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${table.tableArn}/index/*`],
    });
  if (access.write.length > 0) {
    if (access.writePartitions.length === 0)
      throw new Error('a table write grant needs the partitions it may write (writePartitions)');
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...access.write],
      resourceArns: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...access.writePartitions] },
      },
    });
  }
};

/**
 * Give a function a table: its name in `envName` and the grant of `access`, in one call so the two
 * cannot drift apart.
 */
export const bindTable = (
  fn: lambda.Function,
  table: dynamodb.ITable,
  envName: string,
  access: TableAccess,
): void => {
  fn.addEnvironment(envName, table.tableName);
  grantTableAccess(fn, table, access);
};
