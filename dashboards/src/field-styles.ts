import type { Dashboard, Panel } from '@grafana/schema';

/** Field styles applied to a built dashboard by panel title (the panel builder has no per-series styling). */

function panelByTitle(d: Dashboard, title: string): Panel {
  const panels = (d.panels ?? []).flatMap((p) => ('panels' in p && p.type === 'row' ? (p.panels ?? []) : [p as Panel]));
  const p = panels.find((x) => x.title === title);
  if (!p?.fieldConfig) throw new Error(`${d.uid}: no panel "${title}" to style`);
  return p;
}

/** Draws the series whose legend ends with " request" or " limit" as dashed lines without fill, so usage reads against them. */
export function limitLines(d: Dashboard, titles: string[]): Dashboard {
  for (const title of titles) {
    const p = panelByTitle(d, title);
    for (const [suffix, color] of [
      ['limit', 'red'],
      ['request', 'blue'],
    ] as const)
      p.fieldConfig?.overrides.push({
        matcher: { id: 'byRegexp', options: `.* ${suffix}$` },
        properties: [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
          { id: 'custom.fillOpacity', value: 0 },
          { id: 'custom.lineWidth', value: 2 },
          { id: 'color', value: { mode: 'fixed', fixedColor: color } },
        ],
      });
  }
  return d;
}
