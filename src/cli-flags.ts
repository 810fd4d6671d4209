import type { ConfigOverrides } from './config/load.js';
import { IGNORED_NODE_EXPORTER_FLAGS, NODE_EXPORTER_OPTION_PREFIXES, RENAMED_NODE_EXPORTER_OPTIONS } from './node-exporter-flags.js';

/**
 * node_exporter-style collector flags, which commander cannot declare ahead of time because
 * collectors loaded from modules are only known after the config is read:
 *   --collector.NAME  --no-collector.NAME  --collector.NAME.OPTION=VALUE (repeat for lists)
 *   --collector.NAME.OPTION / --no-collector.NAME.OPTION for a boolean option, as in node_exporter
 *   (OPTION in dashes, underscores or camelCase: the config's snake_case key)
 *   --collector.NAME.A.B=VALUE for option B of the mapping A (--collector.probe.endpoint.allow=CIDR)
 *   blackbox_exporter's --timeout-offset (the /probe endpoint's timeout_offset)
 * node_exporter flags with no meaning here are taken out with a note saying why (see node-exporter-flags.ts).
 */
export interface CollectorFlags {
  collectors: Record<string, Record<string, unknown>>;
  /** argv without the collector flags, for commander. */
  rest: string[];
  /** Flags that were ignored, and why, for the caller to log. */
  notes: string[];
}

/**
 * What a collector's option (`a.b` for option b of mapping a) holds, where it matters on a command
 * line: a boolean's flag takes no value; a list's flag given once is a list of one.
 */
export type OptionKind = (collector: string, option: string) => 'boolean' | 'list' | undefined;

const TOGGLE = /^--(no-)?collector\.([a-z][a-z0-9_]*)$/;
const OPTION = /^--(no-)?collector\.([a-z][a-z0-9_]*)\.([a-z][a-zA-Z0-9_.-]*)(?:=(.*))?$/s;
const RESERVED = new Set(['disable-defaults']);

export function extractCollectorFlags(argv: readonly string[], kindOf: OptionKind = () => undefined): CollectorFlags | { error: string } {
  const collectors: Record<string, Record<string, unknown>> = {};
  const rest: string[] = [];
  const notes: string[] = [];
  const entry = (name: string) => (collectors[name] ??= {});
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const flag = /^--(?:no-)?([^=]+)(=.*)?$/s.exec(arg);
    const ignored = flag ? IGNORED_NODE_EXPORTER_FLAGS[flag[1] as string] : undefined;
    if (ignored) {
      notes.push(`--${flag?.[1] as string} ignored: ${ignored.reason}`);
      if (!ignored.boolean && flag?.[2] === undefined && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) i++;
      continue;
    }
    const offset = /^--timeout-offset(?:=(.*))?$/s.exec(arg);
    if (offset) {
      const value = offset[1] ?? argv[++i];
      if (value === undefined) return { error: 'flag --timeout-offset needs a value' };
      const probe = entry('probe');
      probe.endpoint = {
        ...(probe.endpoint as object | undefined),
        timeout_offset: /^\d+(\.\d+)?$/.test(value) ? `${Math.round(Number(value) * 1000)}ms` : value,
      };
      continue;
    }
    const toggle = TOGGLE.exec(arg);
    if (toggle && !RESERVED.has(toggle[2] as string)) {
      entry(toggle[2] as string).enabled = !toggle[1];
      continue;
    }
    const option = OPTION.exec(arg);
    if (option) {
      const [, negated, prefix, name, given] = option as unknown as [string, string | undefined, string, string, string | undefined];
      const collector = NODE_EXPORTER_OPTION_PREFIXES[prefix] ?? prefix;
      // Dashes and camelCase (node_exporter's --collector.bcache.priorityStats) become snake_case.
      const snake = name
        .replace(/-/g, '_')
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .toLowerCase();
      const key = RENAMED_NODE_EXPORTER_OPTIONS[collector]?.[snake] ?? snake;
      let value: unknown;
      if (negated) {
        if (given !== undefined) return { error: `flag ${arg}: a --no- flag takes no value` };
        value = false;
      } else if (given !== undefined) value = parseFlagValue(given);
      else {
        const next = argv[i + 1];
        if (kindOf(collector, key) === 'boolean' || next === undefined || next.startsWith('--')) value = true;
        else {
          value = parseFlagValue(next);
          i++;
        }
      }
      // endpoint.allow: an option of a nested mapping.
      const path = key.split('.');
      let target = entry(collector);
      for (const part of path.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
      const last = path.at(-1) as string;
      const previous = target[last];
      // A repeated switch: the last one wins, as in node_exporter; other repeated options make a list.
      if (typeof value === 'boolean') target[last] = value;
      else if (previous !== undefined || kindOf(collector, key) === 'list') target[last] = ([] as unknown[]).concat(previous ?? [], value);
      else target[last] = value;
      continue;
    }
    rest.push(arg);
  }
  return { collectors, rest, notes };
}

