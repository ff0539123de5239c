import {
  type AlertDeployment,
  type AlertNotification,
  notificationIdOf,
} from '../domain/alerts/notification';
import { type AlertMessage, toAlertMessage } from '../domain/alerts/sns-message';
import { type AlertState, alertStateChanged, nextAlertState } from '../domain/rules/alert-state';
import type { BucketAggregate } from '../domain/rules/buckets';
import { type Cadence, type MonitorConfig, type RuleSettings, settingsFor } from '../domain/rules/config';
import { type Evaluation, RULE, RULES, type RuleName } from '../domain/rules/registry';
import { NOTIFICATION_KIND, type NotificationKind } from '../domain/rules/rule';
import type { TimeRange } from '../domain/rules/rule-module';
import { inScope, type RunSummary } from '../domain/rules/run-summary';
import { runningOf } from '../domain/rules/stuck';
import type { AlertPublisher } from '../shared/aws/alert-publisher';
import { parseScope } from '../shared/names/keys';
import type { AggregateReader } from '../shared/store/aggregate-reader';
import {
  AlertStateConflictError,
  type AlertStateStore,
  type StoredAlertState,
} from '../shared/store/alert-state-store';
import type { RunLookup } from '../shared/store/run-lookup';
import { daysBetween } from '../shared/time';

/**
 * The monitor use case, run every few minutes: evaluate every rule on every active scope, move each
 * rule × scope alert state, and publish a notification when a state says so.
 *
 * Scopes come from the scope registry of the days the rules look at, the declared cadences (a task type
 * that never runs must still be checked) and the stored alert states (a firing alert must be able to
 * recover even if its scope went quiet). Per scope it reads that scope's aggregate buckets once; the
 * history is read only for stuck-run candidates and for example task IDs when a notification goes out.
 */

/** The logger the monitor writes to (Powertools `Logger` fits). */
export interface MonitorLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface MonitorDeps {
  readonly aggregates: AggregateReader;
  readonly runs: RunLookup;
  readonly states: AlertStateStore;
  readonly publisher: AlertPublisher;
  readonly config: MonitorConfig;
  /** Stage name shown in messages. */
  readonly stage: string;
  /** Stack name, runbook and console links put in messages. @default {} */
  readonly deployment?: AlertDeployment;
  readonly logger?: MonitorLogger;
  /** Scopes evaluated at once. @default 8 */
  readonly concurrency?: number;
}

/**
 * How long a run holds the claim on a message it is about to publish, ms. Longer than the monitor
 * function's timeout (2 minutes, `infra/alerting.ts`), so a live run is never overtaken; shorter than
 * the schedule (5 minutes), so the next run takes over the message of a run that died.
 */
export const PUBLISH_CLAIM_LEASE_MS = 180_000;
/** Example task IDs looked up for a notification. */
const EXAMPLE_TASK_IDS = 5;
/** Newest executions read to find examples. */
const EXAMPLE_CANDIDATES = 100;
/** How long before a window an execution may have been created and still finish inside it. */
const EXAMPLE_CREATED_BEFORE_MS = 86_400_000;

/** What the monitor saw of one task type at an evaluation: the `Running` and `Stuck` gauges. */
export interface TaskGauges {
  readonly taskType: string;
  /** Runs started and not finished, created within the stuck rule's look-back. */
  readonly running: number;
  /** Of those, runs started `stuck.timeoutMs` ago or more (0 when the stuck rule is off). */
  readonly stuck: number;
}

export interface MonitorOutcome {
  readonly evaluatedAt: string;
  readonly scopes: number;
  /** One per task type evaluated, sorted by task type. */
  readonly gauges: readonly TaskGauges[];
  readonly evaluations: readonly Evaluation[];
  readonly notifications: readonly {
    id: string;
    kind: NotificationKind;
    rule: RuleName;
    scope: string;
    subject: string;
  }[];
  readonly failures: readonly { scope: string; rule?: RuleName; error: string }[];
}

const silent: MonitorLogger = { info: () => {}, warn: () => {}, error: () => {} };
const stateKey = (rule: string, scope: string) => `${rule}#${scope}`;

/** The window a set of settings needs read back for a scope: the longest any rule asks for. */
const lookbackMs = (s: RuleSettings, typeScope: boolean, cadence: Cadence | undefined): number =>
  Math.max(0, ...RULES.map((rule) => rule.lookbackMs(settingOf(s, rule.key), { typeScope, cadence })));

/** One rule's settings out of a task type's settings. */
const settingOf = (s: RuleSettings, key: string): unknown =>
  (s as unknown as Readonly<Record<string, unknown>>)[key];

/**
 * Evaluate every applicable rule on one scope at `nowMs`. Reads aggregates (and, for stuck-run
 * candidates, the history); writes nothing. `active` names rules to evaluate even when disabled (a
 * firing alert recovers when its rule is switched off).
 */
