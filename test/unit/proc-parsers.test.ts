import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { clampCpuTimes } from '../../collectors/host/cpu-clamp.js';
import { parseLoadavg } from '../../src/parsers/proc-loadavg.js';
import { parseMeminfo } from '../../src/parsers/proc-meminfo.js';
import { parseProcStat, type CpuTimes } from '../../src/parsers/proc-stat.js';
import { fixture } from '../helpers/spyglass.js';

const read = (p: string) => readFileSync(fixture(p), 'utf8');

describe('/proc/stat', () => {
  it('parses the captured file: per-CPU seconds at USER_HZ 100, stat counters', () => {
    const r = parseProcStat(read('proc-2cpu/stat'));
    assert.ok(r.ok);
    assert.deepEqual([...r.value.cpus.keys()], ['0', '1']);
    assert.deepEqual(r.value.cpus.get('0'), {
      user: 11.08,
      nice: 0,
      system: 5.06,
      idle: 475.16,
      iowait: 0.22,
      irq: 0,
      softirq: 0.08,
      steal: 0.03,
      guest: 0,
      guest_nice: 0,
    });
    assert.ok((r.value.bootTime ?? 0) > 1.7e9);
    assert.ok((r.value.contextSwitches ?? 0) > 0);
  });

  it('accepts old kernels with only four CPU fields', () => {
    const r = parseProcStat('cpu  1 2 3 4\ncpu0 100 200 300 400\n');
    assert.ok(r.ok);
    assert.deepEqual(r.value.cpus.get('0'), { user: 1, nice: 2, system: 3, idle: 4 });
  });

  it('names file, line and field on garbage', () => {
    assert.deepEqual(parseProcStat(read('proc-garbled/stat')), { ok: false, error: '/proc/stat:2: field 3 of cpu0 is not a number: "x"' });
    assert.equal(parseProcStat('ctxt 1\n').ok, false);
    assert.equal(parseProcStat('cpu0 1 2\n').ok, false);
  });

  it('keeps huge counters exact enough', () => {
    const r = parseProcStat('cpu0 18446744073709551615 0 0 0\n');
    assert.ok(r.ok);
    assert.equal(r.value.cpus.get('0')?.user, 2 ** 64 / 100); // 18446744073709551615 as the nearest double
  });

  it('many CPUs, with offline ones missing: every CPU line comes back with its own ticks', () => {
    const cpuLines = fc
      .uniqueArray(fc.integer({ min: 0, max: 4095 }), { minLength: 1, maxLength: 512 })
      .chain((ids) =>
        fc.tuple(
          fc.constant(ids.sort((a, b) => a - b)),
          fc.array(fc.array(fc.nat({ max: 2 ** 40 }), { minLength: 10, maxLength: 10 }), { minLength: ids.length, maxLength: ids.length }),
        ),
      );
    fc.assert(
      fc.property(cpuLines, ([ids, ticks]) => {
        const text = `cpu  1 2 3 4 5 6 7 8 9 10\n${ids.map((id, i) => `cpu${id} ${(ticks[i] as number[]).join(' ')}`).join('\n')}\nctxt 5\n`;
        const r = parseProcStat(text);
        assert.ok(r.ok);
        assert.deepEqual([...r.value.cpus.keys()], ids.map(String));
        ids.forEach((id, i) => assert.equal(r.value.cpus.get(String(id))?.steal, (ticks[i] as number[])[7]! / 100));
      }),
      { numRuns: 50 },
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseProcStat(s)));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('cpu0', 'cpu', 'ctxt', 'btime', '-1', '1.5', ' ', '\n', 'x')), { maxLength: 40 }),
        (parts) => void parseProcStat(parts.join(' ')),
      ),
    );
  });
});

describe('CPU counter clamping', () => {
  const m = (o: Record<string, CpuTimes>) => new Map(Object.entries(o));
  it('keeps the previous value of a field that goes backwards', () => {
    const r = clampCpuTimes(m({ '0': { user: 10, idle: 100 } }), m({ '0': { user: 9.99, idle: 101 } }));
    assert.deepEqual(r.times.get('0'), { user: 10, idle: 101 });
    assert.deepEqual(r.heldBack, ['0/user']);
  });
  it('resets a CPU whose idle time drops by 3 s or more (hotplug)', () => {
    const r = clampCpuTimes(m({ '0': { user: 10, idle: 100 } }), m({ '0': { user: 1, idle: 5 } }));
    assert.deepEqual(r.times.get('0'), { user: 1, idle: 5 });
    assert.deepEqual(r.reset, ['0']);
  });
});

describe('/proc/meminfo', () => {
  it('parses the captured file with node_exporter names and kB → bytes', () => {
    const r = parseMeminfo(read('proc-2cpu/meminfo'));
    assert.ok(r.ok);
    const byName = new Map(r.value.map((f) => [f.name, f]));
    const total = Number(/MemTotal:\s+(\d+)/.exec(read('proc-2cpu/meminfo'))?.[1]) * 1024;
    assert.equal(byName.get('MemTotal')?.value, total);
    assert.ok(byName.has('Active_anon') && byName.has('Inactive_file'));
    assert.equal(byName.get('HugePages_Total')?.isBytes, false);
  });
  it('reports malformed lines with their number', () => {
    assert.deepEqual(parseMeminfo(read('proc-garbled/meminfo')), { ok: false, error: '/proc/meminfo:1: value of MemTotal is not a number: "lots"' });
    assert.equal(parseMeminfo('').ok, false);
    assert.equal(parseMeminfo('MemTotal 12 kB\n').ok, false);
  });
  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseMeminfo(s)));
  });
});

describe('/proc/loadavg', () => {
  it('parses the three averages', () => {
    assert.deepEqual(parseLoadavg('0.52 0.31 0.12 1/123 4567\n'), { ok: true, value: { load1: 0.52, load5: 0.31, load15: 0.12 } });
  });
  it('rejects short or non-numeric input', () => {
    assert.equal(parseLoadavg(read('proc-garbled/loadavg')).ok, false);
    assert.equal(parseLoadavg('a b c').ok, false);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseLoadavg(s)));
  });
});
