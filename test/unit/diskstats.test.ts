import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseDiskstats, parseUdevProperties } from '../../src/parsers/proc-diskstats.js';
import { fixture } from '../helpers/spyglass.js';

describe('/proc/diskstats', () => {
  it('parses the captured file', () => {
    const r = parseDiskstats(readFileSync(fixture('proc-2cpu/diskstats'), 'utf8'));
    assert.ok(r.ok);
    const vda = r.value.find((d) => d.device === 'vda');
    assert.ok(vda && vda.major === 254 && vda.fields.length === 17);
  });

  it('accepts 11, 15 and 17 counters and rejects truncated or garbled lines', () => {
    const r = parseDiskstats(readFileSync(fixture('diskstats-synthetic'), 'utf8'));
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.map((d) => d.fields.length),
      [11, 11, 15, 15, 17, 17, 17],
    );
    assert.equal(parseDiskstats('8 0 sda 1 2 3\n').ok, false);
    assert.equal(parseDiskstats('8 0 sda 1 2 3 4 5 6 7 8 9 x 11\n').ok, false);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseDiskstats(s)));
  });

  it('reads udev properties', () => {
    const p = parseUdevProperties(readFileSync(fixture('udev-data/b8:0'), 'utf8'));
    assert.equal(p.get('ID_SERIAL_SHORT'), 'WD-WCC7K0000000');
    assert.equal(p.has('S:disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K0000000'), false);
  });
});
