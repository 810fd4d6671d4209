import type { ConfigOverrides } from './config/load.js';

/**
 * node_exporter-style collector flags, which commander cannot declare ahead of time because
 * collectors loaded from modules are only known after the config is read:
 *   --collector.NAME  --no-collector.NAME  --collector.NAME.OPTION=VALUE (repeat for lists)
 */
export interface CollectorFlags {
  collectors: Record<string, Record<string, unknown>>;
  /** argv without the collector flags, for commander. */
  rest: string[];
}

const TOGGLE = /^--(no-)?collector\.([a-z][a-z0-9_]*)$/;
const OPTION = /^--collector\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_-]*)(?:=(.*))?$/s;
const RESERVED = new Set(['disable-defaults']);

export function extractCollectorFlags(argv: readonly string[]): CollectorFlags | { error: string } {
  const collectors: Record<string, Record<string, unknown>> = {};
  const rest: string[] = [];
  const entry = (name: string) => (collectors[name] ??= {});
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const toggle = TOGGLE.exec(arg);
    if (toggle && !RESERVED.has(toggle[2] as string)) {
      entry(toggle[2] as string).enabled = !toggle[1];
      continue;
    }
    const option = OPTION.exec(arg);
    if (option) {
      let value = option[3];
      if (value === undefined) {
        value = argv[i + 1];
        if (value === undefined || value.startsWith('--')) return { error: `flag ${arg} needs a value` };
        i++;
      }
      const key = (option[2] as string).replace(/-/g, '_');
      const target = entry(option[1] as string);
      const parsed = parseFlagValue(value);
      const previous = target[key];
      target[key] = previous === undefined ? parsed : ([] as unknown[]).concat(previous, parsed);
      continue;
    }
    rest.push(arg);
  }
  return { collectors, rest };
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
  'path.procfs'?: string;
  'path.sysfs'?: string;
  'path.rootfs'?: string;
  'path.udev.data'?: string;
  'log.level'?: string;
  'log.format'?: string;
  'collector.disableDefaults'?: boolean;
  /** `--probe URL` (repeatable): probe targets with the defaults, added to the configured ones. */
  probe?: string[];
}

/** Flags and environment variables as a partial config that wins over the file. */
export function overridesFrom(flags: GlobalFlags, collectors: Record<string, Record<string, unknown>>): ConfigOverrides {
  const maxRequests = flags['web.maxRequests'];
  return {
    web: {
      listen_address: flags['web.listenAddress'],
      max_requests: maxRequests === undefined ? undefined : Number(maxRequests),
      diagnostics: flags['web.enableDiagnostics'] ? true : undefined,
    },
    paths: { procfs: flags['path.procfs'], sysfs: flags['path.sysfs'], rootfs: flags['path.rootfs'], udev_data: flags['path.udev.data'] },
    log: { level: flags['log.level'], format: flags['log.format'] },
    collectors: flags.probe?.length ? { ...collectors, probe: { enabled: true, ...collectors.probe } } : collectors,
    ...(flags.probe?.length ? { append: { probe: { targets: flags.probe } } } : {}),
  } as ConfigOverrides;
}
