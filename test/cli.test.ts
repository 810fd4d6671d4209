import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { goRegExp } from '../src/config/go-regexp.js';
import { cliPath, fixture, freePort, runCli, sampleValue, waitFor } from './helpers/spyglass.js';

const tmp = mkdtempSync(join(tmpdir(), 'spyglass-cli-'));

describe('spyglass dump', () => {
  it('prints the enabled collectors once in the text format', async () => {
    const r = await runCli(['dump']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# TYPE node_cpu_seconds_total counter$/m);
    assert.notEqual(sampleValue(r.stdout, 'node_memory_MemTotal_bytes'), undefined);
  });

  it('reads procfs under --path.procfs, with exact values from the fixture', async () => {
    const r = await runCli(['dump', `--path.procfs=${fixture('proc-2cpu')}`, 'loadavg', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const [l1, l5, l15] = readFileSync(fixture('proc-2cpu/loadavg'), 'utf8').split(' ').map(Number);
    assert.equal(sampleValue(r.stdout, 'node_load1'), l1);
    assert.equal(sampleValue(r.stdout, 'node_load5'), l5);
    assert.equal(sampleValue(r.stdout, 'node_load15'), l15);
    assert.equal(sampleValue(r.stdout, 'node_cpu_seconds_total{cpu="0",mode="idle"}'), 475.16);
    assert.doesNotMatch(r.stdout, /node_memory_/);
  });

  it('supports openmetrics, json and table formats', async () => {
    const om = await runCli(['dump', '--format', 'openmetrics', 'loadavg']);
    assert.ok(om.stdout.endsWith('# EOF\n'));
    const json = JSON.parse((await runCli(['dump', '--format', 'json', 'loadavg'])).stdout) as Array<{
      collector: string;
      result: string;
      families: Array<{ name: string }>;
    }>;
    assert.equal(json[0]?.collector, 'loadavg');
    assert.equal(json[0]?.result, 'success');
    assert.deepEqual(
      json[0]?.families.map((f) => f.name),
      ['node_load1', 'node_load5', 'node_load15'],
    );
    const table = (await runCli(['dump', '--format', 'table', 'loadavg'])).stdout;
    assert.match(table, /^METRIC\s+LABELS\s+VALUE$/m);
    assert.match(table, /^node_load1\s+[\d.]+$/m);
    assert.equal((await runCli(['dump', '--format', 'xml'])).code, 1);
  });

  it('exits non-zero naming each failed collector and why, still printing the others', async () => {
    const r = await runCli(['dump', `--path.procfs=${fixture('proc-garbled')}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /collector cpu failed: \/proc\/stat:2: field 3 of cpu0 is not a number: "x"/);
    assert.match(r.stderr, /collector meminfo failed: \/proc\/meminfo:1: value of MemTotal is not a number: "lots"/);
    assert.match(r.stderr, /collector loadavg failed: \/proc\/loadavg:1: expected at least 3 fields, got 2/);
    const missing = await runCli(['dump', '--path.procfs=/nonexistent', 'loadavg']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /collector loadavg failed: ENOENT: no such file or directory, open '\/nonexistent\/loadavg'/);
  });

  it('rejects an unknown collector name', async () => {
    const r = await runCli(['dump', 'nosuch']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown collector\(s\): nosuch/);
    const flag = await runCli(['dump', '--collector.nosuch']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /flags\/environment: collectors\.nosuch: unknown collector "nosuch"/);
  });
});

describe('spyglass check-config, collectors, --version, --help', () => {
  it('check-config accepts a good file and names file:line:column:key of a bad one', async () => {
    const good = join(tmp, 'good.yml');
    writeFileSync(good, 'collectors:\n  cpu: {interval: 5s}\n');
    const ok = await runCli(['check-config', good]);
    assert.equal(ok.code, 0);
    assert.match(
      ok.stdout,
      /OK; enabled collectors: arp, bcache, bcachefs, bonding, btrfs, conntrack, container, cpu, cpufreq, diskstats, dmi, dmmultipath, edac, entropy, fibrechannel, filefd, filesystem, hwmon, infiniband, inventory, ipvs, kernel_hung, loadavg, mdadm, meminfo, netclass, netdev/,
    );
    const bad = join(tmp, 'bad.yml');
    writeFileSync(bad, 'collectors:\n  cpu:\n    intervall: 5s\n');
    const r = await runCli(['check-config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yml:3:5: collectors\.cpu\.intervall: unknown key "intervall"/);
  });

  it('serve refuses to start on a bad config, naming the problem', async () => {
    const bad = join(tmp, 'bad-serve.yml');
    writeFileSync(bad, 'web:\n  listen_address: nonsense\n');
    const r = await runCli(['serve', `--config.file=${bad}`]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /bad-serve\.yml:2:3: web\.listen_address: must be an address like :9473, 127\.0\.0\.1:9473 or \[::1\]:9473, or "" \(push-only, with remote_write\), not "nonsense"/,
    );
  });

  it('lists collectors with defaults and descriptions', async () => {
    const r = await runCli(['collectors', '--no-collector.cpu']);
    assert.match(r.stdout, /^cpu\s+disabled\s+default on\s+15s\s+CPU time per CPU/m);
    assert.match(r.stdout, /^meminfo\s+enabled\s+default on/m);
  });

  it('prints the version and help with examples', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal((await runCli(['--version'])).stdout.trim(), pkg.version);
    const help = await runCli(['--help']);
    assert.match(help.stdout, /Examples:\n\s+\$ spyglass serve/);
    const serveHelp = await runCli(['serve', '--help']);
    assert.match(serveHelp.stdout, /--web\.listen-address <address>/);
    assert.match(serveHelp.stdout, /SPYGLASS_WEB_LISTEN_ADDRESS/);
  });

  it('takes the listen address and log format from the environment', async () => {
    const port = await freePort();
    const proc = spawn(process.execPath, [cliPath, 'serve'], {
      env: { ...process.env, SPYGLASS_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}`, SPYGLASS_LOG_FORMAT: 'logfmt' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let logs = '';
    proc.stderr.on('data', (d) => (logs += d));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 10000, 'ready');
      assert.match(logs, /^ts=\S+ caller=src\/serve\.js:\d+ level=info msg=listening address=127\.0\.0\.1:\d+/m);
      assert.match(logs, /^ts=\S+ caller=\S+ level=info msg="starting spyglass" version=[\d.]+ node=v20\.[\d.]+ config_file="\(embedded defaults\)"/m);
    } finally {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
  });
});

describe('migrating a node_exporter unit', () => {
  /** Every flag of the installed node_exporter, from its own --help: name, default (if shown), and whether it is a switch. */
  const nodeExporterFlags = () => {
    const help = spawnSync('prometheus-node-exporter', ['--help'], { encoding: 'utf8' });
    const flags: Array<{ name: string; value?: string; placeholder: boolean; boolean: boolean }> = [];
    for (const line of (help.stdout + help.stderr).split('\n')) {
      const m = /^\s+(?:-\w, )?--(?:\[no-\])?([a-z][\w.-]*)(?:=("(?:[^"\\]|\\.)*"|\S+))?/.exec(line);
      if (!m || m[1] === 'help' || m[1] === 'help-long' || m[1] === 'help-man' || m[1] === 'version') continue;
      const raw = m[2];
      // A default is shown quoted or plain (`=40`, `=info`); a value without one as its name in capitals.
      const placeholder = raw !== undefined && /^[A-Z][A-Z0-9_.-]*$/.test(raw);
      const value = raw === undefined || placeholder ? undefined : raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
      flags.push({ name: m[1] as string, ...(value !== undefined ? { value } : {}), placeholder, boolean: raw === undefined });
    }
    return flags;
  };

  it("accepts node_exporter's whole flag surface, applying each flag or saying why it is ignored", async () => {
    const flags = nodeExporterFlags();
    assert.ok(flags.length > 100, `${flags.length} flags read from prometheus-node-exporter --help`);
    const names = new Set(flags.map((f) => f.name));
    const toggles = flags.filter((f) => f.boolean && /^collector\.[a-z_]+$/.test(f.name) && f.name !== 'collector.disable-defaults');
    const switches = flags.filter((f) => f.boolean && !toggles.includes(f) && f.name !== 'collector.disable-defaults');
    const valued = flags.filter((f) => !f.boolean && !['web.listen-address', 'web.config.file'].includes(f.name));
    const args = [
      '--dry-run',
      '--web.listen-address=127.0.0.1:0',
      // As a unit file does: every collector off that spyglass lacks or that the unit does not want, and every switch on.
      ...toggles.map((f) => `--no-${f.name}`),
      ...switches.map((f) => `--${f.name}`),
      // Values: the defaults node_exporter shows; for those without one, a plausible value, but never
      // an include next to an exclude that has a default (node_exporter refuses both).
      ...valued.flatMap((f) => {
        if (f.value !== undefined) return [`--${f.name}=${f.value}`];
        if (f.name.endsWith('-include') && flags.some((g) => g.name === f.name.replace(/-include$/, '-exclude') && g.value !== undefined)) return [];
        if (f.name.endsWith('-exclude') && names.has(f.name.replace(/-exclude$/, '-include'))) return [];
        return [`--${f.name}=${f.name.includes('tracepoint') ? 'sched:sched_switch' : '^eth'}`];
      }),
    ];
    const r = await runCli(['serve', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const log = r.stdout + r.stderr;
    assert.match(log, /dry run: the flags and files are valid/);
    assert.doesNotMatch(log, /unknown (collector|key|option)/);
    // Each flag is applied or named in an "ignored: <reason>" line.
    for (const name of [
      'runtime.gomaxprocs',
      'web.systemd-socket',
      'collector.netdev.netlink',
      'no-collector.wifi',
      'no-collector.logind',
      'collector.ntp.server',
    ]) {
      assert.match(log, new RegExp(`--${name.replace(/\./g, '\\.')}[^"\\n]* ignored: \\w`), name);
    }
    assert.match(log, /"telemetry_path":"\/metrics"|telemetry_path=\/metrics/);
    // Applied, not ignored: cpu's info options (flat in spyglass, dotted in node_exporter).
    assert.doesNotMatch(log, /--collector\.cpu\.info[^"\n]* ignored/);

    // The other way round: switches off, every collector spyglass has on.
    const ours = (await runCli(['collectors'])).stdout;
    const have = toggles.filter((f) => new RegExp(`^${f.name.slice('collector.'.length)}\\s`, 'm').test(ours));
    assert.ok(have.length >= 25, `${have.length} of node_exporter's collectors are spyglass's too`);
    const back = await runCli([
      'serve',
      '--dry-run',
      '--web.listen-address=127.0.0.1:0',
      ...have.map((f) => `--${f.name}`),
      ...switches.map((f) => `--no-${f.name}`),
    ]);
    assert.equal(back.code, 0, back.stderr);
  });

  it('refuses a collector it does not have when asked to enable it, naming the closest', async () => {
    const wifi = await runCli(['serve', '--dry-run', '--collector.wifi']);
    assert.equal(wifi.code, 1);
    assert.match(wifi.stderr, /unknown collector "wifi": node_exporter's wifi collector is not in spyglass/);
    const typo = await runCli(['serve', '--dry-run', '--collector.lodavg']);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /unknown collector "lodavg"; did you mean "loadavg"\?/);
  });

  it('serves at --web.telemetry-path and leaves out runtime metrics with --web.disable-exporter-metrics', async () => {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [
        cliPath,
        'serve',
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.telemetry-path=/node/metrics',
        '--web.disable-exporter-metrics',
        '--collector.disable-defaults',
        '--collector.loadavg',
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, 'ready');
      const body = await (await fetch(`http://127.0.0.1:${port}/node/metrics`)).text();
      assert.notEqual(sampleValue(body, 'node_load1'), undefined);
      assert.doesNotMatch(body, /^(process|nodejs)_/m);
      assert.match(body, /^spyglass_build_info/m, "spyglass's own metrics stay");
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
    } finally {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
  });
});

describe('spyglass collectors NAME', () => {
  it("shows a collector's options with types and defaults, and suggests a name for a typo", async () => {
    const r = await runCli(['collectors', 'textfile']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^textfile: Metrics from \*\.prom files/);
    assert.match(r.stdout, /^ {2}directory\s+string or list of string\s+\[\]\s+Directories to read/m);
    assert.match(r.stdout, /^ {2}max_file_bytes\s+integer\s+16777216\s/m);
    assert.match(r.stdout, /^ {2}max_series\s+integer\s+100000\s/m);
    const typo = await runCli(['collectors', 'filesytem']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown collector "filesytem"; did you mean "filesystem"\?/);
  });

  it('stops quietly when its reader goes away (| head)', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${cliPath}" collectors | head -1`], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^arp\s/);
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
  });
});

describe('spyglass check-config messages', () => {
  it('one message per problem, in file order, in words, with "did you mean"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-messages-'));
    const file = join(dir, 'typos.yml');
    writeFileSync(
      file,
      [
        'scheduler:',
        '  interval: "*/5 * * * * * *"',
        '  timeout: 10',
        'web:',
        '  max_requsts: 40',
        'collectors:',
        '  filesytem: {}',
        '  textfile:',
        '    directory: 5',
        '',
      ].join('\n'),
    );
    const r = await runCli(['check-config', file]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `${file}:2:3: scheduler.interval: "*/5 * * * * * *" is neither an interval like 15s nor a valid five- or six-field cron expression`,
      `${file}:3:3: scheduler.timeout: must be a duration like 10s, 1m30s or 500ms, not the number 10 (write 10s?)`,
      `${file}:5:3: web.max_requsts: unknown key "max_requsts"; did you mean "max_requests"?`,
      `${file}:7:3: collectors.filesytem: unknown collector "filesytem"; did you mean "filesystem"?`,
      `${file}:9:5: collectors.textfile.directory: must be a string or a list of strings`,
      `${file}: 5 error(s)`,
    ]);
    writeFileSync(file, 'scheduler:\n  interval: "*/5 * * * * * *"\n');
    const cron = await runCli(['check-config', file]);
    assert.deepEqual(
      cron.stderr.trim().split('\n'),
      [
        `${file}:2:3: scheduler.interval: "*/5 * * * * * *" is neither an interval like 15s nor a valid five- or six-field cron expression`,
        `${file}: 1 error(s)`,
      ],
      'once, not once per collector',
    );
    writeFileSync(file, 'scheduler:\n  timeout: 15y\n  interval: 15x\ncollectors:\n  cpu:\n    interval: 7q\n');
    const all = await runCli(['check-config', file]);
    assert.deepEqual(
      all.stderr
        .trim()
        .split('\n')
        .map((l) => l.replace(/: .*?(must|"\w+" is)/, ': $1')),
      [
        `${file}:2:3: must be a duration like 10s, 1m30s or 500ms, not "15y"`,
        `${file}:3:3: "15x" is neither an interval like 15s nor a valid five- or six-field cron expression`,
        `${file}:6:5: "7q" is neither an interval like 15s nor a valid five- or six-field cron expression`,
        `${file}: 3 error(s)`,
      ],
      'schedules are checked alongside the schema, not after the other errors are fixed',
    );
  });
});

describe('migrating a blackbox_exporter unit', () => {
  it("checks Debian's stock blackbox.yml as blackbox does (RE2's ^+OK included), with the flags that go with it", async () => {
    const stock = '/etc/prometheus/blackbox.yml'; // from prometheus-blackbox-exporter
    assert.match(readFileSync(stock, 'utf8'), /expect: "\^\+OK"/, 'the stock file still has the RE2-only pattern this test is about');
    const r = await runCli(['check-config', stock, '--collector.probe.endpoint.allow=127.0.0.0/8']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /blackbox\.yml: OK/);
    for (const [pattern, js] of [
      ['^+OK', '/^OK/'],
      ['(?i)^+ok', '/^ok/i'],
      ['^*x', '/x/'],
      ['a$+', '/a$/'],
      ['[^+]', '/[^+]/'],
      ['\\^+', '/\\^+/'],
      ['x{2}', '/x{2}/'],
    ]) {
      assert.equal(String(goRegExp(pattern as string)), js, pattern);
    }
  });

  it("takes blackbox.yml as --config.file with blackbox's flags, and says what /probe still needs", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-bbflags-'));
    const blackboxYml = join(dir, 'blackbox.yml');
    writeFileSync(blackboxYml, 'modules:\n  http_2xx: {prober: http}\n  tcp_connect: {prober: tcp, timeout: 5s}\n');
    const refused = await runCli(['serve', '--dry-run', `--config.file=${blackboxYml}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /enabled without an allow list: .*--collector\.probe\.endpoint\.allow=CIDR on the command line/);
    const r = await runCli([
      'serve',
      '--dry-run',
      `--config.file=${blackboxYml}`,
      '--collector.probe.endpoint.allow=127.0.0.0/8',
      '--timeout-offset=0.3',
      '--history.limit=100',
      '--log.prober=info',
      '--web.listen-address=127.0.0.1:0',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /is a blackbox_exporter configuration: its modules serve \/probe/);
    assert.match(r.stderr, /--history\.limit ignored: /);
    assert.match(r.stderr, /--log\.prober ignored: /);
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [
        cliPath,
        'serve',
        `--config.file=${blackboxYml}`,
        '--collector.probe.endpoint.allow=127.0.0.0/8',
        '--timeout-offset=0.3',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, 'ready');
      const body = await (
        await fetch(`http://127.0.0.1:${port}/probe?target=127.0.0.1:${port}&module=tcp_connect`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '2' } })
      ).text();
      assert.equal(sampleValue(body, 'probe_success'), 1);
      assert.equal(sampleValue(body, 'probe_timeout_seconds'), 1.7, 'the scrape timeout less --timeout-offset');
    } finally {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
  });
});
