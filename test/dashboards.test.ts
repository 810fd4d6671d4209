/**
 * The bundled Grafana dashboards: generated files up to date, and grafana/dashboard-linter's rules
 * (datasource variable, job/instance variables, units, $__rate_interval, counters under rate,
 * valid PromQL: Prometheus's own Lezer grammar and `promtool check rules`), plus layout and links.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dump, load } from 'js-yaml';
import { dashboardFiles, dashboards } from '../dashboards/src/index.js';
import { DEFAULT_DASHBOARD_DIR, grafanaProvisioning } from '../dashboards/src/provisioning.js';
import { DEFAULT_MIXIN_CONFIG } from '../src/mixin/config.js';
import { contentPanels, dashboardQueries, type DashboardJson, type PanelJson } from './helpers/dashboards.js';
import { promtool } from './helpers/prometheus.js';
import { analysePromql, substituteGrafanaBuiltins } from './helpers/promql.js';
import { repoRoot, runCli } from './helpers/spyglass.js';

/** Grafana unit ids the dashboards may use (from Grafana's valueFormats categories). */
const GRAFANA_UNITS = new Set([
  'none',
  'short',
  'percent',
  'percentunit',
  'bytes',
  'decbytes',
  'bits',
  'Bps',
  'bps',
  'pps',
  'iops',
  'ops',
  'reqps',
  's',
  'ms',
  'dtdurations',
  'dtdurationms',
  'bool_yes_no',
  'dateTimeAsIso',
]);
const RATE_MARK = '987s';

const all = Object.entries(dashboards(DEFAULT_MIXIN_CONFIG)) as unknown as Array<[string, DashboardJson]>;
const panelsOf = contentPanels;

