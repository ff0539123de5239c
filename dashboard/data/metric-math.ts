import jsep from 'jsep';

/**
 * CloudWatch metric math for the expressions a dashboard body holds (`IF`, `FILL`, `PERIOD`,
 * arithmetic and comparisons over other queries' ids), evaluated point by point. The emulator's
 * GetMetricData returns an expression's operand unchanged instead of computing it, so the local page
 * computes it here. Parsing is jsep's (the syntax is JavaScript-like); only the evaluation of the few
 * functions is ours.
 */

/** A time series: epoch ms → value. */
export type Series = ReadonlyMap<number, number>;

/** A metric math expression could not be evaluated locally. */
export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
}

/** Operand ids an expression uses (so they can be fetched first). Pure. */
export const idsOf = (expression: string): string[] => {
  const ids = new Set<string>();
  const walk = (node: jsep.Expression): void => {
    if (node.type === 'Identifier') ids.add((node as jsep.Identifier).name);
    for (const [key, child] of Object.entries(node)) {
      if (key === 'callee') continue;
      if (Array.isArray(child)) for (const c of child) if (c && typeof c === 'object' && 'type' in c) walk(c);
      if (child && typeof child === 'object' && 'type' in child) walk(child as jsep.Expression);
    }
  };
  walk(jsep(expression));
  return [...ids];
};

/**
 * Evaluate an expression over named series with a period (seconds), at every timestamp any operand
 * has. A point is left out where an operand is missing and not `FILL`ed. Pure.
 */
export const evaluateMath = (
  expression: string,
  series: Readonly<Record<string, Series>>,
  periodSeconds: number,
  grid: readonly number[],
): Map<number, number> => {
  const ast = jsep(expression);
  const out = new Map<number, number>();
  for (const t of grid) {
    const value = evalAt(ast, series, periodSeconds, t);
    if (value !== undefined && Number.isFinite(value)) out.set(t, value);
  }
  return out;
};

type Value = number | undefined;

const evalAt = (
  node: jsep.Expression,
  series: Readonly<Record<string, Series>>,
  period: number,
  t: number,
): Value => {
  const ev = (n: jsep.Expression) => evalAt(n, series, period, t);
  switch (node.type) {
    case 'Literal':
      return Number((node as jsep.Literal).value);
    case 'Identifier': {
      const s = series[(node as jsep.Identifier).name];
      if (s === undefined) throw new MetricMathError(`unknown id ${(node as jsep.Identifier).name}`);
      return s.get(t);
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      const v = ev(u.argument);
      return v === undefined ? undefined : u.operator === '-' ? -v : v;
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      const l = ev(b.left);
      const r = ev(b.right);
      if (l === undefined || r === undefined) return undefined;
      const ops: Record<string, (a: number, c: number) => number> = {
        '+': (a, c) => a + c,
        '-': (a, c) => a - c,
        '*': (a, c) => a * c,
        '/': (a, c) => (c === 0 ? Number.NaN : a / c),
        '>': (a, c) => Number(a > c),
        '>=': (a, c) => Number(a >= c),
        '<': (a, c) => Number(a < c),
        '<=': (a, c) => Number(a <= c),
        '==': (a, c) => Number(a === c),
        '!=': (a, c) => Number(a !== c),
        '&&': (a, c) => Number(a !== 0 && c !== 0),
        '||': (a, c) => Number(a !== 0 || c !== 0),
      };
      const op = ops[b.operator];
      if (op === undefined) throw new MetricMathError(`operator ${b.operator} is not supported locally`);
      return op(l, r);
    }
    case 'CallExpression': {
      const c = node as jsep.CallExpression;
      const name = (c.callee as jsep.Identifier).name;
      const args = c.arguments;
      if (name === 'FILL' && args.length === 2) return ev(args[0]!) ?? ev(args[1]!);
      if (name === 'PERIOD' && args.length === 1) return period;
      if (name === 'IF' && args.length === 3) {
        const cond = ev(args[0]!);
        return cond === undefined ? undefined : cond !== 0 ? ev(args[1]!) : ev(args[2]!);
      }
      throw new MetricMathError(`function ${name} is not supported locally`);
    }
    default:
      throw new MetricMathError(`${node.type} is not supported locally`);
  }
};

/** A parsed `SEARCH('{ns,Dim,…} terms', 'Stat', period)` expression. */
export interface SearchExpression {
  readonly namespace: string;
  /** The exact dimension names a matching metric has (the schema). */
  readonly dimensionNames: readonly string[];
  /** `MetricName="X"` when given. */
  readonly metricName?: string;
  /** `Key="value"` terms. */
  readonly filters: Readonly<Record<string, string>>;
  readonly stat: string;
  readonly periodSeconds: number;
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

/** Parse a SEARCH expression of the forms a dashboard body uses; `undefined` when it is not one. Pure. */
export const parseSearch = (expression: string): SearchExpression | undefined => {
  const m = /^SEARCH\(\s*'\{([^}]*)\}\s*(.*)'\s*,\s*'([^']+)'\s*,\s*(\d+)\s*\)$/s.exec(expression.trim());
  if (m === null) return undefined;
  const [namespace, ...dimensionNames] = m[1]!.split(',').map(unquote);
  const filters: Record<string, string> = {};
  let metricName: string | undefined;
  for (const term of m[2]!.matchAll(/("[^"]+"|[A-Za-z0-9_.-]+)\s*=\s*"([^"]*)"/g)) {
    const key = unquote(term[1]!);
    if (key === 'MetricName') metricName = term[2]!;
    else filters[key] = term[2]!;
  }
  return {
    namespace: namespace!,
    dimensionNames,
    ...(metricName !== undefined && { metricName }),
    filters,
    stat: m[3]!,
    periodSeconds: Number(m[4]),
  };
};
