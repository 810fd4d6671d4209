import { counter, defineCollector, gauge, type MetricFamily, type OptionProblem, type Sample } from '../../src/collector.js';
import { DBusConnection, DEFAULT_SYSTEM_BUS } from '../../src/dbus/connection.js';
import type { DBusValue, Variant } from '../../src/dbus/wire.js';

/** From this version on the manager has `SystemState` and timers `LastTriggerUSec` (node_exporter's threshold). */
const MIN_VERSION_SYSTEM_STATE = 212;
const UNIT_STATES = ['activating', 'active', 'deactivating', 'failed', 'inactive'] as const;
const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UINT64_MAX = 2n ** 64n - 1n;
export const SYSTEMD_DEFAULT_INCLUDE = '.+';
export const SYSTEMD_DEFAULT_EXCLUDE = '.+\\.(automount|device|mount|scope|slice)';
export const SYSTEMD_PRIVATE_SOCKET = 'unix:path=/run/systemd/private';

export interface SystemdOptions {
  unit_include?: string;
  unit_exclude?: string;
  unit_whitelist?: string;
  unit_blacklist?: string;
  private?: boolean;
  enable_task_metrics?: boolean;
  enable_restarts_metrics?: boolean;
  enable_start_time_metrics?: boolean;
  address?: string;
}

/** One row of Manager.ListUnits, a(ssssssouso): the fields this collector uses. */
export interface ListedUnit {
  name: string;
  loadState: string;
  activeState: string;
  path: string;
}

/** The rows of a ListUnits reply; throws when the reply is not the documented a(ssssssouso). */
export function listedUnits(body: DBusValue[]): ListedUnit[] {
  const [rows] = body;
  if (body.length !== 1 || !Array.isArray(rows)) throw new Error('ListUnits: reply is not one array');
  return rows.map((row) => {
    if (
      !Array.isArray(row) ||
      row.length !== 10 ||
      typeof row[0] !== 'string' ||
      typeof row[2] !== 'string' ||
      typeof row[3] !== 'string' ||
      typeof row[6] !== 'string'
    )
      throw new Error('ListUnits: reply is not a(ssssssouso)');
    return { name: row[0], loadState: row[2], activeState: row[3], path: row[6] };
  });
}

/** `^(?:include)$` and not `^(?:exclude)$`, loaded units only: node_exporter's filter. */
export function unitFilter(opts: SystemdOptions): (u: ListedUnit) => boolean {
  const include = new RegExp(`^(?:${opts.unit_include ?? opts.unit_whitelist ?? SYSTEMD_DEFAULT_INCLUDE})$`);
  const exclude = new RegExp(`^(?:${opts.unit_exclude ?? opts.unit_blacklist ?? SYSTEMD_DEFAULT_EXCLUDE})$`);
  return (u) => include.test(u.name) && !exclude.test(u.name) && u.loadState === 'loaded';
}

/** The number node_exporter reads from a version string (`252.38-1~deb12u1` → 252.38), 0 when there is none. */
export function systemdVersionNumber(version: string): number {
  const m = /[0-9]{3,}(\.[0-9]+)?/.exec(version);
  return m ? Number(m[0]) : 0;
}

function optionProblems(opts: SystemdOptions): OptionProblem[] {
  const problems: OptionProblem[] = [];
  if (opts.unit_include !== undefined && opts.unit_whitelist !== undefined)
    problems.push({ path: ['unit_whitelist'], message: 'unit_whitelist and unit_include are mutually exclusive' });
  if (opts.unit_exclude !== undefined && opts.unit_blacklist !== undefined)
    problems.push({ path: ['unit_blacklist'], message: 'unit_blacklist and unit_exclude are mutually exclusive' });
  return problems;
}

function expect<T extends DBusValue>(v: Variant, signature: string, what: string): T {
  if (v.signature !== signature) throw new Error(`${what} has type ${v.signature}, not ${signature}`);
  return v.value as T;
}

