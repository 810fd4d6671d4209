/**
 * The systemd collector in-process, against a stand-in D-Bus peer on a unix socket in a temporary
 * directory: for what a real systemd will not do on demand (a property of the wrong type, a garbled
 * reply, a unit that vanishes mid-run). The real thing is in test/systemd.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import systemd, { listedUnits, systemdVersionNumber, unitFilter, type SystemdOptions } from '../../collectors/host/systemd.js';
import type { CollectContext, MetricFamily } from '../../src/collector.js';
import { decodeMessage, encodeMessage, messageLength, MessageType, type DBusValue, type Message, type Variant } from '../../src/dbus/wire.js';

type Props = Record<string, Record<string, Variant>>;

const unit = (name: string, load: string, active: string): DBusValue[] => [name, '', load, active, '', '', `/u/${name}`, 0, '', '/'];

/** A peer that answers Hello, ListUnits and Properties.Get from tables; `raw` replaces a reply's bytes. */
function standIn(units: DBusValue[][], props: Props, raw?: (m: Message) => Buffer | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'spyglass-dbus-'));
  const path = join(dir, 'bus');
  const server = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    let authed = false;
    c.on('error', () => {});
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!authed) {
        const text = buf.toString('latin1');
        if (!text.includes('BEGIN\r\n')) {
          if (text.includes('AUTH EXTERNAL') && text.endsWith('\r\n')) c.write('OK 0123456789abcdef0123456789abcdef\r\n');
          return;
        }
        authed = true;
        buf = buf.subarray(text.indexOf('BEGIN\r\n') + 7);
      }
      for (;;) {
        const len = messageLength(buf);
        if (len === undefined || buf.length < len) return;
        const m = decodeMessage(buf.subarray(0, len));
        buf = buf.subarray(len);
        const replacement = raw?.(m);
        if (replacement) {
          c.write(replacement);
          continue;
        }
        const reply = (signature: string, body: DBusValue[]) =>
          c.write(encodeMessage({ type: MessageType.METHOD_RETURN, flags: 0, serial: 1, replySerial: m.serial, signature, body }));
        const error = (name: string) =>
          c.write(encodeMessage({ type: MessageType.ERROR, flags: 0, serial: 1, replySerial: m.serial, errorName: name, signature: 's', body: ['no'] }));
        if (m.member === 'Hello') reply('s', [':1.9']);
        else if (m.member === 'ListUnits') reply('a(ssssssouso)', [units]);
        else if (m.member === 'Get') {
          const v = props[`${m.path} ${m.body[0] as string}`]?.[m.body[1] as string];
          if (v) reply('v', [v]);
          else error('org.freedesktop.DBus.Error.UnknownProperty');
        } else error('org.freedesktop.DBus.Error.UnknownMethod');
      }
    });
  });
  server.listen(path);
  return { address: `unix:path=${path}`, close: () => (server.close(), rmSync(dir, { recursive: true, force: true })) };
}

async function run(options: SystemdOptions, timeoutMs = 5000) {
  const skipped: string[] = [];
  const ctx = {
    config: options,
    paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/', udevData: '/run/udev/data' },
    signal: AbortSignal.timeout(timeoutMs),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    runTimeMs: Date.now(),
    state: undefined,
    once: true,
    skip: (reason: string, detail: string) => void skipped.push(`${reason}: ${detail}`),
    runSoon() {},
    servedElsewhere: () => undefined,
    maxSeries: undefined,
  } as CollectContext<SystemdOptions, undefined>;
  const families: MetricFamily[] = await systemd.collect(ctx);
  const value = (name: string, labels: Record<string, string> = {}) =>
    (families.find((f) => f.name === name)?.samples.find((s) => JSON.stringify(s.labels ?? {}) === JSON.stringify(labels)) as { value: number } | undefined)
      ?.value;
  return { families, value, skipped };
}

const s = (value: string): Variant => ({ signature: 's', value });
const u = (value: number): Variant => ({ signature: 'u', value });
const MANAGER = { '/org/freedesktop/systemd1 org.freedesktop.systemd1.Manager': { Version: s('255.4-1'), SystemState: s('running'), Virtualization: s('') } };