export const evaluateScope = async (
  deps: Pick<MonitorDeps, 'aggregates' | 'runs' | 'config'>,
  scope: string,
  nowMs: number,
  active: ReadonlySet<RuleName> = new Set(),
): Promise<Evaluation[]> => (await inspectScope(deps, scope, nowMs, active)).evaluations;

/** `evaluateScope`, plus the gauges of a task-type scope (dimension scopes have none). */
const inspectScope = async (
  deps: Pick<MonitorDeps, 'aggregates' | 'runs' | 'config'>,
  scope: string,
  nowMs: number,
  active: ReadonlySet<RuleName>,
): Promise<{ evaluations: Evaluation[]; gauges?: TaskGauges }> => {
  const { taskType, dimension } = parseScope(scope);
  const typeScope = dimension === undefined;
  const s = settingsFor(deps.config, taskType);
  const cadence = typeScope ? deps.config.cadences[taskType] : undefined;
  const buckets: BucketAggregate[] = await deps.aggregates.readRange(
    scope,
    nowMs - lookbackMs(s, typeScope, cadence),
    nowMs + 1,
  );
  const out: Evaluation[] = [];
  const runsCreatedIn = async (ranges: readonly TimeRange[]): Promise<RunSummary[]> => {
    const runs: RunSummary[] = [];
    for (const range of ranges) {
      const ids = await deps.runs.createdBetween(taskType, range.fromMs, range.toMs);
      runs.push(...(await deps.runs.getRuns(ids)));
    }
    return runs;
  };
  for (const rule of RULES) {
    const evaluation = await rule.evaluate({
      scope,
      taskType,
      typeScope,
      buckets,
      settings: settingOf(s, rule.key),
      cadence,
      active: active.has(rule.name as RuleName),
      nowMs,
      runsCreatedIn,
    });
    if (evaluation !== undefined) out.push(evaluation);
  }
  if (!typeScope) return { evaluations: out };
  const stuck = out.find((e) => e.rule === RULE.stuck);
  return {
    evaluations: out,
    gauges: {
      taskType,
      running: runningOf(buckets, s.stuck, nowMs),
      stuck: stuck?.rule === RULE.stuck ? stuck.runs.length : 0,
    },
  };
};

/** Fill in example task IDs for a notification (runs its rule names as examples, in the window). Best effort. */
const withExamples = async (deps: MonitorDeps, e: Evaluation): Promise<Evaluation> => {
  const isExample = RULES.find((rule) => rule.name === e.rule)?.isExample;
  if (isExample === undefined) return e;
  const pick = (run: RunSummary): boolean =>
    run.finishedAt !== undefined && Date.parse(run.finishedAt) >= e.windowStartMs && isExample(e, run);
  try {
    const { taskType } = parseScope(e.scope);
    const ids = await deps.runs.createdBetween(
      taskType,
      e.windowStartMs - EXAMPLE_CREATED_BEFORE_MS,
      e.windowEndMs + 1,
      { limit: EXAMPLE_CANDIDATES },
    );
    const runs = (await deps.runs.getRuns(ids))
      .filter((run) => inScope(run, e.scope) && pick(run))
      .sort((a, b) => (a.finishedAt! < b.finishedAt! ? 1 : -1));
    return { ...e, taskIds: runs.slice(0, EXAMPLE_TASK_IDS).map((r) => r.taskId) };
  } catch (error) {
    (deps.logger ?? silent).warn('could not look up example task IDs', {
      scope: e.scope,
      rule: e.rule,
      error: String(error),
    });
    return e;
  }
};

/**
 * Settle one evaluation: deliver a pending message left by an earlier run, move the state, and
 * publish if the transition says so.
 *
 * A message is claimed before it is published: one conditional write (on the state's version) stores
 * the new state, the message and `claimedUntilMs = now + PUBLISH_CLAIM_LEASE_MS`; only the run whose
 * write succeeded publishes, then clears the message. So:
 * - **at most once per claim**: two runs (a duplicate scheduled invocation, a slow run overlapping the
 *   next) cannot both publish the same transition: the loser's conditional write fails, and a run that
 *   finds a message still claimed leaves the alert alone;
 * - **at least once overall**: if the claimant dies or its publish fails, the message stays stored and
 *   the first run after the claim lapsed claims and publishes it again. A claimant that died *after*
 *   SNS accepted the message but before clearing it makes that a second delivery; the
 *   `notificationId` attribute (same for both) lets consumers drop it.
 */
