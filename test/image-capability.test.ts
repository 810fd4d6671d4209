/**
 * The DaemonSet's capability through the image, built and run on real runtimes. The Dockerfile
 * gives native/ambient-caps.c's wrapper `cap_dac_read_search=p` in its build stage and copies it
 * into the runtime stage with `COPY --from`; the capability only reaches node if the file
 * capability survives both builders and the runtime grants it at execve. No registry is reachable,
 * so the Dockerfile's two base images are stood in for by local ones (busybox, setcap and glibc,
 * `docker import`ed); the setcap command, the `COPY --from` and the `USER` are the Dockerfile's
 * own. The built image then runs as the DaemonSet runs it: non-root, `no_new_privs`
 * (allowPrivilegeEscalation: false), CAP_DAC_READ_SEARCH added, everything else dropped, and reads
 * a root-only file through the wrapper.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { RUNTIME_CAPS_WRAPPER } from '../deploy/src/kubernetes.js';
import { BUSYBOX, startRuntimes, type Runtimes } from './helpers/container-runtimes.js';
import { cleanupsAfterAll } from './helpers/real-cgroups.js';
import { repoRoot } from './helpers/spyglass.js';

const run = promisify(execFile);
const cleanups = cleanupsAfterAll();
/** Debian's docker.io CLI, which reaches the daemon's built-in BuildKit without the buildx plugin. */
const DOCKER_CLI = '/usr/bin/docker';
const SECRET = 'readable only with CAP_DAC_READ_SEARCH\n';

/** The Dockerfile's instructions, continuation lines joined. */
function dockerfile(): string[] {
  return readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
}

/** Copies into the root filesystem `dir` the shared libraries `binary` loads (glibc among them). */
async function copyLibraries(dir: string, binary: string): Promise<void> {
  for (const lib of (await run('ldd', [binary])).stdout.match(/\/\S+\.so[.\d]*/g) ?? []) {
    mkdirSync(join(dir, dirname(lib)), { recursive: true });
    cpSync(lib, join(dir, lib), { dereference: true });
  }
}

/** A root filesystem with busybox (static), `binaries` and the libraries they load. */
async function rootfs(dir: string, binaries: string[]): Promise<string> {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  cpSync(BUSYBOX, join(dir, 'bin/busybox'));
  for (const applet of ['sh', 'cat', 'id', 'grep']) symlinkSync('busybox', join(dir, 'bin', applet));
  for (const binary of binaries) {
    mkdirSync(join(dir, dirname(binary)), { recursive: true });
    cpSync(binary, join(dir, binary));
    await copyLibraries(dir, binary);
  }
  return dir;
}

async function importImage(rt: Runtimes, dir: string, name: string): Promise<void> {
  const tar = `${dir}.tar`;
  await run('tar', ['-C', dir, '--numeric-owner', '-cf', tar, '.']);
  await rt.docker('import', tar, name);
}

