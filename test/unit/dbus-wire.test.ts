import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { socketPathOf } from '../../src/dbus/connection.js';
import { DBusWireError, decodeMessage, encodeMessage, encodeMethodCall, messageLength, MessageType, splitSignature } from '../../src/dbus/wire.js';

/** Decoding may only ever fail with a DBusWireError. */
function decodesOrRefuses(buf: Buffer): void {
  try {
    const len = messageLength(buf);
    if (len !== undefined && buf.length >= len) decodeMessage(buf.subarray(0, len));
  } catch (err) {
    if (!(err instanceof DBusWireError)) throw err;
  }
}

describe('D-Bus wire format', () => {
  it('encodes a method call as the specification lays it out', () => {
    const m = encodeMethodCall({
      serial: 7,
      destination: 'org.freedesktop.systemd1',
      path: '/org/freedesktop/systemd1',
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Get',
      signature: 'ss',
      body: ['org.freedesktop.systemd1.Manager', 'Version'],
    });
    assert.deepEqual([...m.subarray(0, 4)], [0x6c, 1, 0, 1]); // little-endian, METHOD_CALL, no flags, version 1
    assert.equal(m.readUInt32LE(8), 7);
    assert.equal(m.readUInt32LE(4), 4 + 33 + 3 + 4 + 8); // length, "org.freedesktop.systemd1.Manager" + NUL, padding to 4, length, "Version" + NUL
    assert.equal(messageLength(m), m.length);
    const d = decodeMessage(m);
    assert.equal(d.type, MessageType.METHOD_CALL);
    assert.equal(d.member, 'Get');
    assert.equal(d.path, '/org/freedesktop/systemd1');
    assert.equal(d.destination, 'org.freedesktop.systemd1');
    assert.deepEqual(d.body, ['org.freedesktop.systemd1.Manager', 'Version']);
  });

  it('round-trips every basic type, arrays, structs, dict entries and variants', () => {
    const signature = 'ybnqiuxtdsogvaya(su)a{sv}';
    const body = [
      255,
      true,
      -2,
      65535,
      -7,
      4294967295,
      -(2n ** 63n),
      2n ** 64n - 1n,
      1.5,
      'ünïcode',
      '/a/b',
      'a(ss)',
      { signature: 't', value: 2n ** 64n - 1n },
      [],
      [
        ['one', 1],
        ['two', 2],
      ],
      [['k', { signature: 'as', value: ['x', 'y'] }]],
    ];
    const m = encodeMessage({ type: MessageType.METHOD_RETURN, flags: 0, serial: 1, replySerial: 9, signature, body });
    const d = decodeMessage(m);
    assert.equal(d.replySerial, 9);
    assert.deepEqual(d.body, body);
  });

  it('reads big-endian messages', () => {
    // METHOD_RETURN, serial 2, fields [(5, u 1), (8, g "u")], body u 42: written out by hand.
    const header = Buffer.from([0x42, 2, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0x0f, 5, 1, 0x75, 0, 0, 0, 0, 1, 8, 1, 0x67, 0, 1, 0x75, 0, 0]);
    const m = Buffer.concat([header, Buffer.from([0, 0, 0, 42])]);
    const d = decodeMessage(m);
    assert.equal(d.replySerial, 1);
    assert.deepEqual(d.body, [42]);
  });

  it('splits signatures into complete types and refuses bad ones', () => {
    assert.deepEqual(splitSignature('a(ssssssouso)ua{sv}'), ['a(ssssssouso)', 'u', 'a{sv}']);
    for (const bad of ['a', '(', '()', 'a{s}', 'a{sss}', 'z', '(s', 'a'.repeat(300)]) assert.throws(() => splitSignature(bad), DBusWireError, bad);
  });

  it('refuses truncated, garbled and oversized messages with a DBusWireError only', () => {
    const m = encodeMessage({
      type: MessageType.METHOD_RETURN,
      flags: 0,
      serial: 3,
      replySerial: 2,
      signature: 'a(ssssssouso)',
      body: [[['a.service', 'A', 'loaded', 'active', 'running', '', '/org/freedesktop/systemd1/unit/a_2eservice', 0, '', '/']]],
    });
    assert.equal(decodeMessage(m).body.length, 1);
    for (let n = 0; n < m.length; n++) {
      const len = messageLength(m.subarray(0, n));
      if (len !== undefined) assert.throws(() => decodeMessage(m.subarray(0, n)), DBusWireError, `cut at ${n}`);
    }
    // Every single-byte corruption decodes to something or is refused, never anything else.
    for (let i = 0; i < m.length; i++)
      for (const b of [0x00, 0xff, 0x61]) {
        const bad = Buffer.from(m);
        bad[i] = b;
        decodesOrRefuses(bad);
      }
    const huge = Buffer.from(m);
    huge.writeUInt32LE(2 ** 27, 4);
    assert.throws(() => messageLength(huge), /128 MiB/);
    const badMark = Buffer.from(m);
    badMark[0] = 0x78;
    assert.throws(() => messageLength(badMark), /byte order/);
    // A body longer than its signature says.
    const padded = Buffer.from(m);
    padded.writeUInt32LE(padded.readUInt32LE(4) + 8, 4);
    assert.throws(() => decodeMessage(Buffer.concat([padded, Buffer.alloc(8)])), /signature/);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => decodesOrRefuses(Buffer.from(bytes))));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 256 }), (bytes) => {
        const b = Buffer.from(bytes);
        b[0] = 0x6c;
        b[1] = 2;
        b[3] = 1;
        b.writeUInt32LE(b.readUInt32LE(4) % 64, 4);
        b.writeUInt32LE(b.readUInt32LE(12) % 64, 12);
        decodesOrRefuses(b);
      }),
    );
  });

  it('takes the unix socket path from a D-Bus address', () => {
    assert.equal(socketPathOf('unix:path=/run/dbus/system_bus_socket'), '/run/dbus/system_bus_socket');
    assert.equal(socketPathOf('tcp:host=x,port=1;unix:path=/tmp/a%20b,guid=00'), '/tmp/a b');
    assert.equal(socketPathOf('unix:abstract=/tmp/dbus-x'), '\0/tmp/dbus-x');
    assert.throws(() => socketPathOf('tcp:host=localhost,port=1'), /no unix/);
  });
});