const settle = async (
  deps: MonitorDeps,
  stored: StoredAlertState | undefined,
  evaluation: Evaluation,
  nowMs: number,
  sent: MonitorOutcome['notifications'][number][],
): Promise<'settled' | 'claimed-elsewhere'> => {
  let version = stored?.version;
  const prev: AlertState | undefined = stored?.state;
  const claimUntilMs = nowMs + PUBLISH_CLAIM_LEASE_MS;
  const publishClaimed = async (state: AlertState, message: AlertMessage) => {
    version = await deps.states.put(state, message, version, claimUntilMs);
    await deps.publisher.publish(message);
    version = await deps.states.put(state, null, version);
    sent.push(sentOf(message, state));
  };
  if (stored?.pending) {
    if ((stored.claimedUntilMs ?? 0) > nowMs) return 'claimed-elsewhere';
    await publishClaimed(stored.state, stored.pending);
  }
  const settings = settingsFor(deps.config, parseScope(evaluation.scope).taskType);
  const { state, notification } = nextAlertState(prev, evaluation, nowMs, settings.alerts);
  if (notification === undefined) {
    if (alertStateChanged(prev, state)) await deps.states.put(state, null, version);
    return 'settled';
  }
  const complete = notification === NOTIFICATION_KIND.ok ? evaluation : await withExamples(deps, evaluation);
  const n: AlertNotification = {
    id: notificationIdOf(notification, evaluation),
    kind: notification,
    evaluation: complete,
    stage: deps.stage,
    firingSince: notification === NOTIFICATION_KIND.ok && prev !== undefined ? prev.since : state.since,
    runbook: settings.runbook ?? deps.deployment?.runbookUrl ?? null,
    reminderIntervalMs: settings.alerts.reminderIntervalMs,
    ...(deps.deployment !== undefined && { deployment: deps.deployment }),
  };
  await publishClaimed(state, toAlertMessage(n));
  return 'settled';
};

const sentOf = (m: AlertMessage, s: AlertState) => ({
  id: m.id,
  kind: (m.attributes.kind ?? '') as NotificationKind,
  rule: s.rule,
  scope: s.scope,
  subject: m.subject,
});

const runLimited = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
};

/**
 * One monitor run at `nowMs`: evaluate, move alert states, publish. Never throws for a single scope's
 * problem: failures come back in `failures` (the handler reports them) and the next run retries.
 */
export const runMonitor = async (deps: MonitorDeps, nowMs: number): Promise<MonitorOutcome> => {
  const logger = deps.logger ?? silent;
  const stored = new Map((await deps.states.list()).map((s) => [stateKey(s.state.rule, s.state.scope), s]));
  const maxLookbackMs = Math.max(
    lookbackMs(deps.config.defaults, true, undefined),
    ...Object.keys(deps.config.overrides).map((t) =>
      lookbackMs(settingsFor(deps.config, t), true, undefined),
    ),
  );
  const days = daysBetween(
    new Date(nowMs - maxLookbackMs).toISOString().slice(0, 10),
    new Date(nowMs).toISOString().slice(0, 10),
  );
  const scopes = new Set<string>(Object.keys(deps.config.cadences));
  for (const day of days) for (const scope of await deps.aggregates.listScopes(day)) scopes.add(scope);
  const activeRules = new Map<string, Set<RuleName>>();
  for (const s of stored.values()) {
    scopes.add(s.state.scope);
    if (s.state.status !== 'OK' || s.pending !== null) {
      const set = activeRules.get(s.state.scope) ?? new Set<RuleName>();
      set.add(s.state.rule);
      activeRules.set(s.state.scope, set);
    }
  }

  const evaluations: Evaluation[] = [];
  const notifications: MonitorOutcome['notifications'][number][] = [];
  const failures: { scope: string; rule?: RuleName; error: string }[] = [];
  const gauges: TaskGauges[] = [];
  await runLimited([...scopes].sort(), deps.concurrency ?? 8, async (scope) => {
    let scopeEvaluations: Evaluation[];
    try {
      const inspected = await inspectScope(deps, scope, nowMs, activeRules.get(scope) ?? new Set());
      scopeEvaluations = inspected.evaluations;
      if (inspected.gauges !== undefined) gauges.push(inspected.gauges);
    } catch (error) {
      failures.push({ scope, error: String(error) });
      logger.error('scope could not be evaluated', { scope, error: String(error) });
      return;
    }
    for (const evaluation of scopeEvaluations) {
      evaluations.push(evaluation);
      const line = RULES.find((rule) => rule.name === evaluation.rule)?.logLine?.(evaluation);
      if (line !== undefined) logger.warn(line.message, { scope, ...line.extra });
      try {
        const settled = await settle(
          deps,
          stored.get(stateKey(evaluation.rule, scope)),
          evaluation,
          nowMs,
          notifications,
        );
        if (settled === 'claimed-elsewhere')
          logger.info('alert message claimed by another run; left to it', { scope, rule: evaluation.rule });
      } catch (error) {
        if (error instanceof AlertStateConflictError) {
          logger.info('alert state changed by a concurrent run; left to it', {
            scope,
            rule: evaluation.rule,
          });
          continue;
        }
        failures.push({ scope, rule: evaluation.rule, error: String(error) });
        logger.error('alert could not be settled', { scope, rule: evaluation.rule, error: String(error) });
      }
    }
  });
  for (const n of notifications) logger.info('notification published', { ...n });
  return {
    evaluatedAt: new Date(nowMs).toISOString(),
    scopes: scopes.size,
    gauges: gauges.sort((a, b) => (a.taskType < b.taskType ? -1 : 1)),
    evaluations,
    notifications,
    failures,
  };
};
