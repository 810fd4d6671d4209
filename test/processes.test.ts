import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parsePidStat } from '../src/parsers/proc-pid-stat.js';
import { parseExposition } from './helpers/exposition.js';
import { scrapeNodeExporter } from './helpers/reference-exporters.js';
import { runCli, sampleValue } from './helpers/spyglass.js';

/** A /proc/PID/stat line; `rest` starts at field 4 (ppid). num_threads is field 20. */
const statLine = (pid: number, comm: string, state: string, threads: number) =>
  `${pid} (${comm}) ${state} 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 ${threads} 0 12345 1000 200 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;

function syntheticProc(): string {
  const proc = mkdtempSync(join(tmpdir(), 'spyglass-proc-'));
  const task = (pid: number, tid: number, state: string, threads: number) => {
    mkdirSync(join(proc, String(pid), 'task', String(tid)), { recursive: true });
    writeFileSync(join(proc, String(pid), 'task', String(tid), 'stat'), statLine(tid, 'worker', state, threads));
  };
  mkdirSync(join(proc, '1/task/1'), { recursive: true });
  writeFileSync(join(proc, '1/stat'), statLine(1, 'tricky) R (name', 'S', 1)); // comm with ") R (" inside
  writeFileSync(join(proc, '1/task/1/stat'), statLine(1, 'tricky) R (name', 'S', 1));
  mkdirSync(join(proc, '40/task'), { recursive: true });
  writeFileSync(join(proc, '40/stat'), statLine(40, 'app', 'R', 3));
  task(40, 40, 'R', 3);
  task(40, 41, 'D', 3);
  task(40, 42, 'S', 3);
  mkdirSync(join(proc, '40/task/43')); // a thread of 40 that exited: listed, its stat gone
  mkdirSync(join(proc, '77'), { recursive: true }); // exited between listing and reading
  mkdirSync(join(proc, 'sys/kernel'), { recursive: true });
  writeFileSync(join(proc, 'sys/kernel/threads-max'), '1000\n');
  writeFileSync(join(proc, 'sys/kernel/pid_max'), '4194304\n');
  return proc;
}

describe('processes collector', () => {
  it('counts processes and threads by state, skipping ones that exited mid-walk', async () => {
    const proc = syntheticProc();
    const r = await runCli(['dump', `--path.procfs=${proc}`, '--collector.processes', 'processes']);
    assert.equal(r.code, 0, r.stderr);
    const v = (s: string) => sampleValue(r.stdout, s);
    assert.equal(v('node_processes_pids'), 2);
    assert.equal(v('node_processes_threads'), 4);
    assert.equal(v('node_processes_state{state="S"}'), 1);
    assert.equal(v('node_processes_state{state="R"}'), 1);
    assert.equal(v('node_processes_threads_state{thread_state="D"}'), 1);
    assert.equal(v('node_processes_threads_state{thread_state="R"}'), 1);
    assert.equal(v('node_processes_threads_state{thread_state="S"}'), 2);
    assert.equal(v('node_processes_max_threads'), 1000);
    assert.equal(v('node_processes_max_processes'), 4194304);
  });

  it('fails with the file named on a garbled stat', async () => {
    const proc = syntheticProc();
    writeFileSync(join(proc, '40/stat'), '40 (app) R 1 2\n');
    const r = await runCli(['dump', `--path.procfs=${proc}`, '--collector.processes', 'processes']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/proc\/40\/stat:1: bad num_threads field/);
  });

  it('is off by default, and agrees with node_exporter on this machine', async () => {
    const byDefault = await runCli(['dump']);
    assert.doesNotMatch(byDefault.stdout, /node_processes_/);
    const [theirs, ours] = await Promise.all([
      scrapeNodeExporter(['--collector.disable-defaults', '--collector.processes']),
      runCli(['dump', '--collector.processes', 'processes']),
    ]);
    assert.equal(ours.code, 0, ours.stderr);
    const a = parseExposition(theirs);
    const b = parseExposition(ours.stdout);
    for (const name of [
      'node_processes_threads',
      'node_processes_max_threads',
      'node_processes_state',
      'node_processes_threads_state',
      'node_processes_pids',
      'node_processes_max_processes',
    ]) {
      assert.equal(b.get(name)?.type, a.get(name)?.type, `${name} type`);
      assert.deepEqual([...(b.get(name)?.labelNames ?? [])], [...(a.get(name)?.labelNames ?? [])], `${name} labels`);
    }
    const one = (m: Map<string, { samples: Array<{ value: number }> }>, n: string) => m.get(n)?.samples[0]?.value as number;
    assert.equal(one(b, 'node_processes_max_threads'), one(a, 'node_processes_max_threads'));
    assert.equal(one(b, 'node_processes_max_processes'), one(a, 'node_processes_max_processes'));
    // Live counts: both walk /proc within the same second; the two exporters themselves differ.
    assert.ok(
      Math.abs(one(b, 'node_processes_pids') - one(a, 'node_processes_pids')) <= 5,
      `pids ${one(b, 'node_processes_pids')} vs ${one(a, 'node_processes_pids')}`,
    );
  });

  it('parsePidStat never throws and finds the state after the last parenthesis', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('R', 'S', 'D', 'Z', 'T', 'I'), fc.integer({ min: 1, max: 10000 }), (comm, state, threads) => {
        const r = parsePidStat(statLine(9, comm.replace(/\n/g, ''), state, threads), 'f');
        assert.deepEqual(r, { ok: true, value: { state, threads } });
      }),
    );
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parsePidStat(s, 'f')));
  });
});