describe('the image hands CAP_DAC_READ_SEARCH to node (real builders and runtimes)', { timeout: 300_000 }, () => {
  let rt: Runtimes;
  let dockerSocket: string;
  const built: Record<string, string> = {};
  const [wrapper] = RUNTIME_CAPS_WRAPPER as [string];

  before(async () => {
    // Last, once the daemons are gone: the parents runc and BuildKit made, where empty (a Docker of the machine's own keeps its).
    cleanups.push(() => {
      for (const h of readdirSync('/sys/fs/cgroup'))
        for (const dir of ['docker/buildkit', 'docker', 'k8s.io'])
          try {
            rmdirSync(join('/sys/fs/cgroup', h, dir));
          } catch {
            // not there, or in use
          }
    });
    rt = await startRuntimes(cleanups);
    dockerSocket = `unix://${join(rt.dir, 'docker.sock')}`;
    const lines = dockerfile();
    const setcap = lines.map((l) => /setcap (\S+) (\S+)/.exec(l)).find(Boolean);
    assert.ok(setcap, 'the Dockerfile sets a file capability');
    assert.equal(setcap[2], wrapper, 'on the wrapper the DaemonSet runs');
    const finalStage = lines.slice(lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true));
    const copy = finalStage.find((l) => l.startsWith('COPY --from=build'));
    const user = finalStage.find((l) => l.startsWith('USER '));
    assert.ok(copy && user);

    const base = join(rt.dir, 'image-build');
    const context = join(base, 'context');
    mkdirSync(join(context, dirname(wrapper)), { recursive: true });
    // As scripts/assemble-runtime.sh builds it.
    await run('cc', ['-O2', '-Wall', '-Wextra', '-o', join(context, wrapper), join(repoRoot, 'native/ambient-caps.c')]);
    // For the build stage, setcap; for the runtime stage (distroless: glibc, no shell), the wrapper's glibc and a root-only file.
    await importImage(rt, await rootfs(join(base, 'build-stage'), ['/usr/sbin/setcap', '/usr/sbin/getcap']), 'spyglass-test/build-stage:1');
    const runtime = await rootfs(join(base, 'runtime-stage'), []);
    await copyLibraries(runtime, join(context, wrapper));
    writeFileSync(join(runtime, 'secret'), SECRET);
    chmodSync(join(runtime, 'secret'), 0o600);
    await importImage(rt, runtime, 'spyglass-test/runtime-stage:1');
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        'FROM spyglass-test/build-stage:1 AS build',
        `COPY ${wrapper.slice(1)} ${wrapper}`,
        `RUN ${setcap[0]} && getcap ${wrapper}`,
        'FROM spyglass-test/runtime-stage:1',
        copy,
        user,
        '',
      ].join('\n'),
    );
    for (const [builder, buildkit] of [
      ['BuildKit', '1'],
      ['legacy builder', '0'],
    ] as const) {
      const tag = `spyglass-test/capability:${buildkit === '1' ? 'buildkit' : 'legacy'}`;
      // --network none: this dockerd has no bridge.
      await run(DOCKER_CLI, ['-H', dockerSocket, 'build', '-q', '--network', 'none', '-t', tag, context], {
        env: { ...process.env, DOCKER_BUILDKIT: buildkit },
      });
      built[builder] = `docker.io/${tag}`;
    }
  });

  /** What the command prints on stdout and stderr, whether it succeeds or not. */
  async function output(command: string[]): Promise<string> {
    const { stdout, stderr } = (await run(command[0] as string, command.slice(1)).catch((err: unknown) => err)) as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}`;
  }

  for (const builder of ['BuildKit', 'legacy builder']) {
    it(`${builder}: the file capability survives COPY --from; containerd (as the CRI plugin runs a pod) grants it under no_new_privs`, async () => {
      const image = built[builder] as string;
      const saved = join(rt.dir, `${builder.replace(/\W/g, '')}.tar`);
      await run(DOCKER_CLI, ['-H', dockerSocket, 'save', '-o', saved, image]);
      await rt.ctr('image', 'import', saved);
      // ctr sets no_new_privs unless told otherwise, and runs the image's USER.
      const ctrRun = (id: string, caps: string[]) => [
        'ctr',
        '-a',
        join(rt.dir, 'containerd.sock'),
        '-n',
        'k8s.io',
        'run',
        '--rm',
        '--cap-drop',
        'CAP_ALL',
        ...caps,
        image,
        `${id}-${process.pid}`,
        wrapper,
        '/bin/sh',
        '-c',
        'id -u; cat /secret; grep NoNewPrivs /proc/self/status',
      ];
      const granted = await output(ctrRun(`cap-${builder.length}`, ['--cap-add', 'CAP_DAC_READ_SEARCH']));
      assert.match(granted, /^65532\n/, `non-root, as the image's USER says: ${granted}`);
      assert.ok(granted.includes(SECRET), `read through the wrapper: ${granted}`);
      assert.match(granted, /NoNewPrivs:\s+1/);
      const without = await output(ctrRun(`nocap-${builder.length}`, []));
      assert.ok(!without.includes(SECRET) && /Permission denied/.test(without), `without the capability added it cannot: ${without}`);
    });
  }

  it('Docker gives a non-root process no permitted capabilities: there, only without no_new_privs (docs/security.md)', async () => {
    const image = built.BuildKit as string;
    const dockerRun = (...opts: string[]) => [
      DOCKER_CLI,
      '-H',
      dockerSocket,
      'run',
      '--rm',
      '--network',
      'none',
      '--user',
      '65534:65534',
      '--cap-drop',
      'ALL',
      '--cap-add',
      'DAC_READ_SEARCH',
      ...opts,
      image,
      wrapper,
      '/bin/cat',
      '/secret',
    ];
    assert.match(await output(dockerRun('--security-opt', 'no-new-privileges')), /Permission denied/);
    assert.equal(await output(dockerRun()), SECRET);
  });
});
