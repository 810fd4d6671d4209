import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { globSegmentToRegExp } from '../collectors/textfile/glob.js';
import { parseTextFormat } from '../src/metrics/parse-text.js';
import { renderFamilies } from '../src/metrics/render.js';
import { parseExposition } from './helpers/exposition.js';
import { scrapeNodeExporter } from './helpers/reference-exporters.js';
import { runCli, sampleValue } from './helpers/spyglass.js';

const GOOD_A = '# HELP role Role of the node.\n# TYPE role gauge\nrole{role="db"} 1\nrole{dc="x",role="web"} 2\n# HELP backup_last_success_seconds Last good backup.\n# TYPE backup_last_success_seconds gauge\nbackup_last_success_seconds 1.7e+09\n';
const GOOD_B =
  '# TYPE job_latency_seconds histogram\njob_latency_seconds_bucket{job="a",le="0.1"} 1\njob_latency_seconds_bucket{job="a",le="1"} 2\njob_latency_seconds_bucket{job="a",le="+Inf"} 3\njob_latency_seconds_sum{job="a"} 2.5\njob_latency_seconds_count{job="a"} 3\n# TYPE rpc_seconds summary\nrpc_seconds{quantile="0.5"} 0.2\nrpc_seconds{quantile="0.99"} 0.9\nrpc_seconds_sum 12\nrpc_seconds_count 40\nnot_typed{path="a \\"q\\" \\\\ b"} 7\n# TYPE jobs_total counter\njobs_total 12\n';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'spyglass-textfile-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

describe('text format parser', () => {
  it('reads every type and round-trips through the encoder', () => {
    const r = parseTextFormat(GOOD_B, 'b.prom');
    assert.ok(r.ok);
    const again = parseTextFormat(renderFamilies(r.value.families, { format: 'prometheus', timestamps: false, defaultTimestampMs: 0 }), 'again');
    assert.ok(again.ok);
    assert.deepEqual(again.value.families.map((f) => [f.name, f.type]).sort(), r.value.families.map((f) => [f.name, f.type]).sort());
    assert.equal(r.value.families.find((f) => f.name === 'not_typed')?.samples[0]?.labels?.path, 'a "q" \\ b');
  });

  it('rejects what Prometheus rejects, naming file and line', () => {
    const bad: Array<[string, RegExp]> = [
      ['# TYPE x gauge\n# TYPE x counter\nx 1\n', /^f:2: second TYPE line/],
      ['x 1\n# TYPE x gauge\n', /^f:2: second TYPE line for metric name x, or TYPE reported after samples/],
      ['# HELP x a\n# HELP x b\n', /^f:2: second HELP line/],
      ['x{a="1",a="2"} 1\n', /duplicate label name a/],
      ['x{a="1"} 1\nx{a="1"} 2\n', /^f:2: duplicate sample/],
      ['x 1 2 3\n', /expected a value/],
      ['x abc\n', /invalid value/],
      ['x{a="\\q"} 1\n', /invalid escape/],
      ['x{a="1} 1\n', /unterminated label value|expected , or }/],
      ['# TYPE x wibble\n', /unknown metric type/],
      ['# TYPE h histogram\nh_bucket 1\n', /needs a numeric le label/],
      ['1x 2\n', /invalid metric name/],
    ];
    for (const [text, re] of bad) {
      const r = parseTextFormat(text, 'f');
      assert.ok(!r.ok, `accepted: ${text}`);
      assert.match(r.error, re);
    }
    const stamped = parseTextFormat('x 1 1700000000000\n', 'f');
    assert.ok(stamped.ok && stamped.value.hasTimestamps);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => void parseTextFormat(s, 'f')), { numRuns: 500 });
    fc.assert(
      fc.property(fc.array(fc.constantFrom('# TYPE x histogram\n', 'x_bucket{le="1"} 1\n', 'x_sum 1\n', 'x_count 2\n', 'x{a="b"} 1\n', '# HELP x h\n', '\n', 'x 1 2\n'), { maxLength: 12 }), (parts) => void parseTextFormat(parts.join(''), 'f')),
    );
  });
});

