/**
 * What ships: the runtime tree the container image runs (scripts/assemble-runtime.sh, run here
 * because no Docker engine runs on these machines), started the way the image starts it: as PID 1,
 * as an unprivileged user, on a read-only tree; the npm tarball installed into an empty folder and
 * run with `npx spyglass serve`; the Dockerfile's shape; the systemd unit checked by systemd-analyze.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, repoRoot, runAndScrape, sampleValue } from './helpers/spyglass.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** The host PID of the process whose command line matches `pattern`. */
/** The Dockerfile's instructions, one per line (it has no continuation lines). */
const instructions = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => l.trim());

function pidOf(pattern: string): number {
  return Number(execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n')[0]);
}

describe('the runtime tree (what the image runs)', () => {
  let tree: string;
  before(() => {
    // mkdtemp makes the directory 0700; the image's /app is 0755, readable by its unprivileged user.
    tree = mkdtempSync(join(tmpdir(), 'spyglass-runtime-'));
    chmodSync(tree, 0o755);
    execFileSync(join(repoRoot, 'scripts/assemble-runtime.sh'), [tree], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  });
  after(() => rmSync(tree, { recursive: true, force: true }));

  it('holds the packed app with production dependencies only, addons built', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: object; devDependencies: object };
    for (const d of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(tree, 'node_modules', d, 'package.json')), `dependency ${d}`);
    for (const d of Object.keys(pkg.devDependencies)) assert.ok(!existsSync(join(tree, 'node_modules', d)), `dev dependency ${d} left out`);
    for (const f of [
      'dist/src/cli.js',
      'dist/src/http/bcrypt-worker.js',
      'build/Release/timex.node',
      'build/Release/batchfs.node',
      'build/Release/ambient-caps',
      'dashboards/spyglass-host.json',
      'alerts/spyglass-alerts.yaml',
      'deploy/kubernetes/kustomization.yaml',
      'deploy/systemd/spyglass.service',
    ]) {
      assert.ok(existsSync(join(tree, f)), f);
    }
    for (const f of ['test', 'dist/test', 'bench', 'src', 'build/Release/obj.target']) assert.ok(!existsSync(join(tree, f)), `${f} left out`);
  });

  it('runs as PID 1, as an unprivileged user, on a read-only tree; stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    // A private mount namespace makes the tree read-only for this run only; with --pid --fork the
    // shell is PID 1 and execs (through setpriv) into node, which then is PID 1.
    // Node's options as the image's ENTRYPOINT gives them.
    const nodeOptions = (JSON.parse(instructions.find((l) => l.startsWith('ENTRYPOINT '))?.slice('ENTRYPOINT '.length) ?? '[]') as string[]).slice(1, -1);
    assert.deepEqual(nodeOptions, ['--v8-pool-size=1']);
    const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && cd / && exec setpriv ${NOBODY.join(' ')} "$2" ${nodeOptions.join(' ')} "$1/dist/src/cli.js" serve --web.listen-address=127.0.0.1:$3`;
    const run = await runAndScrape('unshare', ['--mount', '--pid', '--fork', 'sh', '-c', script, 'sh', tree, process.execPath, String(port)], port, {
      until: /^node_timex_sync_status /m,
    });
    try {
      assert.ok((sampleValue(run.metrics, 'node_load1') ?? -1) >= 0);
      assert.equal(sampleValue(run.metrics, 'spyglass_collector_last_success{collector="timex"}'), 1, 'the native timex addon loaded');
      assert.match(run.metrics, /^container_memory_usage_bytes\{/m);
      const hostPid = pidOf(`${tree}/dist/src/cli.js`);
      const status = readFileSync(`/proc/${hostPid}/status`, 'utf8');
      assert.match(status, /^NSpid:\s+\d+\s+1$/m, 'PID 1 in its namespace');
      assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
      const niceness = readdirSync(`/proc/${hostPid}/task`).map((tid) =>
        Number(readFileSync(`/proc/${hostPid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]),
      );
      assert.deepEqual(
        niceness.filter((n) => n !== 0),
        [10],
        "the container collector's thread alone runs at nice 10",
      );
      assert.match(
        readFileSync(`/proc/${hostPid}/mountinfo`, 'utf8'),
        new RegExp(`^\\S+ \\S+ \\S+ \\S+ ${tree} ro[,\\s]`, 'm'),
        'the tree is mounted read-only',
      );
      process.kill(hostPid, 'SIGTERM');
      assert.equal(await run.exited, 0, run.logs());
      assert.match(run.logs(), /"signal":"SIGTERM"/);
    } finally {
      run.proc.kill('SIGKILL');
    }
  });
});

