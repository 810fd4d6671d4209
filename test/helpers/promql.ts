import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

/** One vector selector of an expression: metric name, matchers, and the range / function around it. */
export interface Selector {
  metric: string;
  matchers: Map<string, { op: string; value: string }>;
  /** Every matcher in order, repeated label names included (`job="x",job=~"$job"`). */
  matcherList: Array<{ label: string; op: string; value: string }>;
  /** `[5m]` of a range selector, without brackets. */
  range?: string;
  /** The function or aggregation the selector (or its range) is the argument of, e.g. `rate`, `count`. */
  func?: string;
}

export interface PromqlAnalysis {
  /** Parse errors as "at N: text"; empty when the expression parses. */
  errors: string[];
  selectors: Selector[];
}

/** Grafana's built-in variables, as the dashboard linter substitutes them before parsing. */
export function substituteGrafanaBuiltins(expr: string, values: { rateInterval?: string; range?: string } = {}): string {
  return expr
    .replaceAll('$__rate_interval', values.rateInterval ?? '5m')
    .replaceAll('$__range', values.range ?? '1h')
    .replaceAll('$__interval', '1m');
}

/** Parses PromQL with Prometheus's own Lezer grammar (the one its web UI uses). */
export function analysePromql(expr: string): PromqlAnalysis {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) errors.push(`at ${ref.from}: ${JSON.stringify(expr.slice(Math.max(0, ref.from - 20), ref.to + 20))}`);
      if (ref.name === 'VectorSelector') selectors.push(selector(ref.node, expr));
    },
  });
  return { errors, selectors };
}

function selector(node: SyntaxNode, expr: string): Selector {
  const text = (n: SyntaxNode | null | undefined) => (n ? expr.slice(n.from, n.to) : '');
  const matchers = new Map<string, { op: string; value: string }>();
  const matcherList: Selector['matcherList'] = [];
  const list = node.getChild('LabelMatchers');
  for (let m = list?.firstChild; m; m = m.nextSibling) {
    if (!m.name.endsWith('LabelMatcher')) continue;
    const matcher = { op: text(m.getChild('MatchOp')), value: JSON.parse(text(m.getChild('StringLiteral')).replace(/^'|'$/g, '"')) as string };
    matchers.set(text(m.getChild('LabelName')), matcher);
    matcherList.push({ label: text(m.getChild('LabelName')), ...matcher });
  }
  const metric = text(node.getChild('Identifier')) || (matchers.get('__name__')?.value ?? '');
  const s: Selector = { metric, matchers, matcherList };
  let outer: SyntaxNode = node;
  if (node.parent?.name === 'MatrixSelector') {
    outer = node.parent;
    s.range = text(outer.getChild('DurationExpr') ?? outer.lastChild?.prevSibling);
  }
  const call = outer.parent?.name === 'FunctionCallBody' ? outer.parent.parent : null;
  if (call?.name === 'FunctionCall') s.func = text(call.getChild('FunctionIdentifier'));
  if (call?.name === 'AggregateExpr') s.func = text(call.getChild('AggregateOp'));
  return s;
}

/**
 * The labels of what an expression returns, as far as the expression alone says: `labels` is
 * undefined where they depend on the series (a bare selector, `without`), and `keepsName` tells
 * whether `__name__` can survive (selectors, filters and label functions over them). Follows
 * Prometheus's rules: aggregations keep their `by` labels, one-to-one matching `on (…)` keeps those
 * labels, `group_left (…)` adds them to the left side's; arithmetic drops the name.
 */
export type ResultLabels = { scalar: true } | { scalar: false; labels: Set<string> | undefined; keepsName: boolean };

const SCALAR_FUNCTIONS = new Set(['time', 'pi', 'scalar', 'day_of_month', 'day_of_week', 'hour', 'minute', 'month', 'year', 'days_in_month']);
const COMPARISONS = new Set(['Eql', 'Neq', 'Gtr', 'Lss', 'Gte', 'Lte']);

