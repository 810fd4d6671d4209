import type { Dashboard, DataTransformerConfig, Panel, RowPanel, VariableModel } from '@grafana/schema';
import type { MixinConfig } from '../../src/mixin/config.js';

/**
 * A small typed builder for the Grafana dashboard JSON model (schemaVersion 39, as the monitoring
 * mixins emit; newer Grafana versions migrate it on load). Panels are declared with their size and
 * laid out left to right, row by row; every panel and query uses the `datasource` variable.
 */

export const SCHEMA_VERSION = 39;
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export type PanelType = 'timeseries' | 'stat' | 'gauge' | 'bargauge' | 'table' | 'heatmap' | 'state-timeline';

export interface Query {
  expr: string;
  legend?: string;
  /** Instant query (stat, gauge, bar gauge and table panels showing "now" or a whole-range figure). */
  instant?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
}

export interface ValueMapping {
  value: string;
  text: string;
  color: string;
}

export interface PanelSpec {
  type: PanelType;
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  w: number;
  h: number;
  min?: number;
  max?: number;
  decimals?: number;
  /** Absolute threshold steps after the base: [value, color]. Time series draw them as dashed lines. */
  thresholds?: Array<[number, string]>;
  /** Colour below the first step: green unless low values are the bad ones (budget left, days to expiry). */
  baseColor?: string;
  /** Table columns (display names) whose cells take the threshold colour; thresholds colour nothing else in a table. */
  coloredColumns?: string[];
  mappings?: ValueMapping[];
  stack?: boolean;
  /** Per-field unit overrides, by field name (tables: `Value #A` …). */
  fieldUnits?: Record<string, string>;
  /** Extra panel options merged over the type's defaults. */
  options?: Record<string, unknown>;
  transformations?: DataTransformerConfig[];
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
  /**
   * Starts folded: the row panel holds its panels (laid out as they appear when it is opened) and
   * the next row follows right below it. For detail that only some hosts have (RAID, bonding, systemd).
   */
  collapsed?: boolean;
}

/**
 * How a variable selects: "All" as `.+` (labels always present) or `.*` (labels that may be empty),
 * or `one` value at a time, the first in sort order by default.
 */
export type Selection = '.+' | '.*' | 'one';

export interface VariableSpec {
  name: string;
  label: string;
  /** The label the variable's values come from (its name, except `$cluster`'s). */
  labelName: string;
  query: string;
  selection: Selection;
  /** The value shown first, when the selector pins it. */
  current?: string;
}

/**
 * The matchers every query of the dashboards starts with: the `selector` knob, and with
 * showMultiCluster the `$cluster` variable. Add `job=~"$job"` and the dashboard's own after it.
 */
export function scope(c: MixinConfig): string {
  return [c.selector, c.showMultiCluster ? `${c.clusterLabel}=~"$cluster"` : ''].filter((m) => m !== '').join(',');
}

/**
 * Chained query variables over one metric within the `selector` knob, each filtering on the ones
 * before it: `$cluster` (with showMultiCluster), `$job`, then the dashboard's (instance → …).
 * `$job` and `$cluster` take one value: next to a kubelet's cAdvisor or a node_exporter scraped
 * under another job, a sum over all jobs counts everything twice. `$job` starts on the job the
 * selector names, if it names one.
 */
export function chainedVariables(c: MixinConfig, metric: string, vars: Array<[name: string, label: string, selection: Selection]>): VariableSpec[] {
  const pinned = /^job="([^"]+)"$/.exec(c.selector)?.[1];
  const all: Array<Omit<VariableSpec, 'query'>> = [
    ...(c.showMultiCluster ? [{ name: 'cluster', label: 'Cluster', labelName: c.clusterLabel, selection: 'one' as const }] : []),
    { name: 'job', label: 'Job', labelName: 'job', selection: 'one', ...(pinned ? { current: pinned } : {}) },
    ...vars.map(([name, label, selection]) => ({ name, label, labelName: name, selection })),
  ];
  return all.map((v, i) => {
    const filters = [c.selector, ...all.slice(0, i).map((before) => `${before.labelName}=~"$${before.name}"`)].filter((m) => m !== '').join(',');
    return { ...v, query: `label_values(${metric}${filters ? `{${filters}}` : ''}, ${v.labelName})` };
  });
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: VariableSpec[];
  rows: RowSpec[];
}