export default defineCollector<SystemdOptions>({
  name: 'systemd',
  description: "systemd's units, their states, restarts, sockets and timers, asked over D-Bus (org.freedesktop.systemd1)",
  enabledByDefault: false,
  group: 'host',
  options: {
    type: 'object',
    properties: {
      unit_include: { type: 'string', format: 'regex', description: `Regexp (anchored) of units to include; default ${SYSTEMD_DEFAULT_INCLUDE}` },
      unit_exclude: { type: 'string', format: 'regex', description: `Regexp (anchored) of units to exclude; default ${SYSTEMD_DEFAULT_EXCLUDE}` },
      unit_whitelist: { type: 'string', format: 'regex', description: 'Deprecated name of unit_include' },
      unit_blacklist: { type: 'string', format: 'regex', description: 'Deprecated name of unit_exclude' },
      private: { type: 'boolean', default: false, description: "Talk to systemd's private socket (/run/systemd/private, root only) instead of the system bus" },
      enable_task_metrics: { type: 'boolean', default: false, description: 'Service units: node_systemd_unit_tasks_current and _max' },
      enable_restarts_metrics: { type: 'boolean', default: false, description: 'Service units: node_systemd_service_restart_total' },
      enable_start_time_metrics: { type: 'boolean', default: false, description: 'node_systemd_unit_start_time_seconds' },
      address: {
        type: 'string',
        description: `D-Bus address to use instead (spyglass only); default $DBUS_SYSTEM_BUS_ADDRESS or ${DEFAULT_SYSTEM_BUS}, ${SYSTEMD_PRIVATE_SOCKET} with private`,
      },
    },
  },
  validate: (opts) => optionProblems(opts),
  async collect(ctx) {
    const opts = ctx.config;
    const [problem] = optionProblems(opts); // a config file is checked at load; `dump` and flags only here
    if (problem) throw new Error(problem.message);
    const address = opts.address ?? (opts.private ? SYSTEMD_PRIVATE_SOCKET : process.env.DBUS_SYSTEM_BUS_ADDRESS || DEFAULT_SYSTEM_BUS);
    const conn = await DBusConnection.open(address, { signal: ctx.signal, bus: !opts.private }).catch((err: Error) => {
      throw new Error(`couldn't get dbus connection: ${err.message}`);
    });
    // On a bus, calls go to systemd's well-known name; on the private socket systemd is the peer.
    const destination = opts.private ? undefined : SYSTEMD;
    try {
      const manager = (property: string) => conn.getProperty(destination, MANAGER_PATH, MANAGER, property);
      const unitProperty = async (unit: ListedUnit, iface: string, property: string, signature: string): Promise<DBusValue | undefined> => {
        try {
          return expect(await conn.getProperty(destination, unit.path, `${SYSTEMD}.${iface}`, property), signature, `${iface}.${property}`);
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          ctx.skip('property', `${unit.name}: ${(err as Error).message}`);
          return undefined;
        }
      };

      let versionText = '';
      let version = 0;
      try {
        versionText = expect<string>(await manager('Version'), 's', 'Version');
        version = systemdVersionNumber(versionText);
        if (version === 0) versionText = '';
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        ctx.logger.debug({ err: (err as Error).message }, 'systemd: no version, taking 0');
      }
      let virtualization = 'unknown';
      try {
        virtualization = expect<string>(await manager('Virtualization'), 's', 'Virtualization') || 'none';
      } catch (err) {
        if (ctx.signal.aborted) throw err;
      }

      let all: ListedUnit[];
      try {
        all = listedUnits(await conn.call({ destination, path: MANAGER_PATH, interface: MANAGER, member: 'ListUnits' }));
      } catch (err) {
        throw new Error(`couldn't get units: ${(err as Error).message}`);
      }
      const summary = new Map<string, number>(UNIT_STATES.map((s) => [s, 0]));
      for (const u of all) summary.set(u.activeState, (summary.get(u.activeState) ?? 0) + 1);
      const accept = unitFilter(opts);
      const units = all.filter(accept).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const withSuffix = (suffix: string) => units.filter((u) => u.name.endsWith(suffix));

      const state: Sample[] = [];
      const restarts: Sample[] = [];
      const startTime: Sample[] = [];
      const tasksCurrent: Sample[] = [];
      const tasksMax: Sample[] = [];
      const timers: Sample[] = [];
      const accepted: Sample[] = [];
      const current: Sample[] = [];
      const refused: Sample[] = [];

      // Every call below is sent at once and answered in turn over the one connection.
      const work: Array<Promise<void>> = [];
      for (const u of units) {
        work.push(
          (async () => {
            const typeOf = u.name.endsWith('.service') ? 'Service' : u.name.endsWith('.mount') ? 'Mount' : undefined;
            const type = typeOf ? ((await unitProperty(u, typeOf, 'Type', 's')) as string | undefined) : undefined;
            for (const s of UNIT_STATES) state.push({ labels: { name: u.name, state: s, type: type ?? '' }, value: s === u.activeState ? 1 : 0 });
          })(),
        );
        if (opts.enable_restarts_metrics && u.name.endsWith('.service'))
          work.push(
            unitProperty(u, 'Service', 'NRestarts', 'u').then((n) => {
              if (n !== undefined) restarts.push({ labels: { name: u.name }, value: n as number });
            }),
          );
        if (opts.enable_start_time_metrics)
          work.push(
            (async () => {
              if (u.activeState !== 'active') return void startTime.push({ labels: { name: u.name }, value: 0 });
              const usec = (await unitProperty(u, 'Unit', 'ActiveEnterTimestamp', 't')) as bigint | undefined;
              if (usec !== undefined) startTime.push({ labels: { name: u.name }, value: Number(usec) / 1e6 });
            })(),
          );
        if (opts.enable_task_metrics && u.name.endsWith('.service'))
          for (const [property, into] of [
            ['TasksCurrent', tasksCurrent],
            ['TasksMax', tasksMax],
          ] as const)
            work.push(
              unitProperty(u, 'Service', property, 't').then((n) => {
                if (n !== undefined && n !== UINT64_MAX) into.push({ labels: { name: u.name }, value: Number(n) });
              }),
            );
      }
      if (version >= MIN_VERSION_SYSTEM_STATE)
        for (const u of withSuffix('.timer'))
          work.push(
            unitProperty(u, 'Timer', 'LastTriggerUSec', 't').then((usec) => {
              if (usec !== undefined) timers.push({ labels: { name: u.name }, value: Number(usec) / 1e6 });
            }),
          );
      for (const u of withSuffix('.socket'))
        work.push(
          (async () => {
            // As node_exporter: NAccepted, then NConnections, then NRefused (systemd 239+), stopping at the first missing one.
            const n = (await unitProperty(u, 'Socket', 'NAccepted', 'u')) as number | undefined;
            if (n === undefined) return;
            accepted.push({ labels: { name: u.name }, value: n });
            const c = (await unitProperty(u, 'Socket', 'NConnections', 'u')) as number | undefined;
            if (c === undefined) return;
            current.push({ labels: { name: u.name }, value: c });
            const r = (await unitProperty(u, 'Socket', 'NRefused', 'u')) as number | undefined;
            if (r !== undefined) refused.push({ labels: { name: u.name }, value: r });
          })(),
        );
      let running: number | undefined;
      if (version >= MIN_VERSION_SYSTEM_STATE)
        work.push(
          manager('SystemState').then(
            (v) => void (running = expect<string>(v, 's', 'SystemState') === 'running' ? 1 : 0),
            (err: Error) => {
              throw new Error(`couldn't get system state: ${err.message}`);
            },
          ),
        );
      const outcomes = await Promise.allSettled(work);
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;

      const byName = (a: Sample, b: Sample) => {
        const [x, y] = [a.labels?.name ?? '', b.labels?.name ?? ''];
        return x < y ? -1 : x > y ? 1 : 0;
      };
      const families: MetricFamily[] = [
        gauge('node_systemd_version', 'Detected systemd version', [{ labels: { version: versionText }, value: version }]),
        gauge('node_systemd_virtualization_info', 'Detected virtualization technology', [{ labels: { virtualization_type: virtualization }, value: 1 }]),
        gauge(
          'node_systemd_units',
          'Summary of systemd unit states',
          [...summary].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, n]) => ({ labels: { state: s }, value: n })),
        ),
        gauge('node_systemd_unit_state', 'Systemd unit', state.sort(byName)),
      ];
      if (opts.enable_start_time_metrics)
        families.push(gauge('node_systemd_unit_start_time_seconds', 'Start time of the unit since unix epoch in seconds.', startTime.sort(byName)));
      if (opts.enable_task_metrics) {
        families.push(gauge('node_systemd_unit_tasks_current', 'Current number of tasks per Systemd unit', tasksCurrent.sort(byName)));
        families.push(gauge('node_systemd_unit_tasks_max', 'Maximum number of tasks per Systemd unit', tasksMax.sort(byName)));
      }
      if (opts.enable_restarts_metrics)
        families.push(counter('node_systemd_service_restart_total', 'Service unit count of Restart triggers', restarts.sort(byName)));
      families.push(
        gauge('node_systemd_timer_last_trigger_seconds', 'Seconds since epoch of last trigger.', timers.sort(byName)),
        counter('node_systemd_socket_accepted_connections_total', 'Total number of accepted socket connections', accepted.sort(byName)),
        gauge('node_systemd_socket_current_connections', 'Current number of socket connections', current.sort(byName)),
        // A gauge despite its _total name: node_exporter's type.
        gauge('node_systemd_socket_refused_connections_total', 'Total number of refused socket connections', refused.sort(byName)),
      );
      if (running !== undefined)
        families.push(gauge('node_systemd_system_running', "Whether the system is operational (see 'systemctl is-system-running')", [{ value: running }]));
      return families;
    } finally {
      conn.close();
    }
  },
});