describe('textfile collector: same output as node_exporter for the same files', () => {
  it('re-emits every type, pads missing labels, names files in default HELP, mtimes, scrape_error 0', async () => {
    const d = dir({ 'a.prom': GOOD_A, 'b.prom': GOOD_B, 'ignored.txt': 'x 1\n', 'c.prom.tmp': 'y 1\n' });
    const ours = await runCli(['dump', 'textfile', `--collector.textfile.directory=${d}`]);
    assert.equal(ours.code, 0, ours.stderr);
    const theirs = await scrapeNodeExporter(['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${d}`]);
    const a = parseExposition(theirs);
    const b = parseExposition(ours.stdout);
    for (const name of ['role', 'backup_last_success_seconds', 'job_latency_seconds', 'rpc_seconds', 'not_typed', 'jobs_total', 'node_textfile_mtime_seconds', 'node_textfile_scrape_error']) {
      const fa = a.get(name);
      const fb = b.get(name);
      assert.ok(fa && fb, `${name} in both`);
      assert.equal(fb.type, fa.type, `${name} type`);
      const norm = (f: typeof fa) => f.samples.map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`).sort();
      assert.deepEqual(norm(fb), norm(fa), `${name} samples`);
    }
    const help = (text: string, name: string) => new RegExp(`^# HELP ${name} (.*)$`, 'm').exec(text)?.[1];
    assert.equal(help(ours.stdout, 'not_typed'), help(theirs, 'not_typed'));
    assert.equal(help(ours.stdout, 'not_typed'), `Metric read from ${join(d, 'b.prom')}`);
  });
});

describe('textfile collector: bad files', () => {
  it('skips each bad file with scrape_error 1 while the good ones still serve', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'spyglass-outside-'));
    writeFileSync(join(outside, 'secret.prom'), 'secret 1\n');
    const d = dir({
      'good.prom': GOOD_A,
      'broken.prom': 'this is { not valid\n',
      'stamped.prom': 'stamped_metric 1 1700000000000\n',
      'big.prom': `big 1\n${'# padding\n'.repeat(2000)}`,
      'z-conflict.prom': '# HELP role Something else.\n# TYPE role gauge\nrole{role="cache"} 1\n',
      'reserved.prom': 'process_cpu_seconds_total 99\n',
    });
    symlinkSync(join(outside, 'secret.prom'), join(d, 'escape.prom'));
    symlinkSync(join(d, 'good.prom'), join(d, 'inside-link.prom'));
    execFileSync('mkfifo', [join(d, 'pipe.prom')]);
    mkdirSync(join(d, 'dir.prom'));
    const cfg = join(d, '..', `${d.split('/').pop()}.yml`);
    writeFileSync(cfg, `collectors:\n  textfile: {directory: [${JSON.stringify(d)}, /nonexistent/textfiles], max_file_bytes: 4096}\n`);
    const started = Date.now();
    const r = await runCli(['dump', 'textfile', `--config.file=${cfg}`]);
    assert.ok(Date.now() - started < 5000, 'a FIFO never blocks the read');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sampleValue(r.stdout, 'node_textfile_scrape_error'), 1);
    assert.equal(sampleValue(r.stdout, 'role{dc="",role="db"}'), 1, 'good file served, its missing label padded with ""');
    assert.equal(sampleValue(r.stdout, 'role{role="cache"}'), undefined, 'the family with a conflicting HELP is skipped (first HELP wins)');
    assert.match(r.stdout, /^# HELP role Role of the node\.$/m);
    assert.notEqual(sampleValue(r.stdout, `node_textfile_mtime_seconds{file="${join(d, 'good.prom')}"}`), undefined);
    assert.notEqual(sampleValue(r.stdout, `node_textfile_mtime_seconds{file="${join(d, 'inside-link.prom')}"}`), undefined, 'a symlink within the directory is fine');
    for (const bad of ['broken', 'stamped', 'big', 'escape', 'pipe', 'dir']) {
      assert.equal(sampleValue(r.stdout, `node_textfile_mtime_seconds{file="${join(d, `${bad}.prom`)}"}`), undefined, `${bad}.prom has no mtime`);
    }
    assert.doesNotMatch(r.stdout, /^(secret|stamped_metric|big) /m);
    assert.doesNotMatch(r.stdout, /^process_cpu_seconds_total 99/m);
    assert.notEqual(sampleValue(r.stdout, `node_textfile_mtime_seconds{file="${join(d, 'z-conflict.prom')}"}`), undefined, 'the file itself was read; its conflicting family was not');
    for (const reason of ['contains unsupported client-side timestamps', 'symlink points outside the directory', 'not a regular file', 'the limit is 4096', 'inconsistent metric help text', 'failed to read textfile collector directory', 'reserved for spyglass']) {
      assert.match(r.stderr, new RegExp(reason), reason);
    }
  });

  it('reports no error with no directory configured', async () => {
    const r = await runCli(['dump', 'textfile']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sampleValue(r.stdout, 'node_textfile_scrape_error'), 0);
  });
});