function parseFlagValue(v: string): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

export interface GlobalFlags {
  'config.file'?: string;
  'web.listenAddress'?: string;
  'web.maxRequests'?: string;
  'web.enableDiagnostics'?: boolean;
  'web.telemetryPath'?: string;
  /** node_exporter's switch for its process_* and go_* metrics: here process_* and nodejs_*. */
  'web.disableExporterMetrics'?: boolean;
  'path.procfs'?: string;
  'path.sysfs'?: string;
  'path.rootfs'?: string;
  'path.udev.data'?: string;
  'log.level'?: string;
  'log.format'?: string;
  'collector.disableDefaults'?: boolean;
  /** `--probe URL` (repeatable): probe targets with the defaults, added to the configured ones. */
  probe?: string[];
  /** `--probe.shard-index` / SPYGLASS_PROBE_SHARD_INDEX: a number or a StatefulSet pod name (`prober-2`). */
  'probe.shardIndex'?: string;
  'probe.shardCount'?: string;
}

/** Flags and environment variables as a partial config that wins over the file. */
export function overridesFrom(flags: GlobalFlags, collectors: Record<string, Record<string, unknown>>): ConfigOverrides {
  const maxRequests = flags['web.maxRequests'];
  // --probe turns the collector on unless --no-collector.probe says otherwise.
  const probe = { ...(flags.probe?.length ? { enabled: true } : {}), ...collectors.probe, ...shardOverride(flags, collectors.probe?.shard) };
  return {
    web: {
      listen_address: flags['web.listenAddress'],
      max_requests: maxRequests === undefined ? undefined : Number(maxRequests),
      diagnostics: flags['web.enableDiagnostics'] ? true : undefined,
      telemetry_path: flags['web.telemetryPath'],
    },
    self_metrics: { runtime: flags['web.disableExporterMetrics'] ? false : undefined },
    paths: { procfs: flags['path.procfs'], sysfs: flags['path.sysfs'], rootfs: flags['path.rootfs'], udev_data: flags['path.udev.data'] },
    log: { level: flags['log.level'], format: flags['log.format'] },
    collectors: Object.keys(probe).length ? { ...collectors, probe } : collectors,
    ...(flags.probe?.length ? { append: { probe: { targets: flags.probe } } } : {}),
  } as ConfigOverrides;
}

/** The shard flags over any `--collector.probe.shard.*` ones; each given half wins over the file's (deepMerge). */
function shardOverride(flags: GlobalFlags, fromCollectorFlags: unknown): { shard?: Record<string, unknown> } {
  const index = flags['probe.shardIndex'];
  const count = flags['probe.shardCount'];
  if (index === undefined && count === undefined) return {};
  const number = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v) : v);
  return {
    shard: {
      ...(fromCollectorFlags as Record<string, unknown> | undefined),
      ...(index === undefined ? {} : { index: number(index) }),
      ...(count === undefined ? {} : { count: number(count) }),
    },
  };
}