describe('systemd collector (stand-in peer)', () => {
  const peers: Array<{ close(): void }> = [];
  after(() => peers.forEach((p) => p.close()));

  it('serves the rest when one property is missing or of the wrong type, and counts it', async () => {
    const peer = standIn(
      [
        unit('a.service', 'loaded', 'active'),
        unit('b.service', 'loaded', 'failed'),
        unit('gone.service', 'not-found', 'inactive'),
        unit('c.socket', 'loaded', 'active'),
      ],
      {
        ...MANAGER,
        '/u/a.service org.freedesktop.systemd1.Service': { Type: s('notify'), NRestarts: u(4) },
        '/u/b.service org.freedesktop.systemd1.Service': { Type: u(1), NRestarts: s('x') }, // wrong types
        '/u/c.socket org.freedesktop.systemd1.Socket': { NAccepted: u(10), NConnections: u(2) }, // no NRefused (systemd < 239)
      },
    );
    peers.push(peer);
    const r = await run({ address: peer.address, enable_restarts_metrics: true });
    assert.equal(r.value('node_systemd_unit_state', { name: 'a.service', state: 'active', type: 'notify' }), 1);
    assert.equal(r.value('node_systemd_unit_state', { name: 'b.service', state: 'failed', type: '' }), 1);
    assert.equal(r.value('node_systemd_unit_state', { name: 'gone.service', state: 'inactive', type: '' }), undefined, 'not loaded: left out');
    assert.equal(r.value('node_systemd_units', { state: 'inactive' }), 1, 'but counted');
    assert.equal(r.value('node_systemd_service_restart_total', { name: 'a.service' }), 4);
    assert.equal(r.value('node_systemd_service_restart_total', { name: 'b.service' }), undefined);
    assert.equal(r.value('node_systemd_socket_accepted_connections_total', { name: 'c.socket' }), 10);
    assert.equal(r.value('node_systemd_socket_current_connections', { name: 'c.socket' }), 2);
    assert.equal(r.value('node_systemd_socket_refused_connections_total', { name: 'c.socket' }), undefined);
    assert.equal(r.value('node_systemd_system_running'), 1);
    assert.equal(r.value('node_systemd_version', { version: '255.4-1' }), 255.4);
    assert.equal(r.value('node_systemd_virtualization_info', { virtualization_type: 'none' }), 1, 'empty: bare metal');
    assert.deepEqual(r.skipped.map((x) => x.split(':')[0]).sort(), ['property', 'property', 'property']);
    assert.match(r.skipped.join('\n'), /b\.service: Service\.Type has type u, not s/);
    assert.match(r.skipped.join('\n'), /c\.socket: org\.freedesktop\.DBus\.Error\.UnknownProperty/);
  });

  it('skips system_running and timers below version 212, and takes version 0 from a garbled one', async () => {
    const peer = standIn([unit('t.timer', 'loaded', 'active')], { '/org/freedesktop/systemd1 org.freedesktop.systemd1.Manager': { Version: s('v20-rc') } });
    peers.push(peer);
    const r = await run({ address: peer.address });
    assert.equal(r.value('node_systemd_version', { version: '' }), 0);
    assert.equal(r.value('node_systemd_system_running'), undefined);
    assert.equal(r.value('node_systemd_virtualization_info', { virtualization_type: 'unknown' }), 1);
    assert.equal(r.families.find((f) => f.name === 'node_systemd_timer_last_trigger_seconds')?.samples.length, 0);
  });

  it('fails the run on a ListUnits reply that is not a(ssssssouso), or a garbled message', async () => {
    const wrong = standIn([], MANAGER, (m) =>
      m.member === 'ListUnits'
        ? encodeMessage({ type: MessageType.METHOD_RETURN, flags: 0, serial: 1, replySerial: m.serial, signature: 'as', body: [['x']] })
        : undefined,
    );
    const garbled = standIn([], MANAGER, (m) => (m.member === 'ListUnits' ? Buffer.from('l\x02\x00\x01garbage-garbage-garbage') : undefined));
    peers.push(wrong, garbled);
    await assert.rejects(run({ address: wrong.address }), /couldn't get units: ListUnits: reply is not/);
    await assert.rejects(run({ address: garbled.address }), /couldn't get units: D-Bus: unreadable message/);
  });

  it('fails at the deadline on a peer that never answers', async () => {
    const mute = standIn([], MANAGER, (m) => (m.member === 'ListUnits' ? Buffer.alloc(0) : undefined));
    peers.push(mute);
    const started = Date.now();
    await assert.rejects(run({ address: mute.address }, 300), /couldn't get units/);
    assert.ok(Date.now() - started < 2000);
  });

  it('reads ListUnits rows, filters as node_exporter and parses versions', () => {
    assert.throws(() => listedUnits([[['a']]]), /a\(ssssssouso\)/);
    const rows = listedUnits([[unit('x.service', 'loaded', 'active'), unit('y.mount', 'loaded', 'active'), unit('z.service', 'masked', 'inactive')]]);
    assert.deepEqual(
      rows.filter(unitFilter({})).map((r) => r.name),
      ['x.service'],
    );
    assert.deepEqual(
      rows.filter(unitFilter({ unit_exclude: '' })).map((r) => r.name),
      ['x.service', 'y.mount'],
    );
    assert.deepEqual(
      rows.filter(unitFilter({ unit_include: 'x' })).map((r) => r.name),
      [],
      'anchored',
    );
    assert.deepEqual(
      rows.filter(unitFilter({ unit_blacklist: 'x\\..*' })).map((r) => r.name),
      ['y.mount'],
      'deprecated name',
    );
    assert.equal(systemdVersionNumber('252.38-1~deb12u1'), 252.38);
    assert.equal(systemdVersionNumber('systemd 219'), 219);
    assert.equal(systemdVersionNumber('v2'), 0);
  });
});
