/**
 * The bundled Grafana dashboards: generated files up to date, and grafana/dashboard-linter's rules
 * (datasource variable, job/instance variables, units, $__rate_interval, counters under rate,
 * valid PromQL: Prometheus's own Lezer grammar and `promtool check rules`), plus layout and links,
 * and checks for what Grafana would render wrongly. Grafana itself does not run here (no Grafana
 * package in Debian, and the tests stay offline), so those checks read the JSON against Grafana's
 * documented behaviour: threshold colours, merge joins, overrides by field name. The queries run
 * on a real Prometheus in test/mixin-e2e.test.ts.
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
import { alertGroups, recordingGroups } from '../alerts/src/index.js';
import { analysePromql, resultLabels, substituteGrafanaBuiltins } from './helpers/promql.js';
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
  'celsius',
  'rotrpm',
  'hertz',
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
        // One job at a time: next to a kubelet's cAdvisor or a node_exporter, "All" would sum every series twice.
        const single = v.name === 'job' || (name === 'spyglass-host.json' && v.name === 'instance');
        assert.equal(v.multi, !single, `${name} $${v.name}: ${single ? 'one value' : 'multi-value'}`);
        assert.equal(v.includeAll, !single, `${name} $${v.name}: ${single ? 'no' : 'an'} "All"`);
        if (!single) assert.ok(v.allValue === '.+' || v.allValue === '.*', `${name} $${v.name}: allValue ${v.allValue}`);
        if (v.name === 'instance' && !single) assert.equal(v.allValue, '.+');
        if (v.name === 'job') assert.deepEqual(v.current, { text: 'spyglass', value: 'spyglass' }, `${name}: $job starts on the job the selector names`);
        const m = /^label_values\((.+), (\w+)\)$/.exec(v.query.query);
        assert.ok(m, `${name} $${v.name}: label_values(selector, label)`);
        const { errors, selectors } = analysePromql(m[1] as string);
        assert.deepEqual(errors, [], `${name} $${v.name}: ${v.query.query}`);
        assert.ok(
          selectors[0]?.matcherList.some((x) => x.label === 'job' && x.op === '=' && x.value === 'spyglass'),
          `${name} $${v.name}: within the selector knob (job="spyglass")`,
        );
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

  it("the Host dashboard folds Node Exporter Full's deeper sections, each with panels on their families", () => {
    const host = Object.fromEntries(all)['spyglass-host.json'] as DashboardJson;
    const folded = host.panels.filter((p) => p.type === 'row' && p.collapsed);
    const exprs = (r: PanelJson) => (r.panels ?? []).flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    const families: Record<string, string[]> = {
      'Memory detail': [
        'node_memory_Committed_AS_bytes',
        'node_memory_CommitLimit_bytes',
        'node_memory_Dirty_bytes',
        'node_memory_Writeback_bytes',
        'node_memory_SReclaimable_bytes',
        'node_memory_SUnreclaim_bytes',
        'node_memory_Shmem_bytes',
        'node_memory_Active_anon_bytes',
        'node_memory_Inactive_file_bytes',
        'node_memory_HugePages_Total',
      ],
      'Paging and swap': ['node_vmstat_pgpgin', 'node_vmstat_pgpgout', 'node_vmstat_pswpin', 'node_vmstat_pswpout'],
      'Disk detail': ['node_disk_reads_merged_total', 'node_disk_writes_merged_total', 'node_disk_io_now'],
      'Filesystem detail': ['node_filesystem_device_error', 'node_filefd_allocated', 'node_filefd_maximum'],
      'Network detail': ['node_network_up', 'node_network_speed_bytes', 'node_network_receive_fifo_total', 'node_network_transmit_colls_total'],
      'Sockets and TCP': ['node_sockstat_TCP_tw', 'node_netstat_Tcp_RetransSegs', 'node_netstat_TcpExt_ListenOverflows', 'node_softnet_dropped_total'],
      'Time synchronisation': ['node_timex_offset_seconds', 'node_timex_maxerror_seconds', 'node_timex_sync_status'],
      'Processes and kernel': ['node_procs_running', 'node_forks_total', 'node_processes_state', 'node_entropy_available_bits'],
      'Hardware sensors': ['node_hwmon_temp_celsius', 'node_hwmon_fan_rpm'],
      'CPU frequency': ['node_cpu_scaling_frequency_hertz'],
      NFS: ['node_nfs_requests_total', 'node_nfsd_server_rpcs_total'],
      XFS: ['node_xfs_read_calls_total'],
      ZFS: ['node_zfs_arc_size', 'node_zfs_zpool_state'],
      RAID: ['node_md_state', 'node_md_disks', 'node_md_disks_required', 'node_md_blocks_synced', 'node_md_blocks'],
      Bonding: ['node_bonding_slaves', 'node_bonding_active'],
      systemd: ['node_systemd_unit_state', 'node_systemd_service_restart_total'],
    };
    assert.deepEqual(
      folded.map((r) => r.title),
      Object.keys(families),
    );
    for (const row of folded) for (const m of families[row.title] ?? []) assert.match(exprs(row), new RegExp(`${m}\\{`), `${row.title}: ${m}`);
    assert.match(exprs({ panels: panelsOf(host) } as PanelJson), /node_pressure_irq_stalled_seconds_total\{/, 'IRQ pressure next to CPU, memory and I/O');
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
        if (!s.matcherList.some((m) => m.label === 'job' && m.op === '=' && m.value === 'spyglass'))
          problems.push(`${where}: ${s.metric} ignores the selector knob (job="spyglass")`);
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

  it('colours: no time series or table coloured by thresholds, threshold lines drawn, base steps that fit the steps above them', () => {
    const problems: string[] = [];
    const severity: Record<string, number> = { green: 0, blue: 1, purple: 1, text: 1, yellow: 2, orange: 3, red: 4 };
    for (const [name, d] of all)
      for (const p of panelsOf(d)) {
        const where = `${name} "${p.title}"`;
        const defaults = p.fieldConfig.defaults as {
          color?: { mode: string };
          thresholds?: { steps: Array<{ color: string; value: number | null }> };
          custom?: Record<string, { mode?: string }>;
        };
        const steps = defaults.thresholds?.steps ?? [];
        // Grafana paints every series of a panel the colour of its threshold step: one colour for all lines.
        if ((p.type === 'timeseries' || p.type === 'table') && defaults.color?.mode === 'thresholds')
          problems.push(`${where}: ${p.type} coloured by thresholds`);
        if (p.type === 'timeseries' && steps.length > 1 && (defaults.custom?.thresholdsStyle?.mode ?? 'off') === 'off')
          problems.push(`${where}: thresholds set but never drawn`);
        // A base colour less severe than the first step, on a scale that is not rising throughout
        // (red … green: low is bad), shows the worst values (negative budget, expired) in the base colour.
        const levels = steps.map((st) => severity[st.color] ?? -1);
        if (levels.includes(-1)) problems.push(`${where}: unknown colour in ${JSON.stringify(steps)}`);
        const rising = levels.every((l, i) => i === 0 || l >= (levels[i - 1] as number));
        if (!rising && steps.length > 1 && (levels[0] as number) < (levels[1] as number))
          problems.push(`${where}: base ${steps[0]?.color} below ${steps[1]?.color}, then falling`);
        // A table colours only cells whose cell type says so.
        if (p.type === 'table' && steps.length > 1) {
          const coloured = p.fieldConfig.overrides.some((o) =>
            o.properties.some((pr) => pr.id === 'custom.cellOptions' && /^color-/.test((pr.value as { type: string }).type)),
          );
          if (!coloured) problems.push(`${where}: table thresholds without a colour cell type`);
        }
      }
    assert.deepEqual(problems, []);
  });

  it('tables: the queries of a merged table return the same labels and no metric name; overrides name fields that exist', () => {
    const problems: string[] = [];
    let merged = 0;
    for (const [name, d] of all)
      for (const p of panelsOf(d).filter((x) => x.type === 'table')) {
        const where = `${name} "${p.title}"`;
        const results = p.targets.map((t) => resultLabels(substituteGrafanaBuiltins(t.expr)));
        const fields = new Set<string>();
        let known = true;
        results.forEach((r, i) => {
          if (r.scalar) return;
          if (r.labels) r.labels.forEach((l) => fields.add(l));
          else known = false;
          fields.add(p.targets.length === 1 ? 'Value' : `Value #${p.targets[i]?.refId}`);
        });
        if (p.targets.length > 1) {
          merged++;
          const keys = results.map((r) => (r.scalar ? 'scalar' : r.labels ? [...r.labels].sort().join(',') : 'unknown'));
          if (results.some((r) => r.scalar || !r.labels || r.keepsName) || new Set(keys).size !== 1)
            problems.push(
              `${where}: queries return ${keys.join(' / ')}${results.some((r) => !r.scalar && r.keepsName) ? ' (keeping __name__)' : ''}: Grafana's merge cannot join them into one row`,
            );
        }
        const organize = p.transformations?.find((t) => t.id === 'organize')?.options as { renameByName?: Record<string, string> } | undefined;
        const shown = new Set([...fields].map((f) => organize?.renameByName?.[f] ?? f));
        if (known)
          for (const o of p.fieldConfig.overrides as Array<{ matcher?: { id: string; options: string } }>)
            if (o.matcher?.id === 'byName' && !shown.has(o.matcher.options))
              problems.push(`${where}: override for "${o.matcher.options}" matches no field (${[...shown].join(', ')})`);
      }
    assert.ok(merged > 0, 'some table merges several queries');
    assert.deepEqual(problems, []);
  });

  it('every metric an alert watches is on some panel (recording rules followed to their sources), and every alert links to a dashboard with its variables', () => {
    const metrics = (expr: string) => analysePromql(substituteGrafanaBuiltins(expr)).selectors.map((s) => s.metric);
    const records = new Map(recordingGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules.map((r) => [r.record, r.expr] as const)));
    const sources = (m: string, seen = new Set<string>()): string[] =>
      records.has(m) && !seen.has(m) ? metrics(records.get(m) as string).flatMap((x) => sources(x, seen.add(m))) : [m];
    const onPanels = new Set(dashboardQueries(all).flatMap((q) => metrics(q.expr).flatMap((m) => [m, ...sources(m)])));
    const byUid = new Map(all.map(([, d]) => [d.uid, d]));
    const problems: string[] = [];
    for (const r of alertGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules)) {
      for (const m of new Set(metrics(r.expr).flatMap((x) => sources(x)))) if (!onPanels.has(m)) problems.push(`${r.alert}: ${m} is on no panel`);
      const url = new URL(r.annotations.dashboard_url.replace(/\{\{[^}]*\}\}/g, 'x'));
      const d = byUid.get(url.pathname.replace(/^\/d\//, ''));
      if (!d) problems.push(`${r.alert}: dashboard_url ${r.annotations.dashboard_url} names no dashboard`);
      for (const v of url.searchParams.keys())
        if (!d?.templating.list.some((x) => `var-${x.name}` === v)) problems.push(`${r.alert}: ${v} is not a variable of ${d?.uid}`);
    }
    assert.deepEqual(problems, []);
  });

  it('descriptions name alerts and recording rules that exist', () => {
    const alerts = new Set(alertGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules.map((r) => r.alert)));
    const records = new Set(recordingGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules.map((r) => r.record)));
    const problems: string[] = [];
    let named = 0;
    for (const [name, d] of all)
      for (const p of panelsOf(d)) {
        const text = `${p.title} ${p.description ?? ''}`;
        for (const [word] of text.matchAll(/\b(Node|Container|Probe|Spyglass|CPU|KubeCPU|Kube)[A-Z][A-Za-z]+\b/g)) {
          named++;
          if (!alerts.has(word)) problems.push(`${name} "${p.title}": ${word} is no alert`);
        }
        for (const [word] of text.matchAll(/\b[a-z_]+:[a-z_]+:[a-z0-9_]+\b/g))
          if (!records.has(word)) problems.push(`${name} "${p.title}": ${word} is no recording rule`);
      }
    assert.ok(named >= 10, `descriptions name alerts (${named})`);
    assert.deepEqual(problems, []);
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

    // The selector and the cluster: every variable and every query within them, $cluster first and one at a time.
    const clustered = Object.entries(
      dashboards({ ...DEFAULT_MIXIN_CONFIG, selector: 'job="node-agents",env="prod"', showMultiCluster: true, clusterLabel: 'k8s_cluster' }),
    ) as unknown as Array<[string, DashboardJson]>;
    for (const [name, d] of clustered) {
      const [first, second] = d.templating.list.filter((v) => v.type === 'query');
      assert.equal(first?.name, 'cluster', name);
      assert.equal(first?.query.query.endsWith(', k8s_cluster)'), true, name);
      assert.equal(first?.includeAll, false, `${name}: one cluster at a time`);
      assert.equal(second?.current, undefined, `${name}: a selector that names no single job pins no default $job`);
      for (const v of d.templating.list.filter((x) => x.type === 'query')) assert.match(v.query.query, /\{job="node-agents",env="prod"/, `${name} $${v.name}`);
    }
    const unscoped = dashboardQueries(clustered).flatMap((q) =>
      analysePromql(substituteGrafanaBuiltins(q.expr))
        .selectors.filter((s) => !(s.matchers.get('env')?.value === 'prod' && s.matchers.get('k8s_cluster')?.value === '$cluster'))
        .map((s) => `${q.dashboard} "${q.panel}": ${s.metric}`),
    );
    assert.deepEqual(unscoped, []);
  });
});