export function resultLabels(expr: string): ResultLabels {
  const text = (n: SyntaxNode | null | undefined) => (n ? expr.slice(n.from, n.to) : '');
  const grouping = (n: SyntaxNode | null | undefined) => new Set((n?.getChildren('LabelName') ?? []).map(text));
  const unknown: ResultLabels = { scalar: false, labels: undefined, keepsName: true };
  const dropName = (r: ResultLabels): ResultLabels => (r.scalar ? r : { ...r, keepsName: false });
  const visit = (n: SyntaxNode): ResultLabels => {
    switch (n.name) {
      case 'PromQL':
      case 'ParenExpr':
      case 'OffsetExpr':
      case 'SubqueryExpr':
      case 'MatrixSelector':
      case 'StepInvariantExpr':
        return n.firstChild ? visit(firstExpr(n)) : unknown;
      case 'NumberDurationLiteral':
      case 'NumberLiteral':
      case 'StringLiteral':
        return { scalar: true };
      case 'VectorSelector':
        return unknown;
      case 'UnaryExpr':
        return dropName(visit(firstExpr(n)));
      case 'FunctionCall': {
        const name = text(n.getChild('FunctionIdentifier'));
        const args = argsOf(n.getChild('FunctionCallBody'));
        if (SCALAR_FUNCTIONS.has(name) && !(args.length > 0 && name !== 'scalar' && !visit(args[0] as SyntaxNode).scalar)) return { scalar: true };
        if (name === 'vector') return { scalar: false, labels: new Set(), keepsName: false };
        const vector = args.map(visit).find((r) => !r.scalar) ?? unknown;
        if (vector.scalar) return vector;
        if (name === 'label_replace' || name === 'label_join') {
          const dst = JSON.parse(text(args[1]).replace(/^'|'$/g, '"')) as string;
          return { ...vector, labels: vector.labels && new Set([...vector.labels, dst]) };
        }
        if (name === 'histogram_quantile')
          return { scalar: false, labels: vector.labels && new Set([...vector.labels].filter((l) => l !== 'le')), keepsName: false };
        if (['sort', 'sort_desc', 'last_over_time', 'timestamp'].includes(name)) return vector;
        return dropName(vector);
      }
      case 'AggregateExpr': {
        const op = text(n.getChild('AggregateOp'));
        const modifier = n.getChild('AggregateModifier');
        const args = argsOf(n.getChild('FunctionCallBody'));
        if (['topk', 'bottomk', 'limitk', 'limit_ratio'].includes(op)) return visit(args[args.length - 1] as SyntaxNode);
        if (modifier?.getChild('Without')) return { scalar: false, labels: undefined, keepsName: false };
        const by = modifier ? grouping(modifier.getChild('GroupingLabels')) : new Set<string>();
        if (op === 'count_values') by.add(JSON.parse(text(args[0]).replace(/^'|'$/g, '"')) as string);
        return { scalar: false, labels: by, keepsName: false };
      }
      case 'BinaryExpr': {
        const sides = exprChildren(n);
        const l = visit(sides[0] as SyntaxNode);
        const r = visit(sides[1] as SyntaxNode);
        const opNode = sides[0]?.nextSibling;
        const op = opNode?.name ?? '';
        const isSet = op === 'And' || op === 'Or' || op === 'Unless';
        const filter = COMPARISONS.has(op) && !n.getChild('BoolModifier');
        if (l.scalar && r.scalar) return { scalar: true };
        if (isSet) {
          if (l.scalar || r.scalar) return unknown;
          if (op !== 'Or') return l;
          const same = l.labels && r.labels && l.labels.size === r.labels.size && [...l.labels].every((x) => r.labels?.has(x));
          return { scalar: false, labels: same ? l.labels : undefined, keepsName: l.keepsName || r.keepsName };
        }
        if (l.scalar || r.scalar) {
          const v = (l.scalar ? r : l) as Exclude<ResultLabels, { scalar: true }>;
          return filter ? v : { ...v, keepsName: false };
        }
        const matching = n.getChild('MatchingModifierClause');
        const groups = matching?.getChildren('GroupingLabels') ?? [];
        const keepName = filter ? l.keepsName : false;
        if (matching?.getChild('GroupLeft')) return { scalar: false, labels: l.labels && new Set([...l.labels, ...grouping(groups[1])]), keepsName: keepName };
        if (matching?.getChild('GroupRight')) return { scalar: false, labels: r.labels && new Set([...r.labels, ...grouping(groups[1])]), keepsName: false };
        if (matching?.getChild('On')) return { scalar: false, labels: grouping(groups[0]), keepsName: false };
        if (matching?.getChild('Ignoring')) {
          const ignored = grouping(groups[0]);
          return { scalar: false, labels: l.labels && new Set([...l.labels].filter((x) => !ignored.has(x))), keepsName: keepName };
        }
        return { scalar: false, labels: l.labels, keepsName: keepName };
      }
      default:
        return unknown;
    }
  };
  const tree = parser.parse(expr);
  return visit(tree.topNode);
}

const NOT_EXPRESSIONS = new Set([
  'AggregateOp',
  'AggregateModifier',
  'FunctionIdentifier',
  'MatchingModifierClause',
  'BoolModifier',
  'Offset',
  'OffsetDurationExpr',
  'DurationExpr',
  'At',
  'AtModifierPreprocessors',
  'SubqueryOp',
  'UnaryOp',
  '(',
  ')',
  ',',
  'Comma',
]);

function exprChildren(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (!NOT_EXPRESSIONS.has(c.name) && !isOperator(c)) out.push(c);
  return out;
}

function isOperator(n: SyntaxNode): boolean {
  return ['Add', 'Sub', 'Mul', 'Div', 'Mod', 'Pow', 'Atan2', 'And', 'Or', 'Unless', ...COMPARISONS].includes(n.name);
}

function firstExpr(n: SyntaxNode): SyntaxNode {
  return exprChildren(n)[0] ?? (n.firstChild as SyntaxNode);
}

function argsOf(body: SyntaxNode | null): SyntaxNode[] {
  return body ? exprChildren(body) : [];
}