export type Json = Record<string, unknown>;

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Typed against @grafana/schema's dashboard model, so a misspelt or mistyped field fails the build. */
export function dashboard(spec: DashboardSpec): Dashboard {
  let id = 1;
  let y = 0;
  const panels: Array<Panel | RowPanel> = [];
  for (const row of spec.rows) {
    const rowPanel: RowPanel = { type: 'row', id: id++, title: row.title, collapsed: row.collapsed ?? false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] };
    panels.push(rowPanel);
    const top = y + 1;
    let rowY = top;
    let x = 0;
    let rowHeight = 0;
    const children: Panel[] = [];
    for (const p of row.panels) {
      if (x + p.w > 24) {
        rowY += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      children.push(panel(p, id++, { x, y: rowY, w: p.w, h: p.h }));
      x += p.w;
      rowHeight = Math.max(rowHeight, p.h);
    }
    if (row.collapsed) {
      rowPanel.panels = children;
      y = top;
    } else {
      panels.push(...children);
      y = rowY + rowHeight;
    }
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: false,
    graphTooltip: 1,
    timezone: '',
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    annotations: { list: [] },
    links: [
      {
        type: 'dashboards',
        title: 'spyglass',
        tags: spec.tags,
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
      },
    ],
    templating: { list: [datasourceVariable(), ...spec.variables.map(queryVariable)] },
    panels,
  };
}

function datasourceVariable(): VariableModel {
  return { type: 'datasource', name: 'datasource', label: 'Data source', query: 'prometheus', hide: 0, refresh: 1, regex: '', options: [] };
}

function queryVariable(v: VariableSpec): VariableModel {
  const all = v.selection !== 'one';
  // A single-value variable without a pinned default is left without `current`: Grafana then
  // selects the first value once the query has run (the same as opening the drop-down and taking the top entry).
  const current = all ? { text: 'All', value: '$__all' } : v.current ? { text: v.current, value: v.current } : undefined;
  return {
    type: 'query',
    name: v.name,
    label: v.label,
    datasource: DATASOURCE,
    query: { query: v.query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    multi: all,
    includeAll: all,
    ...(all ? { allValue: v.selection } : {}),
    ...(current ? { current } : {}),
    options: [],
    sort: 1,
    hide: 0,
    regex: '',
  };
}

function panel(p: PanelSpec, id: number, gridPos: Panel['gridPos']): Panel {
  const defaults: Json = { unit: p.unit };
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.decimals !== undefined) defaults.decimals = p.decimals;
  defaults.thresholds = {
    mode: 'absolute',
    steps: [{ color: p.baseColor ?? 'green', value: null }, ...(p.thresholds ?? []).map(([value, color]) => ({ color, value }))],
  };
  // Time series and tables keep one colour per series (a threshold colour would paint every line
  // of a panel alike); single values (stat, gauge, bar gauge) and value mappings take the threshold colour.
  const byThresholds = p.type !== 'timeseries' && p.type !== 'table' && (p.mappings !== undefined || p.thresholds !== undefined);
  defaults.color = byThresholds ? { mode: 'thresholds' } : { mode: 'palette-classic' };
  if (p.mappings)
    defaults.mappings = [{ type: 'value', options: Object.fromEntries(p.mappings.map((m, index) => [m.value, { text: m.text, color: m.color, index }])) }];
  if (p.type === 'timeseries')
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: p.stack ? 40 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: p.stack ? 'normal' : 'none', group: 'A' },
      thresholdsStyle: { mode: p.thresholds ? 'dashed' : 'off' },
    };
  const overrides = [
    ...Object.entries(p.fieldUnits ?? {}).map(([name, unit]) => ({
      matcher: { id: 'byName', options: name },
      properties: [{ id: 'unit', value: unit }],
    })),
    ...(p.coloredColumns ?? []).map((name) => ({
      matcher: { id: 'byName', options: name },
      properties: [
        { id: 'color', value: { mode: 'thresholds' } },
        { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'basic' } },
      ],
    })),
  ];
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults, overrides },
    options: { ...typeOptions(p.type), ...(p.options ?? {}) },
    targets: p.queries.map((q, i) => target(q, REF_IDS[i] as string, p.type)),
    ...(p.transformations ? { transformations: p.transformations } : {}),
  };
}

