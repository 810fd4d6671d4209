import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

/** One vector selector of an expression: metric name, matchers, and the range / function around it. */
export interface Selector {
  metric: string;
  matchers: Map<string, { op: string; value: string }>;
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
  const list = node.getChild('LabelMatchers');
  for (let m = list?.firstChild; m; m = m.nextSibling) {
    if (!m.name.endsWith('LabelMatcher')) continue;
    matchers.set(text(m.getChild('LabelName')), {
      op: text(m.getChild('MatchOp')),
      value: JSON.parse(text(m.getChild('StringLiteral')).replace(/^'|'$/g, '"')) as string,
    });
  }
  const metric = text(node.getChild('Identifier')) || (matchers.get('__name__')?.value ?? '');
  const s: Selector = { metric, matchers };
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
