/**
 * The drill-down between the container dashboards (Containers → Namespace → Pod) and the
 * per-target row of Service latency, read from the generated JSON: every link opens a dashboard
 * that exists, keeps the time range, data source and variables, and sets only variables the target
 * has from labels the clicked panel's queries keep; the limit and request lines match series the
 * panel draws; the kube-state-metrics rows come with their knob only. Grafana does not run here:
 * what Grafana does with these fields is from its documentation (dashboards/src/links.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboards } from '../dashboards/src/index.js';
import { DEFAULT_MIXIN_CONFIG, type MixinConfig } from '../src/mixin/config.js';
import { contentPanels, type DashboardJson, type PanelJson } from './helpers/dashboards.js';
import { analysePromql, substituteGrafanaBuiltins } from './helpers/promql.js';

interface Link {
  title: string;
  url: string;
}
type LinkedPanel = Omit<PanelJson, 'targets' | 'fieldConfig'> & {
  links?: Link[];
  repeat?: string;
  targets: Array<PanelJson['targets'][number] & { legendFormat?: string }>;
  fieldConfig: {
    defaults: { links?: Link[] };
    overrides: Array<{ matcher: { id: string; options: string }; properties: Array<{ id: string; value: unknown }> }>;
  };
};

const generate = (c: MixinConfig) => Object.values(dashboards(c)) as unknown as DashboardJson[];

/** Every link of a panel: its own, its series' (defaults) and its table cells' (overrides), with the field a cell link sits on. */
function linksOf(p: LinkedPanel): Array<Link & { field?: string }> {
  return [
    ...(p.links ?? []),
    ...(p.fieldConfig.defaults.links ?? []),
    ...p.fieldConfig.overrides.flatMap((o) =>
      o.properties.filter((x) => x.id === 'links').flatMap((x) => (x.value as Link[]).map((l) => ({ ...l, field: o.matcher.options }))),
    ),
  ];
}

function checkLinks(all: DashboardJson[]): number {
  const byUid = new Map(all.map((d) => [d.uid, d]));
  let count = 0;
  for (const d of all) {
    const own = new Set(d.templating.list.map((v) => v.name));
    for (const p of contentPanels(d) as unknown as LinkedPanel[]) {
      for (const link of linksOf(p)) {
        count++;
        const where = `${d.uid} "${p.title}" → ${link.url}`;
        const [, uid, query] = /^\/d\/([a-z0-9-]+)\?(.+)$/.exec(link.url) ?? [];
        const to = byUid.get(uid ?? '');
        assert.ok(to && query, `${where}: no such dashboard`);
        const params = query.split('&');
        assert.ok(params.includes('${__url_time_range}'), `${where}: keeps the time range`);
        assert.ok(params.includes('${datasource:queryparam}'), `${where}: keeps the data source`);
        const targetVars = new Set(to.templating.list.map((v) => v.name));
        for (const param of params.slice(2)) {
          const kept = /^\$\{(\w+):queryparam\}$/.exec(param);
          const set = /^var-(\w+)=\$\{__(data\.fields|field\.labels)\.(\w+)\}$/.exec(param);
          assert.ok(kept || set, `${where}: ${param}`);
          const name = (kept?.[1] ?? set?.[1]) as string;
          assert.ok(targetVars.has(name), `${where}: ${to.uid} has no $${name}`);
          if (kept) assert.ok(own.has(name), `${where}: ${d.uid} has no $${name} to keep`);
          if (set) {
            // The clicked row must carry the label: every query of a table keeps it; in a time series the
            // usage (query A) does, the request and limit lines over it may be sums above that level.
            const keeping = set[2] === 'data.fields' ? p.targets : p.targets.slice(0, 1);
            for (const t of keeping) assert.match(t.expr, new RegExp(`by \\([^)]*\\b${set[3]}\\b`), `${where}: ${t.refId} drops ${set[3]}`);
          }
        }
        for (const name of targetVars)
          if (name !== 'datasource' && own.has(name) && !params.some((x) => x.includes(`${name}:`) || x.startsWith(`var-${name}=`)))
            assert.fail(`${where}: $${name} is not carried over`);
        if (link.field) assert.ok(params.includes(`var-${link.field}=\${__data.fields.${link.field}}`), `${where}: the cell link sits on ${link.field}`);
      }
    }
  }
  return count;
}

