import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { builtinCollectors } from '../../collectors/index.js';
import { extractCollectorFlags } from '../../src/cli-flags.js';
import { exampleConfig } from '../../src/config/example.js';
import { locateKey } from '../../src/config/locate.js';
import { formatConfigError, loadConfig, type ConfigOverrides } from '../../src/config/load.js';
import { repoRoot } from '../helpers/spyglass.js';

const dir = mkdtempSync(join(tmpdir(), 'spyglass-config-'));
let n = 0;
function file(text: string): string {
  const p = join(dir, `c${n++}.yml`);
  writeFileSync(p, text);
  return p;
}
const load = (text: string | undefined, overrides?: ConfigOverrides) =>
  loadConfig({ file: text === undefined ? undefined : file(text), builtins: builtinCollectors, ...(overrides ? { overrides } : {}) });

async function errorsOf(text: string): Promise<string[]> {
  const r = await load(text);
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.errors.map((e) => formatConfigError(e).replace(/^.*\/c\d+\.yml/, 'FILE'));
}

describe('config', () => {
  it('runs on embedded defaults with no file', async () => {
    const r = await load(undefined);
    assert.ok(r.ok);
    assert.equal(r.config.web.listenAddress, ':9473');
    assert.deepEqual(r.config.paths, { procfs: '/proc', sysfs: '/sys', rootfs: '/', udevData: '/run/udev/data' });
    assert.deepEqual(
      r.config.collectors.filter((c) => c.enabled).map((c) => c.definition.name),
      [
        'arp',
        'bcache',
        'bcachefs',
        'bonding',
        'btrfs',
        'conntrack',
        'container',
        'cpu',
        'cpufreq',
        'diskstats',
        'dmi',
        'dmmultipath',
        'edac',
        'entropy',
        'fibrechannel',
        'filefd',
        'filesystem',
        'hwmon',
        'infiniband',
        'inventory',
        'ipvs',
        'kernel_hung',
        'loadavg',
        'mdadm',
        'meminfo',
        'netclass',
        'netdev',
        'netstat',
        'nfs',
        'nfsd',
        'nvme',
        'os',
        'powersupplyclass',
        'pressure',
        'probe',
        'rapl',
        'schedstat',
        'selinux',
        'sockstat',
        'softnet',
        'stat',
        'tapestats',
        'textfile',
        'thermal_zone',
        'time',
        'timex',
        'udp_queues',
        'uname',
        'vmstat',
        'watchdog',
        'xfs',
        'zfs',
      ],
    );
    const cpu = r.config.collectors.find((c) => c.definition.name === 'cpu');
    assert.deepEqual(cpu?.options, { guest: true, info: false }, 'collector option defaults come from its schema');
    assert.equal(cpu?.timeoutMs, 10000);
  });

  it('names file, line, column and key of an unknown key', async () => {
    assert.deepEqual(await errorsOf('web:\n  listen_address: ":1234"\n  listen_adress: ":1"\n'), [
      'FILE:3:3: web.listen_adress: unknown key "listen_adress"; did you mean "listen_address"?',
    ]);
  });

  it('rejects an unknown collector with its position', async () => {
    assert.deepEqual(await errorsOf('collectors:\n  cpu: {}\n  cpux:\n    interval: 5s\n'), [
      'FILE:3:3: collectors.cpux: unknown collector "cpux"; did you mean "cpu"?',
    ]);
  });

  it('reports wrong types, bad enums and bad durations, all at once', async () => {
    const errors = await errorsOf('log:\n  level: loud\nweb:\n  max_requests: many\nscheduler:\n  timeout: 10 seconds\ncollectors:\n  cpu: {guest: maybe}\n');
    assert.deepEqual(errors.sort(), [
      'FILE:2:3: log.level: must be one of "debug", "info", "warn", "error"',
      'FILE:4:3: web.max_requests: must be a whole number, not "many"',
      'FILE:6:3: scheduler.timeout: must be a duration like 10s, 1m30s or 500ms, not "10 seconds"',
      'FILE:8:9: collectors.cpu.guest: must be true or false, not "maybe"',
    ]);
  });

  it('reports YAML syntax errors with line and column', async () => {
    const [e] = await errorsOf('web:\n  listen_address: ":1\n');
    assert.match(e as string, /^FILE:3:1: invalid YAML: unexpected end of the stream/);
    assert.deepEqual(await errorsOf('- a\n- b\n'), ['FILE:1:1: the config must be a YAML mapping at the top level']);
    assert.match((await errorsOf('a: 1\na: 2\n'))[0] as string, /duplicated mapping key/);
  });

  it('rejects a timeout not below the interval, and a malformed schedule', async () => {
    assert.deepEqual(await errorsOf('collectors:\n  cpu:\n    interval: 5s\n    timeout: 5s\n'), [
      'FILE:4:5: collectors.cpu.timeout: timeout 5s must be shorter than the interval 5s',
    ]);
    assert.match(
      (await errorsOf('collectors:\n  cpu:\n    interval: every minute\n'))[0] as string,
      /^FILE:3:5: collectors.cpu.interval: "every minute" is neither/,
    );
  });

  it('accepts six-field cron schedules and clamps the default timeout under short intervals', async () => {
    const r = await load('collectors:\n  cpu: {interval: "*/10 * * * * *"}\n  meminfo: {interval: 2s}\n');
    assert.ok(r.ok);
    const by = new Map(r.config.collectors.map((c) => [c.definition.name, c]));
    assert.equal(by.get('cpu')?.schedule.kind, 'cron');
    assert.equal(by.get('meminfo')?.timeoutMs, 1600);
  });

  it('lets flags and environment override the file', async () => {
    const r = await load('web:\n  listen_address: ":1111"\ncollectors:\n  cpu: {enabled: true}\n', {
      web: { listen_address: '127.0.0.1:2222' },
      collectors: { cpu: { enabled: false } },
    });
    assert.ok(r.ok);
    assert.equal(r.config.web.listenAddress, '127.0.0.1:2222');
    assert.equal(r.config.collectors.find((c) => c.definition.name === 'cpu')?.enabled, false);
  });

  it('says an error came from flags when the file does not hold the key', async () => {
    const r = await load('{}\n', { collectors: { nosuch: { enabled: true } } });
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map(formatConfigError), ['flags/environment: collectors.nosuch: unknown collector "nosuch"']);
  });

  it('loads an external collector module relative to the config file and validates its options', async () => {
    const p = join(repoRoot, 'examples/collectors/uptime.mjs');
    const ok = await load(`collector_modules: [${JSON.stringify(p)}]\ncollectors:\n  uptime: {extra_labels: {role: db}}\n`);
    assert.ok(ok.ok);
    assert.deepEqual(ok.config.collectors.find((c) => c.definition.name === 'uptime')?.options, { extra_labels: { role: 'db' } });
    assert.deepEqual(await errorsOf(`collector_modules:\n  - ${JSON.stringify(p)}\ncollectors:\n  uptime: {extra_labels: {role: 1}}\n`), [
      'FILE:4:12: collectors.uptime.extra_labels.role: must be a string, not 1',
    ]);
    const missing = await errorsOf('collector_modules:\n  - ./nope.mjs\n');
    assert.match(missing[0] as string, /^FILE:2:3: collector_modules\[0\]: cannot load collector module \.\/nope\.mjs/);
    const notCollector = file('export default { name: "Bad Name" };\n').replace(/\.yml$/, '.yml');
    const mod = notCollector.replace(/\.yml$/, '.mjs');
    writeFileSync(mod, 'export default { name: "Bad Name" };\n');
    assert.match((await errorsOf(`collector_modules: [${JSON.stringify(mod)}]\n`))[0] as string, /name must match/);
    const threaded = mod.replace(/\.mjs$/, '-threaded.mjs'); // a new path: modules are cached by URL
    writeFileSync(
      threaded,
      'export default { name: "threaded_routes", description: "d", enabledByDefault: true, collect: () => [], workerModule: import.meta.url, routes: { "/x": async () => ({}) } };\n',
    );
    assert.match(
      (await errorsOf(`collector_modules: [${JSON.stringify(threaded)}]\n`))[0] as string,
      /a collector in a worker thread has no routes or statusTable/,
    );
  });

  it('ships examples/spyglass.yml, generated from the schemas: every key of every collector, described', async () => {
    const committed = readFileSync(join(repoRoot, 'examples/spyglass.yml'), 'utf8');
    assert.equal(committed, exampleConfig(builtinCollectors), 'examples/spyglass.yml is stale: run `npm run generate`');
    for (const d of builtinCollectors) {
      assert.match(committed, new RegExp(`^ {2}${d.name}: +# `, 'm'), d.name);
      for (const key of Object.keys(d.options?.properties ?? {}))
        assert.match(committed, new RegExp(`^ {4}(# )?${key}: .*# \\S`, 'm'), `${d.name}.${key} with its meaning`);
    }
  });

  it('ships examples/spyglass.yml spelling out exactly the embedded defaults', async () => {
    const example = await loadConfig({ file: join(repoRoot, 'examples/spyglass.yml'), builtins: builtinCollectors });
    const embedded = await loadConfig({ builtins: builtinCollectors });
    assert.ok(example.ok && embedded.ok);
    assert.deepEqual({ ...example.config, file: undefined }, embedded.config);
  });

  it('reads an unreadable path as a clear error', async () => {
    const r = await loadConfig({ file: join(dir, 'absent.yml'), builtins: builtinCollectors });
    assert.ok(!r.ok);
    assert.match(formatConfigError(r.errors[0]!), /absent\.yml: cannot read config file: ENOENT/);
  });
});

