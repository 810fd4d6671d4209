/**
 * A real systemd (the machine's /lib/systemd/systemd) as PID 1 of new PID, mount, cgroup, UTS, IPC
 * and network namespaces, with a real dbus-daemon started by it as dbus.service: the system bus of
 * a small machine of its own. Its unit path is only the units given here (nothing of the host's is
 * started); its /run is a directory of ours bind-mounted, so the bus socket is reachable from
 * outside at RUN/dbus/system_bus_socket. systemd's private socket is too, but systemd hangs up on a
 * peer outside its PID namespace (SO_PEERCRED gives it pid 0), so that one is used from inside
 * (`inside()`, through nsenter). Needs root, unshare, nsenter, systemd and dbus-daemon.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DBusConnection } from '../../src/dbus/connection.js';

const SYSTEMD = '/lib/systemd/systemd';
const DBUS_DAEMON = '/usr/bin/dbus-daemon';

/** Why a sandbox cannot run here, or undefined when it can. */
export function systemdSandboxUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, mounts)';
  for (const f of [SYSTEMD, DBUS_DAEMON]) if (!existsSync(f)) return `${f} is not installed`;
  for (const cmd of ['unshare', 'nsenter']) if (spawnSync(cmd, ['--version']).status !== 0) return `${cmd} is not installed`;
  return undefined;
}

/** Units the sandbox always has: the bus, and a target that pulls in every unit given. */
const BASE_UNITS: Record<string, string> = {
  'dbus.socket': '[Unit]\nDefaultDependencies=no\n[Socket]\nListenStream=/run/dbus/system_bus_socket\n',
  'dbus.service': `[Unit]\nDefaultDependencies=no\nRequires=dbus.socket\n[Service]\nExecStart=${DBUS_DAEMON} --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only\n`,
};

/**
 * The fixture machine: a healthy service, a failed one, a crash-looping one (restarted every
 * 0.3 s, no start limit), one skipped by its condition, a socket with Accept=yes, a timer that
 * fires once 0.5 s in. Every unit has DefaultDependencies=no: the sandbox has none of the
 * distribution's targets (they are listed by ListUnits as not-found, as on a real machine whose
 * units name a target that does not exist).
 */
export const FIXTURE_UNITS: Record<string, string> = {
  'sg-ok.service': '[Service]\nExecStart=/bin/sleep infinity\n',
  'sg-failed.service': '[Service]\nType=oneshot\nExecStart=/bin/false\n',
  'sg-crashloop.service': "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sh -c 'sleep 0.3; exit 3'\nRestart=always\nRestartSec=300ms\n",
  'sg-skipped.service': '[Unit]\nConditionPathExists=/nonexistent/spyglass\n[Service]\nExecStart=/bin/true\n',
  'sg-echo.socket': '[Socket]\nListenStream=/run/sg-echo.sock\nAccept=yes\n',
  'sg-echo@.service': '[Service]\nExecStart=/bin/cat\nStandardInput=socket\n',
  'sg-tick.timer': '[Timer]\nOnActiveSec=500ms\nAccuracySec=1ms\n',
  'sg-tick.service': '[Service]\nType=oneshot\nExecStart=/bin/true\n',
};

export interface SystemdSandbox {
  /** The sandbox's /run, as seen from outside. */
  run: string;
  /** Its system bus, reachable from outside. */
  busAddress: string;
  /** Runs a command inside its PID and mount namespaces (there, /run is the sandbox's). */
  inside(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

function withDefaultDependenciesNo(text: string): string {
  return text.includes('[Unit]') ? text.replace('[Unit]\n', '[Unit]\nDefaultDependencies=no\n') : `[Unit]\nDefaultDependencies=no\n${text}`;
}

export async function startSystemdSandbox(units: Record<string, string> = FIXTURE_UNITS): Promise<SystemdSandbox> {
  const root = mkdtempSync(join(tmpdir(), 'spyglass-systemd-'));
  const run = join(root, 'run');
  const unitDir = join(root, 'units');
  mkdirSync(run);
  mkdirSync(unitDir);
  const wanted = Object.keys(units).filter((n) => !n.includes('@'));
  const all: Record<string, string> = {
    ...BASE_UNITS,
    ...Object.fromEntries(Object.entries(units).map(([n, t]) => [n, withDefaultDependenciesNo(t)])),
    'default.target': `[Unit]\nDefaultDependencies=no\nWants=dbus.socket dbus.service ${wanted.join(' ')}\n`,
  };
  for (const [name, text] of Object.entries(all)) writeFileSync(join(unitDir, name), text);
  // Inside the new namespaces: nothing propagates back to the host; /run is ours; a cgroup2
  // hierarchy of its own for systemd to manage; `container` tells systemd it is not the host.
  const script = [
    'set -e',
    'mount --make-rprivate /',
    `mount --bind "$SG_RUN" /run`,
    'mount -t tmpfs tmpfs /sys/fs/cgroup',
    'mount -t cgroup2 cgroup2 /sys/fs/cgroup',
    `exec ${SYSTEMD} --system --unit=default.target`,
  ].join('\n');
  const proc: ChildProcess = spawn(
    'unshare',
    ['--pid', '--fork', '--kill-child', '--mount', '--cgroup', '--uts', '--ipc', '--net', '--mount-proc', '/bin/sh', '-c', script],
    {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SG_RUN: run, SYSTEMD_UNIT_PATH: unitDir, container: 'spyglass-test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let logs = '';
  proc.stdout?.on('data', (d) => (logs += d));
  proc.stderr?.on('data', (d) => (logs += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); // --kill-child takes systemd and all it runs with it
    await exited;
    rmSync(root, { recursive: true, force: true });
  };
  const busAddress = `unix:path=${join(run, 'dbus/system_bus_socket')}`;
  // Ready once systemd answers on the bus and default.target has been reached.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await stop();
      throw new Error(`systemd sandbox exited: ${logs}`);
    }
    if (existsSync(join(run, 'dbus/system_bus_socket'))) {
      const conn = await DBusConnection.open(busAddress, { signal: AbortSignal.timeout(2000), bus: true }).catch(() => undefined);
      if (conn) {
        const state = await conn
          .getProperty('org.freedesktop.systemd1', '/org/freedesktop/systemd1/unit/default_2etarget', 'org.freedesktop.systemd1.Unit', 'ActiveState')
          .catch(() => undefined);
        conn.close();
        if (state?.value === 'active') break;
      }
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`systemd sandbox not ready in 30 s: ${logs}`);
    }
    await sleep(100);
  }
  const pid = Number(
    spawnSync('pgrep', ['-P', String(proc.pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')[0],
  );
  return {
    run,
    busAddress,
    stop,
    inside(argv) {
      const child = spawn('nsenter', [`--target=${pid}`, '--pid', '--mount', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
    },
  };
}