function target(q: Query, refId: string, type: PanelType): Json {
  const instant = q.instant ?? (type === 'stat' || type === 'gauge' || type === 'bargauge' || type === 'table');
  return {
    refId,
    datasource: DATASOURCE,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    instant,
    range: !instant,
    format: q.format ?? (type === 'table' ? 'table' : type === 'heatmap' ? 'heatmap' : 'time_series'),
    ...(type === 'heatmap' ? { interval: '' } : {}),
  };
}

function typeOptions(type: PanelType): Json {
  const reduce = { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } };
  switch (type) {
    case 'timeseries':
      return {
        legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['mean', 'max', 'lastNotNull'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'stat':
      return { ...reduce, colorMode: 'background', graphMode: 'none', textMode: 'auto', justifyMode: 'auto', orientation: 'auto' };
    case 'gauge':
      return { ...reduce, showThresholdLabels: false, showThresholdMarkers: true };
    case 'bargauge':
      return { ...reduce, displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
    case 'heatmap':
      return {
        calculate: false,
        yAxis: { unit: 's', axisPlacement: 'left' },
        cellGap: 1,
        color: { mode: 'scheme', scheme: 'Spectral', steps: 64, exponent: 0.5, fill: 'dark-orange' },
        legend: { show: true },
        tooltip: { show: true, yHistogram: false },
        rowsFrame: { layout: 'auto' },
        exemplars: { color: 'rgba(255,0,255,0.7)' },
      };
    case 'state-timeline':
      return {
        showValue: 'never',
        mergeValues: true,
        alignValue: 'left',
        rowHeight: 0.9,
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'single', sort: 'none' },
      };
  }
}

/** Panel shorthands: `ts(...)` timeseries, `stat(...)`, and so on, with sizes. */
export const ts = (title: string, description: string, unit: string, queries: Query[], extra: Partial<PanelSpec> = {}): PanelSpec => ({
  type: 'timeseries',
  title,
  description,
  unit,
  queries,
  w: 12,
  h: 8,
  ...extra,
});
export const stat = (title: string, description: string, unit: string, queries: Query[], extra: Partial<PanelSpec> = {}): PanelSpec => ({
  type: 'stat',
  title,
  description,
  unit,
  queries,
  w: 4,
  h: 4,
  ...extra,
});
export const gauge = (title: string, description: string, queries: Query[], extra: Partial<PanelSpec> = {}): PanelSpec => ({
  type: 'gauge',
  title,
  description,
  unit: 'percentunit',
  min: 0,
  max: 1,
  thresholds: [
    [0.8, 'orange'],
    [0.9, 'red'],
  ],
  queries,
  w: 4,
  h: 4,
  ...extra,
});
export const table = (title: string, description: string, unit: string, queries: Query[], extra: Partial<PanelSpec> = {}): PanelSpec => ({
  type: 'table',
  title,
  description,
  unit,
  queries: queries.map((q) => ({ format: 'table', instant: true, ...q })),
  w: 24,
  h: 8,
  ...extra,
});

/** Grafana's "merge" then "organize" transformations: one table row per series, time and __name__ hidden, columns renamed. */
export function mergedTable(renames: Record<string, string>, hide: string[] = []): DataTransformerConfig[] {
  return [
    { id: 'merge', options: {} },
    {
      id: 'organize',
      options: { excludeByName: Object.fromEntries(['Time', '__name__', 'job', ...hide].map((k) => [k, true])), renameByName: renames, indexByName: {} },
    },
  ];
}

export const UP_DOWN: ValueMapping[] = [
  { value: '0', text: 'Down', color: 'red' },
  { value: '1', text: 'Up', color: 'green' },
];