describe('collector flags', () => {
  it('turns node_exporter-style flags into collector overrides and leaves the rest', () => {
    const r = extractCollectorFlags([
      '--no-collector.cpu',
      '--collector.meminfo',
      '--collector.cpu.interval=5s',
      '--collector.x.list',
      'a',
      '--collector.x.list=b',
      '--collector.disable-defaults',
      '--log.level=debug',
    ]);
    assert.ok(!('error' in r));
    assert.deepEqual(r.collectors, { cpu: { enabled: false, interval: '5s' }, meminfo: { enabled: true }, x: { list: ['a', 'b'] } });
    assert.deepEqual(r.rest, ['--collector.disable-defaults', '--log.level=debug']);
  });
  it('takes boolean options as node_exporter does: no value, a --no- form, the last one wins', () => {
    const isBoolean = (c: string, o: string) => (c === 'cpu' && o === 'guest' ? 'boolean' : undefined);
    const r = extractCollectorFlags(
      ['dump', '--collector.cpu.guest', 'cpu', '--collector.netdev.address-info', '--no-collector.x.flag', '--collector.y.on', '--no-collector.y.on'],
      isBoolean,
    );
    assert.ok(!('error' in r));
    assert.deepEqual(r.collectors, { cpu: { guest: true }, x: { flag: false }, y: { on: false } });
    assert.deepEqual(r.rest, ['dump', 'cpu'], 'a boolean option does not take the next word as its value');
    assert.deepEqual(r.notes, ['--collector.netdev.address-info ignored: spyglass does not emit node_network_address_info yet']);
    assert.deepEqual(extractCollectorFlags(['--no-collector.cpu.guest=true']), { error: 'flag --no-collector.cpu.guest=true: a --no- flag takes no value' });
  });
  it('takes out node_exporter flags with no meaning here, with their values, and says why', () => {
    const r = extractCollectorFlags(['--runtime.gomaxprocs', '2', '--web.systemd-socket', 'serve']);
    assert.ok(!('error' in r));
    assert.deepEqual(r.rest, ['serve']);
    assert.equal(r.notes.length, 2);
    assert.match(r.notes[0] as string, /^--runtime\.gomaxprocs ignored: it sets Go's thread count/);
  });
});

describe('locateKey', () => {
  const y = 'a:\n  b:\n    - x: 1\n    - y: 2\n      z: {q: 1, r: 2}\n  c: 3\n';
  it('finds keys, list items and keys inside one-line flow mappings', () => {
    assert.deepEqual(locateKey(y, ['a', 'c']), { line: 6, column: 3 });
    assert.deepEqual(locateKey(y, ['a', 'b', 1]), { line: 4, column: 5 });
    assert.deepEqual(locateKey(y, ['a', 'b', 1, 'z']), { line: 5, column: 7 });
    assert.deepEqual(locateKey(y, ['a', 'b', 1, 'z', 'r']), { line: 5, column: 17 });
    assert.deepEqual(locateKey(y, ['a', 'nope']), { line: 1, column: 1 });
  });
});