describe('container drill-down and per-target detail', () => {
  it('links: to dashboards that exist, keeping time range and variables, setting labels the panel keeps', () => {
    const all = generate(DEFAULT_MIXIN_CONFIG);
    assert.ok(checkLinks(all) >= 10, 'the drill-down has its links');
    const linked = (uid: string) =>
      contentPanels(all.find((d) => d.uid === uid) as DashboardJson)
        .filter((p) => linksOf(p as unknown as LinkedPanel).length > 0)
        .map((p) => p.title);
    assert.deepEqual(linked('spyglass-containers'), ['Namespaces', 'CPU usage', 'Top 10 by CPU', 'Top 10 by memory', 'Top 10 by throttling']);
    assert.deepEqual(linked('spyglass-containers-namespace'), ['Quota by pod', 'CPU usage by pod', 'Working set by pod']);
    // With a cluster variable, links carry it too.
    const multi = generate({ ...DEFAULT_MIXIN_CONFIG, showMultiCluster: true });
    checkLinks(multi);
    const url = linksOf(contentPanels(multi[1] as DashboardJson).find((p) => p.title === 'Namespaces') as unknown as LinkedPanel)[0]?.url ?? '';
    assert.match(url, /\$\{cluster:queryparam\}/);
  });

  it('request and limit lines: dashed, on series the panel draws', () => {
    let panels = 0;
    for (const d of generate(DEFAULT_MIXIN_CONFIG))
      for (const p of contentPanels(d) as unknown as LinkedPanel[]) {
        const styled = p.fieldConfig.overrides.filter((o) => o.matcher.id === 'byRegexp' && o.properties.some((x) => x.id === 'custom.lineStyle'));
        if (styled.length === 0) continue;
        panels++;
        const legends = p.targets.map((t) => t.legendFormat ?? '');
        assert.ok(
          styled.some((o) => legends.some((l) => new RegExp(o.matcher.options).test(l))),
          `${d.uid} "${p.title}": no series matches ${styled.map((o) => o.matcher.options)}`,
        );
        assert.ok(
          legends.some((l) => !/ (limit|request)$/.test(l)),
          `${d.uid} "${p.title}": the usage itself is drawn`,
        );
      }
    assert.equal(panels, 5, 'pod: CPU, working set, threads; namespace: CPU, working set; containers: none (ratios there)');
  });

  it('the per-target row repeats over $target, folded, every query on the one target', () => {
    const latency = generate(DEFAULT_MIXIN_CONFIG).find((d) => d.uid === 'spyglass-latency') as DashboardJson;
    const row = (latency.panels as unknown as LinkedPanel[]).find((p) => p.type === 'row' && p.repeat);
    assert.ok(row, 'a repeated row');
    assert.equal(row.repeat, 'target');
    assert.match(row.title, /\$target/);
    assert.equal(row.collapsed, true);
    const titles = (row.panels ?? []).map((p) => p.title);
    for (const t of [
      'TLS version',
      'Certificate expires in',
      'HTTP version',
      'Redirects',
      'Failed on body check',
      'Phases of this target',
      'Name resolution and total',
    ])
      assert.ok(titles.includes(t), t);
    for (const p of row.panels ?? []) for (const t of p.targets) assert.match(t.expr, /target=~"\$target"/, `${p.title}`);
  });

  it('kube-state-metrics rows only with the knob, on its own selector, valid PromQL', () => {
    const ksm = (all: DashboardJson[]) =>
      all.flatMap((d) => contentPanels(d).flatMap((p) => p.targets.map((t) => t.expr))).filter((e) => /\bkube_[a-z_]+\{/.test(e));
    assert.deepEqual(ksm(generate(DEFAULT_MIXIN_CONFIG)), [], 'off by default');
    const on = generate({ ...DEFAULT_MIXIN_CONFIG, kubeStateMetrics: true, kubeStateMetricsSelector: 'job="ksm"' });
    const exprs = ksm(on);
    assert.ok(exprs.length >= 8, `${exprs.length} queries`);
    for (const e of exprs) {
      assert.deepEqual(analysePromql(substituteGrafanaBuiltins(e)).errors, [], e);
      for (const s of analysePromql(substituteGrafanaBuiltins(e)).selectors.filter((x) => x.metric.startsWith('kube_')))
        assert.ok(
          s.matcherList.some((m) => m.label === 'job' && m.op === '=' && m.value === 'ksm'),
          `${e}: ${s.metric} without the kube-state-metrics selector`,
        );
    }
    const rows = on.flatMap((d) => d.panels.filter((p) => p.type === 'row' && p.title === 'kube-state-metrics').map(() => d.uid));
    assert.deepEqual(rows.sort(), ['spyglass-containers-namespace', 'spyglass-containers-pod']);
  });
});