describe('textfile collector: directory globs', () => {
  it('reads every directory a Go glob matches, like node_exporter', async () => {
    const root = mkdtempSync(join(tmpdir(), 'spyglass-glob-'));
    for (const [sub, metric] of [['team-a', 'a_up'], ['team-b', 'b_up'], ['other', 'other_up']] as const) {
      mkdirSync(join(root, sub));
      writeFileSync(join(root, sub, `${metric}.prom`), `${metric} 1\n`);
    }
    writeFileSync(join(root, 'team-file'), 'not a directory');
    const pattern = join(root, 'team-[a-z]');
    const ours = await runCli(['dump', 'textfile', `--collector.textfile.directory=${pattern}`]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(sampleValue(ours.stdout, 'a_up'), 1);
    assert.equal(sampleValue(ours.stdout, 'b_up'), 1);
    assert.equal(sampleValue(ours.stdout, 'other_up'), undefined);
    assert.equal(sampleValue(ours.stdout, 'node_textfile_scrape_error'), 0);
    const theirs = await scrapeNodeExporter(['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${join(root, 'team-*')}`]);
    const files = (text: string) => [...text.matchAll(/^node_textfile_mtime_seconds\{file="([^"]+)"\}/gm)].map((m) => m[1]).sort();
    const oursStar = await runCli(['dump', 'textfile', `--collector.textfile.directory=${join(root, 'team-*')}`]);
    assert.deepEqual(files(oursStar.stdout), files(theirs));
    assert.deepEqual(files(oursStar.stdout), [join(root, 'team-a/a_up.prom'), join(root, 'team-b/b_up.prom')]);
    const none = await runCli(['dump', 'textfile', `--collector.textfile.directory=${join(root, 'nothing-*')}`]);
    assert.equal(sampleValue(none.stdout, 'node_textfile_scrape_error'), 1, 'a glob that matches nothing is an unreadable directory');
  });

  it('translates Go glob segments', () => {
    assert.ok(globSegmentToRegExp('*.d')?.test('.hidden.d'), 'Go * matches a leading dot');
    assert.ok(globSegmentToRegExp('a?c')?.test('abc'));
    assert.equal(globSegmentToRegExp('[^x]y')?.test('xy'), false);
    assert.ok(globSegmentToRegExp('\\*')?.test('*'));
    assert.equal(globSegmentToRegExp('[abc'), undefined);
    fc.assert(fc.property(fc.string(), (s) => void globSegmentToRegExp(s)));
  });
});
