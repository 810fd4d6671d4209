import type { Dashboard, DashboardLink, Panel, RowPanel } from '@grafana/schema';

/**
 * Drill-down between dashboards: panel links and table-cell data links that open another
 * dashboard with the same time range, data source and variables, and set the variables the
 * clicked row names. Applied to a built dashboard, by panel title, so that the panel builder stays
 * as it is.
 *
 * Grafana interpolates `${__url_time_range}` (from=…&to=…) and `${name:queryparam}`
 * (var-name=a&var-name=b, "All" as $__all) in link URLs, and `${__data.fields.<label>}` (the
 * clicked row's value) in data links:
 * https://grafana.com/docs/grafana/latest/panels-visualizations/configure-data-links/
 */

export interface Target {
  uid: string;
  title: string;
}

/**
 * URL of dashboard `to`, keeping the time range and the variables `keep`, and setting `fromFields`
 * variables from the clicked table row (`__data.fields`) or series (`__field.labels`).
 */
export function drillUrl(to: Target, keep: string[], fromFields: string[] = [], source: 'table' | 'series' = 'table'): string {
  const value = (v: string) => (source === 'table' ? `\${__data.fields.${v}}` : `\${__field.labels.${v}}`);
  const params = [
    '${__url_time_range}',
    '${datasource:queryparam}',
    ...keep.filter((v) => !fromFields.includes(v)).map((v) => `\${${v}:queryparam}`),
    ...fromFields.map((v) => `var-${v}=${value(v)}`),
  ];
  return `/d/${to.uid}?${params.join('&')}`;
}

function panelLink(to: Target, keep: string[]): DashboardLink {
  return {
    title: `${to.title} (same range and variables)`,
    type: 'link',
    url: drillUrl(to, keep),
    icon: 'dashboard',
    tooltip: '',
    tags: [],
    asDropdown: false,
    includeVars: false,
    keepTime: false,
    targetBlank: false,
  };
}

export interface DrillDown {
  /** Panels, by title, that get the link. */
  panels: string[];
  to: Target;
  /** Variables carried over as they are. */
  keep: string[];
  /** Variables set from the clicked row's (or series') label of the same name; in tables the link sits on the last one's cells. */
  fromFields?: string[];
}

function allPanels(d: Dashboard): Panel[] {
  return (d.panels ?? []).flatMap((p) => (p.type === 'row' ? (p as RowPanel).panels : [p as Panel]));
}

/** Adds the drill-down links to the named panels; a title that matches no panel is an error (a renamed panel would lose its link silently). */
export function withDrillDowns(d: Dashboard, drills: DrillDown[]): Dashboard {
  const panels = allPanels(d);
  const own = new Set((d.templating?.list ?? []).map((v) => v.name));
  for (const drill of drills)
    for (const title of drill.panels) {
      const p = panels.find((x) => x.title === title);
      if (!p) throw new Error(`${d.uid}: no panel "${title}" to link to ${drill.to.uid}`);
      // The panel's own link has no clicked row: it carries the current selection of the fields' variables too.
      const current = (drill.fromFields ?? []).filter((v) => own.has(v) && !drill.keep.includes(v));
      p.links = [...(p.links ?? []), panelLink(drill.to, [...drill.keep, ...current])];
      const field = drill.fromFields?.at(-1);
      if (!field) continue;
      const fieldConfig = p.fieldConfig ?? { defaults: {}, overrides: [] };
      if (p.type === 'table')
        fieldConfig.overrides.push({
          matcher: { id: 'byName', options: field },
          properties: [
            { id: 'links', value: [{ title: `Open ${drill.to.title} for \${__data.fields.${field}}`, url: drillUrl(drill.to, drill.keep, drill.fromFields) }] },
          ],
        });
      else
        fieldConfig.defaults.links = [
          ...(fieldConfig.defaults.links ?? []),
          { title: `Open ${drill.to.title} for \${__field.labels.${field}}`, url: drillUrl(drill.to, drill.keep, drill.fromFields, 'series') },
        ];
      p.fieldConfig = fieldConfig;
    }
  return d;
}

/** Repeats the row titled `title` once per selected value of `variable` (Grafana row repeat). */
export function repeatRow(d: Dashboard, title: string, variable: string): Dashboard {
  const row = (d.panels ?? []).find((p): p is RowPanel => p.type === 'row' && p.title === title);
  if (!row) throw new Error(`${d.uid}: no row "${title}" to repeat`);
  row.repeat = variable;
  return d;
}