describe('Grafana dashboards', () => {
  it('the committed JSON is what `spyglass dashboards export` generates', async () => {
    for (const [name, text] of Object.entries(dashboardFiles(DEFAULT_MIXIN_CONFIG))) {
      assert.equal(readFileSync(`${repoRoot}dashboards/${name}`, 'utf8'), text, `dashboards/${name} is stale: run \`npm run generate\``);
    }
    assert.equal(
      readFileSync(`${repoRoot}dashboards/grafana-provisioning.yaml`, 'utf8'),
      grafanaProvisioning(DEFAULT_DASHBOARD_DIR),
      'dashboards/grafana-provisioning.yaml is stale: run `npm run generate`',
    );
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-dash-'));
    const r = await runCli(['dashboards', 'export', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, all.length + 1, 'the dashboards and the provisioning file');
    const provider = load(readFileSync(join(dir, 'grafana-provisioning.yaml'), 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> };
    assert.deepEqual([provider.providers[0]?.type, provider.providers[0]?.options.path], ['file', dir], 'the provider points at the exported folder');
  });

  it('have a stable uid, a title, tags, a schemaVersion Grafana migrates, and link to each other', () => {
    const uids = new Set(all.map(([, d]) => d.uid));
    assert.equal(uids.size, all.length);
    for (const [name, d] of all) {
      assert.match(d.uid, /^[a-z0-9-]{1,40}$/, name);
      assert.ok(d.title.startsWith(DEFAULT_MIXIN_CONFIG.dashboardTitlePrefix), name);
      assert.deepEqual(d.tags, DEFAULT_MIXIN_CONFIG.dashboardTags);
      assert.ok(d.schemaVersion >= 36 && d.schemaVersion <= 42, `${name}: schemaVersion ${d.schemaVersion}`);
      assert.equal(d.editable, false, 'uneditable-dashboard rule');
      const link = d.links.find((l) => l.type === 'dashboards');
      assert.ok(link && link.includeVars && link.keepTime, `${name}: dashboards link keeping variables and time`);
      assert.deepEqual(link.tags, d.tags, 'the link lists the dashboards sharing the tags, that is the other three');
    }
  });

  it('template-datasource, template-job, template-instance and on-time-change-reload rules', () => {
    for (const [name, d] of all) {
      const vars = d.templating.list;
      const ds = vars.filter((v) => v.type === 'datasource');
      assert.equal(ds.length, 1, name);
      assert.deepEqual([ds[0]?.name, ds[0]?.label, ds[0]?.query], ['datasource', 'Data source', 'prometheus']);
      for (const wanted of ['job', 'instance'])
        assert.ok(
          vars.some((v) => v.name === wanted),
          `${name}: $${wanted}`,
        );
      for (const v of vars.filter((x) => x.type === 'query')) {
        assert.equal(v.datasource?.uid, '${datasource}', `${name} $${v.name}`);
        assert.equal(v.refresh, 2, `${name} $${v.name}: refresh on time range change`);
        assert.ok(v.multi && v.includeAll, `${name} $${v.name}: multi-value with All`);
        assert.equal(v.allValue, ['job', 'instance'].includes(v.name) ? '.+' : v.allValue, `${name} $${v.name}`);
        const m = /^label_values\((.+), (\w+)\)$/.exec(v.query.query);
        assert.ok(m, `${name} $${v.name}: label_values(selector, label)`);
        assert.deepEqual(analysePromql(m[1] as string).errors, [], `${name} $${v.name}: ${v.query.query}`);
      }
      // Chained: each variable after job filters on the ones before it.
      const chain = vars.filter((v) => v.type === 'query').map((v) => v.name);
      vars
        .filter((v) => v.type === 'query')
        .forEach((v, i) => chain.slice(0, i).forEach((before) => assert.ok(v.query.query.includes(`$${before}`), `${name} $${v.name} filters on $${before}`)));
    }
  });

  it('panel rules: title, description, $datasource, a valid unit, targets; layout without overlaps', () => {
    for (const [name, d] of all) {
      const ids = [...d.panels, ...d.panels.flatMap((p) => p.panels ?? [])].map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${name}: panel ids unique`);
      const noOverlaps = (panels: PanelJson[], below = -1) => {
        const cells = new Set<string>();
        for (const p of panels) {
          const where = `${name} "${p.title}"`;
          assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${where}: within 24 columns`);
          assert.ok(p.gridPos.y > below, `${where}: below its row`);
          for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
            for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
              assert.ok(!cells.has(`${x},${y}`), `${where}: overlaps another panel`);
              cells.add(`${x},${y}`);
            }
        }
      };
      noOverlaps(d.panels);
      for (const row of d.panels.filter((p) => p.type === 'row')) {
        assert.ok(row.collapsed || !row.panels?.length, `${name} row "${row.title}": an open row holds no panels of its own`);
        // A folded row's panels lie where they go when it is opened: right below it, not overlapping each other.
        if (row.collapsed) noOverlaps(row.panels ?? [], row.gridPos.y);
      }
      for (const p of panelsOf(d)) {
        const where = `${name} "${p.title}"`;
        assert.ok(p.title && p.description, `${where}: title and description`);
        assert.equal(p.datasource?.uid, '${datasource}', `${where}: panel-datasource`);
        assert.ok(GRAFANA_UNITS.has(p.fieldConfig.defaults.unit as string), `${where}: unit ${p.fieldConfig.defaults.unit}`);
        for (const o of p.fieldConfig.overrides)
          for (const prop of o.properties) if (prop.id === 'unit') assert.ok(GRAFANA_UNITS.has(prop.value as string), `${where}: override unit ${prop.value}`);
        assert.ok(p.targets.length > 0, `${where}: panel-no-targets`);
        for (const t of p.targets) assert.equal(t.datasource?.uid, '${datasource}', `${where} ${t.refId}`);
      }
    }
  });

  it('the Host dashboard folds the RAID, bonding and systemd rows, each with panels on their families', () => {
    const host = Object.fromEntries(all)['spyglass-host.json'] as DashboardJson;
    const folded = host.panels.filter((p) => p.type === 'row' && p.collapsed);
    assert.deepEqual(
      folded.map((r) => r.title),
      ['RAID', 'Bonding', 'systemd'],
    );
    const exprs = (r: PanelJson) => (r.panels ?? []).flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    const [raid, bonding, systemd] = folded.map(exprs) as [string, string, string];
    for (const m of ['node_md_state', 'node_md_disks', 'node_md_disks_required', 'node_md_blocks_synced', 'node_md_blocks'])
      assert.match(raid, new RegExp(`${m}\\{`));
    for (const m of ['node_bonding_slaves', 'node_bonding_active']) assert.match(bonding, new RegExp(`${m}\\{`));
    for (const m of ['node_systemd_unit_state', 'node_systemd_service_restart_total']) assert.match(systemd, new RegExp(`${m}\\{`));
    const last = host.panels[host.panels.length - 1] as PanelJson;
    assert.equal(last.title, 'systemd', 'folded rows come last, stacked one below the other');
  });

  it('target rules: valid PromQL, $__rate_interval in rate/irate, counters only under rate/irate/increase (or counted), job and instance matchers', () => {
    const problems: string[] = [];
    const queries = dashboardQueries(all);
    assert.ok(queries.length > 0, 'no queries to check');
    for (const q of queries) {
      const where = `${q.dashboard} "${q.panel}" ${q.refId}`;
      const { errors, selectors } = analysePromql(substituteGrafanaBuiltins(q.expr, { rateInterval: RATE_MARK }));
      if (errors.length) problems.push(`${where}: parse errors ${errors.join('; ')}`);
      for (const s of selectors) {
        if ((s.func === 'rate' || s.func === 'irate') && s.range !== RATE_MARK)
          problems.push(`${where}: ${s.func}(${s.metric}[${s.range}]) without $__rate_interval`);
        if (s.metric.endsWith('_total') && !['rate', 'irate', 'increase', 'count'].includes(s.func ?? ''))
          problems.push(`${where}: counter ${s.metric} not under rate/irate/increase`);
        if (s.matchers.get('job')?.value !== '$job' || s.matchers.get('instance')?.value !== '$instance')
          problems.push(`${where}: ${s.metric} lacks job=~"$job" / instance=~"$instance"`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('promtool parses every panel query (Grafana variables substituted)', () => {
    const queries = dashboardQueries(all);
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}:check`, expr: substituteGrafanaBuiltins(q.expr) }));
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-dash-promql-'));
    writeFileSync(join(dir, 'queries.yaml'), dump({ groups: [{ name: 'dashboard-queries', rules }] }, { lineWidth: -1 }));
    const r = promtool(['check', 'rules', join(dir, 'queries.yaml')]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });

  it('the npm package contains the dashboards, rules, Alertmanager example, runbooks, export code, the bin and the collector READMEs', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const files = new Set((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path));
    const wanted = [
      ...Object.keys(dashboardFiles(DEFAULT_MIXIN_CONFIG)).map((f) => `dashboards/${f}`),
      'dashboards/grafana-provisioning.yaml',
      'alerts/spyglass-alerts.yaml',
      'alerts/spyglass-rules.yaml',
      'alerts/alertmanager.yml',
      'docs/runbooks.md',
      'docs/mixin.md',
      'dist/dashboards/src/index.js',
      'dist/alerts/src/index.js',
      'dist/src/mixin/export.js',
      'bin/spyglass',
    ];
    // Every collector README the README links to.
    const readme = readFileSync(`${repoRoot}README.md`, 'utf8');
    wanted.push(...[...readme.matchAll(/\]\((collectors\/[^)#]+\.md)/g)].map((m) => m[1] as string));
    assert.ok(wanted.some((f) => f === 'collectors/textfile/README.md'));
    assert.deepEqual(
      wanted.filter((f) => !files.has(f)),
      [],
    );
  });

  it('the knobs reach the dashboards', async () => {
    const custom = dashboards({
      ...DEFAULT_MIXIN_CONFIG,
      dashboardUidPrefix: 'acme-',
      dashboardTags: ['acme', 'nodes'],
      probeAvailabilitySlo: 99.5,
    }) as unknown as Record<string, DashboardJson>;
    assert.deepEqual(
      Object.values(custom)
        .map((d) => d.uid)
        .sort(),
      ['acme-containers', 'acme-containers-namespace', 'acme-containers-pod', 'acme-host', 'acme-latency', 'acme-self'],
    );
    const budget = (custom['spyglass-latency.json'] as DashboardJson).panels.find((p: PanelJson) => p.title === 'Availability: error budget left');
    assert.match(budget?.targets[0]?.expr ?? '', /\/ 0\.005$/);
  });
});
