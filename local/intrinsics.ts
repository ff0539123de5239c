/**
 * A small CloudFormation intrinsic-function resolver: enough of `Ref`, `Fn::GetAtt`, `Fn::Join`,
 * `Fn::Select`, `Fn::Split`, `Fn::Sub`, `Fn::If` and conditions to resolve the outputs, resource
 * properties and Lambda environment variables of a synthesized template against locally created
 * resources. Pure apart from the lookups the caller passes in.
 */

/** Raised when a template value uses something local mode cannot resolve; names the value. */
export class UnresolvableError extends Error {
  override readonly name = 'UnresolvableError';
}

/** What the resolver needs to know about the stack being resolved. */
export interface ResolveContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** Physical id (`Ref`) of a resource, or undefined when the resource is unknown. */
  ref(logicalId: string): string | undefined;
  /** Attribute (`Fn::GetAtt`) of a resource, or undefined when unknown. */
  getAtt(logicalId: string, attribute: string): string | undefined;
  /** Template `Conditions`, evaluated lazily. @default {} */
  readonly conditions?: Record<string, unknown>;
  /** Template `Mappings`. @default {} */
  readonly mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** Marker for `Ref: AWS::NoValue`: the property or list entry is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

const pseudo = (name: string, ctx: ResolveContext): string | undefined => {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/local`;
    case 'AWS::NotificationARNs':
      return '';
    default:
      return undefined;
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asString = (value: unknown, what: string): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new UnresolvableError(`${what} did not resolve to a string: ${JSON.stringify(value)}`);
};

const resolveRef = (name: string, ctx: ResolveContext): string => {
  const value = pseudo(name, ctx) ?? ctx.ref(name);
  if (value === undefined) throw new UnresolvableError(`Ref ${name}: unknown resource or parameter`);
  return value;
};

const resolveGetAtt = (logicalId: string, attribute: string, ctx: ResolveContext): string => {
  const value = ctx.getAtt(logicalId, attribute);
  if (value === undefined)
    throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute} is not known locally`);
  return value;
};

const substitute = (template: string, vars: Record<string, unknown>, ctx: ResolveContext): string =>
  template.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in vars) return asString(resolveValue(vars[name], ctx), `Fn::Sub variable ${name}`);
    const dot = name.indexOf('.');
    if (dot > 0 && pseudo(name, ctx) === undefined) {
      return resolveGetAtt(name.slice(0, dot), name.slice(dot + 1), ctx);
    }
    return resolveRef(name, ctx);
  });

/** Evaluate a named template condition (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`). */
export const evaluateCondition = (name: string, ctx: ResolveContext): boolean => {
  const definition = ctx.conditions?.[name];
  if (definition === undefined) throw new UnresolvableError(`condition ${name} is not defined`);
  return evaluateConditionValue(definition, ctx);
};

const evaluateConditionValue = (value: unknown, ctx: ResolveContext): boolean => {
  if (typeof value === 'boolean') return value;
  if (!isObject(value)) throw new UnresolvableError(`not a condition: ${JSON.stringify(value)}`);
  const [fn, arg] = Object.entries(value)[0] ?? [];
  const args = Array.isArray(arg) ? arg : [arg];
  switch (fn) {
    case 'Condition':
      return evaluateCondition(asString(arg, 'Condition'), ctx);
    case 'Fn::Equals':
      return JSON.stringify(resolveValue(args[0], ctx)) === JSON.stringify(resolveValue(args[1], ctx));
    case 'Fn::Not':
      return !evaluateConditionValue(args[0], ctx);
    case 'Fn::And':
      return args.every((a) => evaluateConditionValue(a, ctx));
    case 'Fn::Or':
      return args.some((a) => evaluateConditionValue(a, ctx));
    default:
      throw new UnresolvableError(`unsupported condition function ${String(fn)}`);
  }
};

const resolveInner = (value: unknown, ctx: ResolveContext): unknown => {
  if (Array.isArray(value)) {
    return value.map((v) => resolveInner(v, ctx)).filter((v) => v !== NO_VALUE);
  }
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0]!;
    const arg = value[key];
    switch (key) {
      case 'Ref':
        return arg === 'AWS::NoValue' ? NO_VALUE : resolveRef(asString(arg, 'Ref'), ctx);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg : asString(arg, 'Fn::GetAtt').split('.');
        return resolveGetAtt(
          asString(id, 'Fn::GetAtt'),
          asString(resolveInner(attr, ctx), 'Fn::GetAtt'),
          ctx,
        );
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown];
        const list = resolveInner(parts, ctx);
        if (!Array.isArray(list)) throw new UnresolvableError('Fn::Join needs a list');
        return list.map((p) => asString(p, 'Fn::Join part')).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolveInner(list, ctx);
        const i = Number(resolveInner(index, ctx));
        if (!Array.isArray(items) || i < 0 || i >= items.length)
          throw new UnresolvableError(`Fn::Select index ${i} out of range`);
        return items[i];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return asString(resolveInner(source, ctx), 'Fn::Split source').split(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg, {}];
        return substitute(asString(text, 'Fn::Sub'), vars ?? {}, ctx);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return resolveInner(evaluateCondition(condition, ctx) ? whenTrue : whenFalse, ctx);
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${ctx.region}${z}`);
      case 'Fn::Base64':
        return Buffer.from(asString(resolveInner(arg, ctx), 'Fn::Base64')).toString('base64');
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((a) =>
          asString(resolveInner(a, ctx), 'Fn::FindInMap'),
        );
        const found = ctx.mappings?.[map!]?.[top!]?.[second!];
        if (found === undefined)
          throw new UnresolvableError(`Fn::FindInMap ${map}.${top}.${second} not found`);
        return found;
      }
      default:
        if (key.startsWith('Fn::')) throw new UnresolvableError(`${key} is not supported by local mode`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const resolved = resolveInner(v, ctx);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
};

/**
 * Resolve every intrinsic function in a template value. Throws `UnresolvableError` naming the first
 * thing it cannot resolve; `Ref: AWS::NoValue` removes the property.
 */
export const resolveValue = (value: unknown, ctx: ResolveContext): unknown => {
  const resolved = resolveInner(value, ctx);
  return resolved === NO_VALUE ? undefined : resolved;
};

/** Resolve a value that must end up a string. */
export const resolveString = (value: unknown, ctx: ResolveContext, what: string): string =>
  asString(resolveValue(value, ctx), what);

/** Logical ids a template value refers to through `Ref`, `Fn::GetAtt` and `Fn::Sub`. */
export const referencedIds = (value: unknown, into: Set<string> = new Set()): Set<string> => {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, into);
  } else if (isObject(value)) {
    for (const [key, arg] of Object.entries(value)) {
      if (key === 'Ref' && typeof arg === 'string' && !arg.startsWith('AWS::')) into.add(arg);
      else if (key === 'Fn::GetAtt') {
        const id = Array.isArray(arg) ? arg[0] : String(arg).split('.')[0];
        if (typeof id === 'string') into.add(id);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(arg) ? arg[0] : arg;
        if (typeof text === 'string') {
          for (const m of text.matchAll(/\$\{([^}!][^}.]*)[^}]*\}/g)) {
            if (!m[1]!.startsWith('AWS::')) into.add(m[1]!);
          }
        }
        if (Array.isArray(arg)) referencedIds(arg[1], into);
      } else referencedIds(arg, into);
    }
  }
  return into;
};
