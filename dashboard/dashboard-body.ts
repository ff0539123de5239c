import type { CfnTemplate } from '../infra/synth';

/**
 * The dashboard exactly as `cdk deploy` creates it: the `DashboardBody` of the template's
 * `AWS::CloudWatch::Dashboard`, with its references filled in from the local stack.
 *
 * The emulator's CloudFormation does not create dashboards or alarms, so the body's `Fn::Join` is
 * resolved here. Only what a dashboard body holds is supported (`Fn::Join` of strings, `Ref` and
 * `Fn::GetAtt` of resources, pseudo parameters); anything else fails loudly rather than drawing a
 * dashboard that differs from the deployed one.
 */

/** A widget of a dashboard body (CloudWatch's dashboard body structure). */
export interface BodyWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

/** A dashboard body: default time range and widgets. */
export interface DashboardBody {
  /** Default start, e.g. `-PT3H`. */
  readonly start?: string;
  readonly periodOverride?: string;
  readonly widgets: readonly BodyWidget[];
}

/** The dashboard could not be read from the template. */
export class DashboardBodyError extends Error {
  override readonly name = 'DashboardBodyError';
}

/** What references resolve to: physical ids by logical id, and the stack's pseudo parameters. */
export interface ResolveContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** Logical id → physical id (`DescribeStackResources`). */
  readonly physicalIds: Readonly<Record<string, string>>;
}

/** A logical id of a resource the emulator does not create (an alarm), shown by its logical id. */
const notCreated = (logicalId: string, ctx: ResolveContext, type: string | undefined): string =>
  type === 'AWS::CloudWatch::Alarm'
    ? `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${logicalId}`
    : logicalId;

const resolveValue = (value: unknown, ctx: ResolveContext, template: CfnTemplate): string => {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null)
    throw new DashboardBodyError(`unexpected value ${String(value)}`);
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Region': ctx.region,
      'AWS::AccountId': ctx.accountId,
      'AWS::StackName': ctx.stackName,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[v.Ref] ?? ctx.physicalIds[v.Ref] ?? notCreated(v.Ref, ctx, template.Resources[v.Ref]?.Type);
  }
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string') {
    const [id, attribute] = getAtt as [string, string];
    const type = template.Resources[id]?.Type;
    const physical = ctx.physicalIds[id];
    if (type === 'AWS::CloudWatch::Alarm' && attribute === 'Arn') return notCreated(id, ctx, type);
    // A queue's physical id is its URL; its name is the last path segment.
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueName' && physical !== undefined)
      return physical.slice(physical.lastIndexOf('/') + 1);
    throw new DashboardBodyError(`cannot resolve Fn::GetAtt ${id}.${attribute} locally`);
  }
  const join = v['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1]))
    return (join[1] as unknown[]).map((part) => resolveValue(part, ctx, template)).join(join[0]);
  throw new DashboardBodyError(`unsupported intrinsic ${JSON.stringify(value).slice(0, 80)}`);
};

/** The logical id of the template's one dashboard. */
const dashboardOf = (template: CfnTemplate): unknown => {
  const dashboards = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
  if (dashboards.length !== 1)
    throw new DashboardBodyError(`the template has ${dashboards.length} dashboards; expected one`);
  return dashboards[0]!.Properties?.DashboardBody;
};

/** The resolved dashboard body of a synthesized template. */
export const readDashboardBody = (template: CfnTemplate, ctx: ResolveContext): DashboardBody => {
  const text = resolveValue(dashboardOf(template), ctx, template);
  const body = JSON.parse(text) as DashboardBody;
  if (!Array.isArray(body.widgets)) throw new DashboardBodyError('the dashboard body has no widgets');
  return body;
};

/**
 * Alarms of the template by the ARN the body names them with: their logical id and description, so
 * the alarm widget can list them (the emulator's CloudFormation does not create alarms).
 */
export const alarmsOf = (
  template: CfnTemplate,
  ctx: ResolveContext,
): Map<string, { readonly logicalId: string; readonly description: string; readonly threshold?: number }> =>
  new Map(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([id, r]) => [
        notCreated(id, ctx, r.Type),
        {
          logicalId: id,
          description: String(r.Properties?.AlarmDescription ?? '').split('\n')[0] ?? '',
          ...(typeof r.Properties?.Threshold === 'number' && { threshold: r.Properties.Threshold }),
        },
      ]),
  );
