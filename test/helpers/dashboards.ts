/** The shape of the generated dashboard JSON that the tests read, and its queries. */
export interface TargetJson {
  refId: string;
  expr: string;
  instant: boolean;
  datasource?: { uid: string };
}

export interface PanelJson {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig: {
    defaults: Record<string, unknown>;
    overrides: Array<{ matcher?: { id: string; options: string }; properties: Array<{ id: string; value: unknown }> }>;
  };
  targets: TargetJson[];
  transformations?: Array<{ id: string; options: unknown }>;
  /** Rows: folded or not, and (folded) the panels they hold. */
  collapsed?: boolean;
  panels?: PanelJson[];
}

/** Every panel that is not a row, those inside collapsed rows included. */
export function contentPanels(d: DashboardJson): PanelJson[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

export interface VariableJson {
  type: string;
  name: string;
  label: string;
  query: { query: string };
  datasource?: { uid: string };
  refresh: number;
  multi: boolean;
  includeAll: boolean;
  allValue?: string;
  current?: { text: string | string[]; value: string | string[] };
}

export interface DashboardJson {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  editable: boolean;
  links: Array<{ type: string; tags: string[]; includeVars: boolean; keepTime: boolean }>;
  templating: { list: VariableJson[] };
  panels: PanelJson[];
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

export function dashboardQueries(dashboards: Array<[string, DashboardJson]>): DashboardQuery[] {
  return dashboards.flatMap(([dashboard, d]) =>
    contentPanels(d).flatMap((p) => p.targets.map((t) => ({ dashboard, panel: p.title, refId: t.refId, expr: t.expr, instant: t.instant }))),
  );
}
