/**
 * Real container runtimes for the tests: a containerd and a dockerd (on that containerd), each with
 * its own root, state and sockets under a temporary directory, so they stay apart from any runtime
 * the machine runs. No registry is reachable: the image is a root filesystem holding Debian's
 * busybox-static, `docker import`ed and handed to containerd with `docker save | ctr image import`.
 *
 * The node's view for spyglass is `hostRoot`, standing in for --path.rootfs: its `run/containerd`
 * and `var/lib/docker` are links to the daemons' real state, so spyglass meets the modes the
 * runtimes give their files (bundle directories 0700, config.v2.json 0600).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { killed, type Cleanups } from './real-cgroups.js';
import { waitFor } from './spyglass.js';

const run = promisify(execFile);
export const BUSYBOX = '/bin/busybox';
export const IMAGE = 'docker.io/spyglass-test/busybox:1.35';

export interface Runtimes {
  dir: string;
  /** Stands in for the node's `/` (`--path.rootfs`). */
  hostRoot: string;
  docker(...args: string[]): Promise<string>;
  ctr(...args: string[]): Promise<string>;
  /** GET on the Docker Engine API, parsed. */
  engine(path: string): Promise<any>;
  logs(): string;
}

/** Starts containerd and dockerd, imports the busybox image into both; everything is undone by `cleanups`. */
export async function startRuntimes(cleanups: Cleanups): Promise<Runtimes> {
  const dir = mkdtempSync('/tmp/spyglass-rt-');
  // As /run and /var/lib on a node: the runtimes' own directories below decide who gets in.
  chmodSync(dir, 0o755);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  let output = '';
  const daemon = (cmd: string, args: string[]): ChildProcess => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout?.on('data', (d) => (output += d));
    p.stderr?.on('data', (d) => (output += d));
    return p;
  };

  const ctdSocket = join(dir, 'containerd.sock');
  const config = [
    'version = 2',
    `root = "${dir}/containerd-root"`,
    `state = "${dir}/containerd-state"`,
    // Containers come from ctr, as the CRI plugin would make them: the plugin itself (CNI, a
    // streaming server on TCP) is not needed.
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    `[grpc]\n  address = "${ctdSocket}"`,
    `[ttrpc]\n  address = "${ctdSocket}.ttrpc"`,
  ].join('\n');
  const configPath = join(dir, 'containerd.toml');
  writeFileSync(configPath, config);
  const containerd = daemon('containerd', ['--config', configPath, '--log-level', 'warn']);
  const ctr = async (...args: string[]) => (await run('ctr', ['-a', ctdSocket, '-n', 'k8s.io', ...args], { maxBuffer: 16 << 20 })).stdout;
  cleanups.push(() => killed(containerd));
  await waitFor(
    () =>
      ctr('version').then(
        () => true,
        () => false,
      ),
    30_000,
    `containerd: ${output}`,
  );
  cleanups.push(async () => {
    // Tasks outlive containerd (their shims keep running): kill and delete them first.
    for (const id of (await ctr('task', 'ls', '-q').catch(() => '')).split('\n').filter(Boolean)) {
      await ctr('task', 'kill', '-s', 'SIGKILL', id).catch(() => undefined);
      await waitFor(
        () =>
          ctr('task', 'delete', id).then(
            () => true,
            () => false,
          ),
        10_000,
        `task ${id} deleted`,
      ).catch(() => undefined);
    }
    for (const id of (await ctr('container', 'ls', '-q').catch(() => '')).split('\n').filter(Boolean)) await ctr('container', 'rm', id).catch(() => undefined);
  });

  const dockerSocket = join(dir, 'docker.sock');
  const dockerd = daemon('dockerd', [
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    `--data-root=${dir}/docker-root`,
    `--exec-root=${dir}/docker-exec`,
    `--pidfile=${dir}/docker.pid`,
    `--host=unix://${dockerSocket}`,
    `--containerd=${ctdSocket}`,
    '--log-level=warn',
  ]);
  const docker = async (...args: string[]) => (await run('docker', ['-H', `unix://${dockerSocket}`, ...args], { maxBuffer: 16 << 20 })).stdout;
  cleanups.push(async () => {
    const ids = (await docker('ps', '-aq').catch(() => '')).split('\n').filter(Boolean);
    if (ids.length) await docker('rm', '-f', ...ids).catch(() => undefined);
    if (dockerd.exitCode === null) {
      dockerd.kill('SIGTERM');
      await once(dockerd, 'exit');
    }
  });
  await waitFor(
    () =>
      docker('version').then(
        () => true,
        () => false,
      ),
    30_000,
    `dockerd: ${output}`,
  );
  const engine = (path: string) =>
    new Promise<any>((resolve, reject) => {
      const req = request({ socketPath: dockerSocket, path, headers: { host: 'docker' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${path}: HTTP ${res.statusCode} ${body}`))));
      });
      req.on('error', reject);
      req.end();
    });

  // The image: /bin/busybox and a link per applet.
  const rootfs = join(dir, 'image-rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  await run('cp', [BUSYBOX, join(rootfs, 'bin/busybox')]);
  const applets = (await run(BUSYBOX, ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(rootfs, 'bin', a));
  const tar = join(dir, 'image.tar');
  await run('tar', ['-C', rootfs, '-cf', tar, '.']);
  await docker('import', '--change', 'ENV PATH=/bin', tar, IMAGE);
  const saved = join(dir, 'image-saved.tar');
  await docker('save', '-o', saved, IMAGE);
  await ctr('image', 'import', saved);

  const hostRoot = join(dir, 'host-root');
  mkdirSync(join(hostRoot, 'run'), { recursive: true });
  mkdirSync(join(hostRoot, 'var/lib'), { recursive: true });
  symlinkSync(join(dir, 'containerd-state'), join(hostRoot, 'run/containerd'));
  symlinkSync(join(dir, 'docker-root'), join(hostRoot, 'var/lib/docker'));
  return { dir, hostRoot, docker, ctr, engine, logs: () => output };
}

/** Removes a cgroup subtree (children first) in every v1 hierarchy: runc leaves the parents it made. */
export function removeCgroupTree(top: string): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const root = join('/sys/fs/cgroup', h, top);
    if (!existsSync(root) || !statSync(root).isDirectory()) continue;
    const remove = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) remove(join(d, e.name));
      rmdirSync(d);
    };
    remove(root);
  }
}
