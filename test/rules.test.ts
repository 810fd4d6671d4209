/**
 * The bundled Prometheus rules (alerts/): generated files up to date, promtool's checks and unit
 * tests, the mixin style guide, runbook links, and a unit-test suite sensitive enough to catch a
 * changed threshold.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { alertGroups, recordingGroups, ruleFiles } from '../alerts/src/index.js';
import { DEFAULT_MIXIN_CONFIG } from '../src/mixin/config.js';
import { promtool } from './helpers/prometheus.js';
import { repoRoot, runCli } from './helpers/spyglass.js';

const alertsDir = `${repoRoot}alerts`;
const testFiles = readdirSync(`${alertsDir}/tests`)
  .filter((f) => f.endsWith('.test.yaml'))
  .map((f) => `${alertsDir}/tests/${f}`);

interface UnitTests {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }>; promql_expr_test?: Array<{ expr: string }> }>;
}
const unitTests = testFiles.flatMap((f) => (load(readFileSync(f, 'utf8')) as UnitTests).tests);

describe('alerting and recording rules', () => {
  it('the committed rule files are what `spyglass rules export` generates', () => {
    for (const [name, text] of Object.entries(ruleFiles(DEFAULT_MIXIN_CONFIG))) {
      assert.equal(readFileSync(`${alertsDir}/${name}`, 'utf8'), text, `alerts/${name} is stale: run \`npm run generate\``);
    }
  });

  it('promtool check rules accepts them, duplicate-rule lint included', () => {
    const r = promtool(['check', 'rules', '--lint=all', '--lint-fatal', 'alerts/spyglass-alerts.yaml', 'alerts/spyglass-rules.yaml'], repoRoot);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 45 rules found/);
  });

  it('promtool test rules passes every unit test file', () => {
    const r = promtool(['test', 'rules', ...testFiles]);
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output.match(/SUCCESS/g)?.length, testFiles.length, r.output);
  });

  it('every alert has a case where it fires and a case where it must not', () => {
    const cases = unitTests.flatMap((t) => t.alert_rule_test ?? []);
    const names = new Set(alertGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules.map((r) => r.alert)));
    const missing: string[] = [];
    for (const name of names) {
      const own = cases.filter((c) => c.alertname === name);
      if (!own.some((c) => (c.exp_alerts ?? []).length > 0)) missing.push(`${name}: no firing case`);
      if (!own.some((c) => (c.exp_alerts ?? []).length === 0)) missing.push(`${name}: no quiet case`);
    }
    assert.deepEqual(missing, []);
    const severities = new Map<string, Set<string>>();
    for (const c of cases)
      for (const a of (c.exp_alerts ?? []) as Array<{ exp_labels: { severity: string } }>)
        severities.set(c.alertname, (severities.get(c.alertname) ?? new Set()).add(a.exp_labels.severity));
    const rules = alertGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules);
    assert.deepEqual(
      rules.filter((r) => !severities.get(r.alert)?.has(r.labels.severity)).map((r) => `${r.alert} ${r.labels.severity}`),
      [],
      'each severity of a warning/critical pair fires in some case',
    );
  });

  it('every recording rule family is checked by a promql_expr_test or used by a tested alert', () => {
    const tested = unitTests
      .flatMap((t) => t.promql_expr_test ?? [])
      .map((t) => t.expr)
      .join('\n');
    const alertExprs = alertGroups(DEFAULT_MIXIN_CONFIG)
      .flatMap((g) => g.rules.map((r) => r.expr))
      .join('\n');
    const records = recordingGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules.map((r) => r.record));
    assert.deepEqual(
      records.filter((r) => !tested.includes(r) && !alertExprs.includes(r)),
      [],
    );
  });

  it('follow the mixin style guide (mixtool lint rules) and link to a runbook section that exists', () => {
    const runbooks = readFileSync(`${repoRoot}docs/runbooks.md`, 'utf8');
    const anchors = new Set([...runbooks.matchAll(/^#{2,3} (\S+)$/gm)].map((m) => (m[1] as string).toLowerCase()));
    const problems: string[] = [];
    const groups = [...alertGroups(DEFAULT_MIXIN_CONFIG), ...recordingGroups(DEFAULT_MIXIN_CONFIG)];
    if (new Set(groups.map((g) => g.name)).size !== groups.length) problems.push('group names repeat');
    for (const g of groups) {
      if (g.rules.length > 20) problems.push(`${g.name}: ${g.rules.length} rules (max 20)`);
      if (g.name.length > 40) problems.push(`${g.name}: group name longer than 40`);
    }
    for (const r of alertGroups(DEFAULT_MIXIN_CONFIG).flatMap((g) => g.rules)) {
      const { summary, description, runbook_url: runbook } = r.annotations;
      if (!/^([A-Z]+[a-z0-9]+)+$/.test(r.alert) || r.alert.length > 40) problems.push(`${r.alert}: not CamelCase or too long`);
      if (!['critical', 'warning', 'info'].includes(r.labels.severity)) problems.push(`${r.alert}: severity ${r.labels.severity}`);
      if (summary.includes('{{') || !/^[A-Za-z]/.test(summary) || !summary.endsWith('.')) problems.push(`${r.alert}: summary "${summary}"`);
      if (summary[0] !== summary[0]?.toUpperCase() && !summary.startsWith('spyglass')) problems.push(`${r.alert}: summary not capitalised`);
      if (!/\{\{[^}]*\$(labels|value)/.test(description)) problems.push(`${r.alert}: description uses no label or value`);
      if (runbook !== `${DEFAULT_MIXIN_CONFIG.runbookUrl}#${r.alert.toLowerCase()}`) problems.push(`${r.alert}: runbook_url ${runbook}`);
      if (!r.annotations.dashboard_url.startsWith(`${DEFAULT_MIXIN_CONFIG.grafanaUrl}/d/${DEFAULT_MIXIN_CONFIG.dashboardUidPrefix}`))
        problems.push(`${r.alert}: dashboard_url ${r.annotations.dashboard_url}`);
      if (!anchors.has(r.alert.toLowerCase())) problems.push(`${r.alert}: no "## ${r.alert}" section in docs/runbooks.md`);
    }
    assert.deepEqual(problems, []);
  });

  it('the unit tests catch a changed threshold', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-rules-'));
    mkdirSync(join(dir, 'tests'));
    const changed = ruleFiles({ ...DEFAULT_MIXIN_CONFIG, fileDescriptorsWarningPercent: 85, containerMemoryNearLimitPercent: 96 });
    for (const [name, text] of Object.entries(changed)) writeFileSync(join(dir, name), text);
    for (const f of testFiles) copyFileSync(f, join(dir, 'tests', f.split('/').pop() as string));
    const r = promtool(['test', 'rules', 'tests/host.test.yaml', 'tests/containers.test.yaml'], dir);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /alertname: NodeFileDescriptorLimit/);
    assert.match(r.output, /alertname: ContainerMemoryNearLimit/);
  });

  it('`spyglass rules export --config` applies knobs; a bad knob file is refused with the key named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-rules-export-'));
    writeFileSync(
      join(dir, 'knobs.yml'),
      [
        'selector: job="node-agents"',
        'probeAvailabilitySlo: 99.5',
        'runbookUrl: https://wiki.example/runbooks',
        'grafanaUrl: https://grafana.example',
        'showMultiCluster: true',
        'clusterLabel: k8s_cluster',
        'nodeCriticalSeverity: \'{{ if eq $labels.role "db" }}critical{{ else }}warning{{ end }}\'',
        'nodeWarningWindowHours: 48',
        'nodeCriticalWindowHours: 2',
        'fsSpaceFillingUpPredictionWindow: 12h',
        'probeDownSeverity: warning',
        'containerSelector: namespace!="kube-system"',
      ].join('\n'),
    );
    const ok = await runCli(['rules', 'export', join(dir, 'out'), '--config', join(dir, 'knobs.yml')]);
    assert.equal(ok.code, 0, ok.stderr);
    const alerts = readFileSync(join(dir, 'out/spyglass-alerts.yaml'), 'utf8');
    assert.ok(!alerts.includes('job="spyglass"') && alerts.includes('up{job="node-agents"} == 0'));
    assert.match(alerts, /> \(14\.4 \* 0\.005\)/);
    assert.match(alerts, /runbook_url: https:\/\/wiki\.example\/runbooks#spyglassdown/);
    assert.match(alerts, /dashboard_url: https:\/\/grafana\.example\/d\/spyglass-host\?var-cluster=\{\{ \$labels\.k8s_cluster \| urlquery \}\}&var-job=/);
    assert.match(alerts, /predict_linear\(node_filesystem_avail_bytes\{[^}]+\}\[12h\], 48 \* 60 \* 60\)/);
    assert.match(alerts, /predict_linear\(node_filesystem_files_free\{[^}]+\}\[12h\], 2 \* 60 \* 60\)/);
    assert.match(alerts, /severity: '\{\{ if eq \$labels\.role "db" \}\}critical\{\{ else \}\}warning\{\{ end \}\}'/);
    assert.match(alerts, /alert: ProbeTargetDown\n(.+\n){1,6}.*severity: warning/);
    assert.match(alerts, /unless on \(k8s_cluster, job, instance, module, target\)/);
    assert.match(alerts, /container_oom_events_total\{job="node-agents",namespace!="kube-system",container!="",container!="POD"\}/);
    assert.equal(promtool(['check', 'rules', join(dir, 'out/spyglass-alerts.yaml'), join(dir, 'out/spyglass-rules.yaml')]).code, 0);

    writeFileSync(join(dir, 'bad.yml'), 'selecter: job="x"\nprobeLatencySloSeconds: 0.3\ncpuHighUsagePercent: "90"\n');
    const bad = await runCli(['rules', 'export', join(dir, 'out2'), '--config', join(dir, 'bad.yml')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yml: selecter: unknown knob/);
    assert.match(bad.stderr, /bad\.yml: cpuHighUsagePercent: expected a number, got "90"/);
    assert.match(bad.stderr, /bad\.yml: probeLatencySloSeconds: 0\.3 is not a bucket bound/);
    writeFileSync(join(dir, 'bad2.yml'), 'nodeCriticalSeverity: page\ngrafanaUrl: grafana/\nfsSpaceFillingUpPredictionWindow: six hours\n');
    const bad2 = await runCli(['rules', 'export', join(dir, 'out3'), '--config', join(dir, 'bad2.yml')]);
    assert.equal(bad2.code, 2);
    assert.match(bad2.stderr, /nodeCriticalSeverity: critical, warning, info or a template, got page/);
    assert.match(bad2.stderr, /grafanaUrl: an http\(s\) URL/);
    assert.match(bad2.stderr, /fsSpaceFillingUpPredictionWindow: not a Prometheus duration/);
  });
});