describe('the npm package', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-npm-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('installs into an empty folder and `npx spyglass serve` serves metrics; it carries dashboards, rules and deploy files', async () => {
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1) as string;
    const listing = execFileSync('tar', ['-tzf', join(dir, tarball)], { encoding: 'utf8' });
    for (const f of [
      'dashboards/spyglass-host.json',
      'dashboards/grafana-provisioning.yaml',
      'alerts/spyglass-alerts.yaml',
      'alerts/spyglass-rules.yaml',
      'deploy/kubernetes/kustomization.yaml',
      'deploy/kubernetes/overlays/host-only/kustomization.yaml',
      'deploy/kubernetes/overlays/sidecar-only/kustomization.yaml',
      'deploy/kubernetes/daemonset/daemonset.yaml',
      'deploy/systemd/spyglass.service',
      'deploy/web-config/web-config.yml',
      'docs/deploy.md',
      'docs/prometheus/scrape-configs.yml',
    ]) {
      assert.match(listing, new RegExp(`^package/${f.replaceAll('.', '\\.')}$`, 'm'), f);
    }
    assert.doesNotMatch(listing, /^package\/(test|bench|dist\/test|src)\//m, 'no tests, benchmarks or TypeScript sources');

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"uses-spyglass","version":"1.0.0","private":true}\n');
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(dir, tarball)], {
      cwd: app,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(install.status, 0, install.stderr);
    assert.ok(readdirSync(join(app, 'node_modules/spyglass/build/Release')).includes('timex.node'), 'the install script built the addons');
    const port = await freePort();
    const run = await runAndScrape('npx', ['--no-install', 'spyglass', 'serve', `--web.listen-address=127.0.0.1:${port}`], port, { cwd: app });
    try {
      assert.match(run.metrics, /^spyglass_build_info\{/m);
      // npx runs the bin as its child, which execs Node with its runtime options: stop spyglass itself, and npx exits with its code.
      const pid = pidOf(`dist/src/cli.js serve --web.listen-address=127.0.0.1:${port}`);
      assert.match(
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '),
        /^node --v8-pool-size=1 \S+node_modules\/spyglass\/bin\/\.\.\/dist\/src\/cli\.js serve /,
        'the bin runs Node with one V8 helper thread',
      );
      process.kill(pid, 'SIGTERM');
      assert.equal(await run.exited, 0, run.logs());
    } finally {
      run.proc.kill('SIGKILL');
    }
    // The dashboards and rules export from the installed package.
    const exported = spawnSync('npx', ['--no-install', 'spyglass', 'rules', 'export', join(dir, 'rules')], { cwd: app, encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);
    assert.deepEqual(readdirSync(join(dir, 'rules')).sort(), ['spyglass-alerts.yaml', 'spyglass-rules.yaml']);
  });
});

describe('Dockerfile', () => {
  it('builds in one stage with dev dependencies and runs the assembled tree, non-root, in a small one', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    assert.equal(froms.length, 2, 'multi-stage');
    assert.match(froms[0] as string, /^FROM node:20-\S+ AS build$/);
    assert.match(froms[1] as string, /^FROM gcr\.io\/distroless\/nodejs20-debian12:nonroot$/, 'no shell, no npm in the runtime image');
    assert.ok(
      instructions.some((l) => /^RUN .*scripts\/assemble-runtime\.sh \/app$/.test(l)),
      'the image holds what the tested script assembles',
    );
    const final = instructions.slice(instructions.indexOf(froms[1] as string));
    assert.ok(final.includes('COPY --from=build /app /app'));
    assert.match(final.find((l) => l.startsWith('USER ')) ?? '', /^USER [1-9]\d*:[1-9]\d*$/, 'a numeric non-root user (runAsNonRoot can check it)');
    const execForms = final.filter((x) => /^(ENTRYPOINT|CMD|HEALTHCHECK)/.test(x));
    assert.deepEqual(
      execForms.map((l) => l.split(' ')[0]).sort(),
      ['CMD', 'ENTRYPOINT', 'HEALTHCHECK'],
      'the runtime stage says what runs and how it is checked',
    );
    for (const l of execForms) {
      const json = l.replace(/^(ENTRYPOINT|CMD|HEALTHCHECK( --\S+)* CMD) /, '');
      assert.ok(Array.isArray(JSON.parse(json)), `exec form: ${l}`);
    }
    assert.ok(!final.some((l) => /npm (start|run)/.test(l)), 'npm would swallow SIGTERM');
  });

  it('.dockerignore keeps host builds, modules and VCS out of the context, but not what the build copies', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['.git', 'node_modules', 'dist', 'build']) assert.ok(ignored.includes(p), p);
    const copied = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const p of copied) {
      assert.ok(!ignored.includes(p), `${p} is copied but ignored`);
      assert.ok(existsSync(join(repoRoot, p)), `${p} exists`);
    }
  });
});

describe('systemd unit', () => {
  const unit = join(repoRoot, 'deploy/systemd/spyglass.service');

  it('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warnings');
  });

  it('is hardened: systemd-analyze security rates it OK (exposure below 3)', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', unit], { encoding: 'utf8' });
    const m = /Overall exposure level for spyglass\.service: (\d+\.\d+) (\S+)/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    assert.ok(Number(m[1]) < 3, `exposure ${m[1]} ${m[2]}`);
    const text = readFileSync(unit, 'utf8');
    for (const directive of [
      'DynamicUser=yes',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'CapabilityBoundingSet=\n',
      'ExecReload=/bin/kill -HUP $MAINPID',
    ])
      assert.ok(text.includes(directive), directive);
    assert.match(
      text,
      /^ExecStart=\/usr\/bin\/node --v8-pool-size=1 \/opt\/spyglass\/dist\/src\/cli\.js serve \$SPYGLASS_ARGS$/m,
      'runs the tree assemble-runtime.sh makes',
    );
  });
});
