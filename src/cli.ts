#!/usr/bin/env node
import './threadpool.js'; // first: sizes libuv's threadpool before anything uses it
import './runtime-flags.js'; // and V8's tier-up budget before our code is compiled
import { Command, Option } from 'commander';
import { builtinCollectors } from '../collectors/index.js';
import { extractCollectorFlags, overridesFrom, type GlobalFlags } from './cli-flags.js';
import { formatConfigError, loadConfig, type ConfigOverrides } from './config/load.js';
import { DEFAULT_LISTEN_ADDRESS, DEFAULT_PORT } from './config/schema.js';
import { exitProcess } from './exit.js';
import { debugCommand } from './debug-command.js';
import { dump, DUMP_FORMATS, type DumpFormat } from './dump.js';
import { serve } from './serve.js';
import { loadWebConfig } from './http/web-config-load.js';
import { createLogger } from './log.js';
import { probeCommand, type ProbeCommandOptions } from '../collectors/probe/probe-command.js';
import type { RawProbeOptions } from '../collectors/probe/probe-options.js';
import { VERSION } from './version.js';
import { closestName } from './config/suggest.js';
import { describeCollector } from './collector-help.js';
import { exportMixin, readMixinConfig, type MixinKind } from './mixin/export.js';

const EXAMPLES = `
Examples:
  $ spyglass serve                                   # embedded defaults, listens on ${DEFAULT_LISTEN_ADDRESS}
  $ spyglass serve --config.file=/etc/spyglass.yml --web.listen-address=127.0.0.1:${DEFAULT_PORT}
  $ spyglass serve --path.rootfs=/host --path.procfs=/host/proc --path.sysfs=/host/sys
  $ spyglass serve --no-collector.meminfo --collector.cpu.interval=5s
  $ spyglass serve --probe http://127.0.0.1:8080/healthz      # sidecar: probe the app next to it
  $ spyglass dump --format table cpu loadavg
  $ spyglass probe https://example.org/ --count 10 --interval 500ms
  $ spyglass check-config /etc/spyglass.yml
  $ spyglass serve --web.config.file=/etc/spyglass/web-config.yml   # TLS, basic auth (exporter-toolkit format)
  $ spyglass dashboards export /var/lib/grafana/dashboards/spyglass
  $ spyglass rules export /etc/prometheus/rules --config mixin.yml   # own selectors and thresholds
  $ curl -s localhost:${DEFAULT_PORT}/metrics?collect[]=cpu

Collector flags (any collector, built-in or loaded from collector_modules):
  --collector.NAME / --no-collector.NAME     enable / disable a collector
  --collector.NAME.OPTION=VALUE              set a collector option (interval, timeout, or its own)
`;

function addConfigOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--config.file <path>', 'YAML configuration file (optional)').env('SPYGLASS_CONFIG_FILE'))
    .addOption(new Option('--path.procfs <path>', 'procfs mountpoint').env('SPYGLASS_PATH_PROCFS'))
    .addOption(new Option('--path.sysfs <path>', 'sysfs mountpoint').env('SPYGLASS_PATH_SYSFS'))
    .addOption(new Option('--path.rootfs <path>', 'rootfs mountpoint').env('SPYGLASS_PATH_ROOTFS'))
    .addOption(new Option('--path.udev.data <path>', 'udev data path').env('SPYGLASS_PATH_UDEV_DATA'))
    .addOption(new Option('--log.level <level>', 'debug, info, warn or error').env('SPYGLASS_LOG_LEVEL'))
    .addOption(new Option('--log.format <format>', 'json or logfmt').env('SPYGLASS_LOG_FORMAT'))
    .addOption(
      new Option(
        '--probe.shard-index <n>',
        "probe only this shard's targets: 0 to count-1, or a StatefulSet pod name like prober-2 (docs/probe-sharding.md)",
      ).env('SPYGLASS_PROBE_SHARD_INDEX'),
    )
    .addOption(new Option('--probe.shard-count <n>', 'replicas sharing the probe targets (with --probe.shard-index)').env('SPYGLASS_PROBE_SHARD_COUNT'))
    .option('--collector.disable-defaults', 'disable every collector not enabled explicitly');
}

async function loadOrExit(flags: GlobalFlags, collectors: Record<string, Record<string, unknown>>) {
  const result = await loadConfig({
    file: flags['config.file'],
    overrides: overridesFrom(flags, collectors),
    builtins: builtinCollectors,
    disableDefaults: flags['collector.disableDefaults'] ?? false,
  });
  if (!result.ok) {
    for (const e of result.errors) process.stderr.write(`spyglass: config error: ${formatConfigError(e)}\n`);
    process.exit(1);
  }
  for (const note of [...notesFromFlags, ...result.config.notes]) process.stderr.write(`spyglass: ${note}\n`);
  return result.config;
}

/** Flags taken out before commander parses the rest (see cli-flags.ts), set by main. */
let notesFromFlags: readonly string[] = [];

const COMMON_BOOLEAN_OPTIONS = new Set(['enabled', 'phase_lock', 'sample_timestamps']);

/** Built-in collectors' boolean options take no value on the command line, as node_exporter's do; list options given once are lists. */
function builtinOptionKind(collector: string, option: string): 'boolean' | 'list' | undefined {
  if (COMMON_BOOLEAN_OPTIONS.has(option)) return 'boolean';
  let schema: unknown = { properties: builtinCollectors.find((d) => d.name === collector)?.options?.properties };
  for (const part of option.split('.')) schema = (schema as { properties?: Record<string, unknown> } | undefined)?.properties?.[part];
  const type = (schema as { type?: unknown } | undefined)?.type;
  return type === 'boolean' ? 'boolean' : type === 'array' ? 'list' : undefined;
}

export async function main(argv: string[]): Promise<void> {
  // `spyglass collectors | head`: a reader that goes away is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const extracted = extractCollectorFlags(argv.slice(2), builtinOptionKind);
  if ('error' in extracted) {
    process.stderr.write(`spyglass: ${extracted.error}\n`);
    process.exit(2);
  }
  const { collectors, notes } = extracted;
  notesFromFlags = notes;
  const program = new Command('spyglass')
    .description('Prometheus exporter for host, container and service-latency metrics')
    .version(VERSION, '--version')
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError();

  addConfigOptions(program.command('serve').description('run the exporter and serve /metrics'))
    .addOption(new Option('--web.listen-address <address>', `address to listen on (default ${DEFAULT_LISTEN_ADDRESS})`).env('SPYGLASS_WEB_LISTEN_ADDRESS'))
    .addOption(
      new Option(
        '--web.config.file <path>',
        "TLS, basic auth, headers and rate limit, in exporter-toolkit's web-config.yml format (re-read when it or its certificates change)",
      ).env('SPYGLASS_WEB_CONFIG_FILE'),
    )
    .addOption(new Option('--web.max-requests <n>', 'maximum concurrent /metrics requests, 0 for no limit').env('SPYGLASS_WEB_MAX_REQUESTS'))
    .option('--web.enable-diagnostics', "serve /debug/cpu-profile and /debug/heap-snapshot (behind the web config's authentication)")
    .addOption(new Option('--web.telemetry-path <path>', 'path the metrics are served at (default /metrics)').env('SPYGLASS_WEB_TELEMETRY_PATH'))
    .option('--web.disable-exporter-metrics', 'leave out process_* and nodejs_* (node_exporter leaves out process_* and go_*)')
    .option('--no-web.disable-exporter-metrics', 'keep them (the default)')
    .option('--dry-run', 'check the flags, config and web config, say what would run, and exit')
    .addOption(
      new Option('--probe <target>', 'probe this target (repeatable), e.g. http://127.0.0.1:8080/healthz as a sidecar; enables the probe collector').argParser(
        (v: string, prev: string[] = []) => [...prev, v],
      ),
    )
    .action(async (flags: GlobalFlags & { 'web.config.file'?: string; dryRun?: boolean }) => {
      const overrides: ConfigOverrides = overridesFrom(flags, collectors);
      await serve({
        file: flags['config.file'],
        webConfigFile: flags['web.config.file'],
        overrides,
        disableDefaults: flags['collector.disableDefaults'] ?? false,
        notes,
        dryRun: flags.dryRun ?? false,
      });
    });

  addConfigOptions(program.command('dump').description('run collectors once and print their metrics; exits 1 if any fails'))
    .argument('[collectors...]', 'collectors to run (default: the enabled ones)')
    .addOption(new Option('--format <format>', 'output format').choices(DUMP_FORMATS).default('prometheus'))
    .action(async (names: string[], flags: GlobalFlags & { format: DumpFormat }) => {
      const config = await loadOrExit(flags, collectors);
      // A table is for a person at a terminal: so are its warnings, unless a format was asked for.
      if (flags.format === 'table' && flags['log.format'] === undefined) config.log.format = 'logfmt';
      const result = await dump(config, names, flags.format);
      if ('error' in result) {
        process.stderr.write(`spyglass: ${result.error}\n`);
        process.exit(2);
      }
      for (const f of result.failures) process.stderr.write(`spyglass: collector ${f.collector} failed: ${f.reason}\n`);
      process.stdout.write(result.output, () => exitProcess(result.failures.length ? 1 : 0));
    });

  addConfigOptions(program.command('probe').description("probe a target now and print each phase's latency; exits 1 if a probe fails"))
    .argument('<target>', 'a URL, host:port, or anything a probe module takes (modules from the config and modules_file apply)')
    .option('--module <name>', 'probe module (default: implied by the target, e.g. http_2xx for http:// URLs, tcp_connect for host:port)')
    .option('--count <n>', 'number of probes; 0 probes until Ctrl-C', (v) => Number(v), 1)
    .option('--interval <duration>', 'pause between probes', '1s')
    .option('--timeout <duration>', "timeout of each probe (default: the module's, else 10s)")
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (target: string, flags: GlobalFlags & ProbeCommandOptions) => {
      if (!Number.isInteger(flags.count) || flags.count < 0) {
        process.stderr.write('spyglass: --count must be a whole number (0: until Ctrl-C)\n');
        process.exit(2);
      }
      const config = await loadOrExit(flags, collectors);
      const probeSettings = config.collectors.find((c) => c.definition.name === 'probe');
      const logger = createLogger(config.log.level === 'info' ? 'error' : config.log.level, config.log.format);
      // Ctrl-C ends the run with the summary of the probes so far; a second one exits at once.
      const stop = new AbortController();
      process.once('SIGINT', () => {
        stop.abort();
        process.once('SIGINT', () => exitProcess(130));
      });
      const result = await probeCommand(target, probeSettings?.options as RawProbeOptions, flags, logger, {
        write: (text) => process.stdout.write(text),
        stop: stop.signal,
      });
      if (result.error) {
        process.stderr.write(`spyglass: ${result.error}\n`);
        process.exit(2);
      }
      process.stdout.write(result.output, () => exitProcess(result.failed ? 1 : 0));
    });

  const debug = program.command('debug').description('take a diagnostic from a running spyglass started with --web.enable-diagnostics (docs/diagnostics.md)');
  for (const [kind, what] of [
    ['cpu-profile', 'a CPU profile of its main thread (open in Chrome DevTools)'],
    ['heap-snapshot', 'a V8 heap snapshot (open in Chrome DevTools)'],
  ] as const) {
    const cmd = debug
      .command(kind)
      .description(`write ${what} to a file`)
      .option('--url <url>', 'the running spyglass; user:password@ in it is sent as basic auth', `http://127.0.0.1:${DEFAULT_PORT}`)
      .option('-o, --output <file>', 'where to write it (default: a timestamped file here)');
    if (kind === 'cpu-profile') cmd.option('--seconds <n>', 'how long to profile, 1 to 60', '10');
    cmd.action(async (opts: { url: string; seconds?: string; output?: string }) => {
      const result = await debugCommand(kind, opts);
      if ('error' in result) {
        process.stderr.write(`spyglass: ${result.error}\n`);
        process.exit(1);
      }
      process.stdout.write(`${result.file}\n`);
    });
  }

  program
    .command('check-config')
    .description('validate a configuration file (and the collector modules it loads), with the --collector.* flags that would go with it')
    .argument('<file>')
    .action(async (file: string) => {
      const result = await loadConfig({ file, builtins: builtinCollectors, overrides: { collectors } });
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(`${formatConfigError(e)}\n`);
        process.stderr.write(`${file}: ${result.errors.length} error(s)\n`);
        process.exit(1);
      }
      const enabled = result.config.collectors.filter((c) => c.enabled).map((c) => c.definition.name);
      process.stdout.write(`${file}: OK; enabled collectors: ${enabled.join(', ')}\n`);
    });

  program
    .command('check-web-config')
    .description('validate a --web.config.file (and load the certificates it names)')
    .argument('<file>')
    .action(async (file: string) => {
      const result = await loadWebConfig(file);
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(`${e}\n`);
        process.exit(1);
      }
      const c = result.config;
      const tls = c.tls ? `TLS (client auth ${c.tls.settings.clientAuth}, certificate valid until ${c.tls.notAfter.toISOString()})` : 'no TLS';
      process.stdout.write(
        `${file}: OK; ${tls}; ${c.users.size} basic auth user(s); rate limit ${c.rateLimit ? `one request per ${c.rateLimit.intervalMs} ms, burst ${c.rateLimit.burst}` : 'off'}\n`,
      );
    });

  for (const [kind, what] of [
    ['dashboards', 'the Grafana dashboards (JSON, for import or file provisioning)'],
    ['rules', 'the Prometheus alerting and recording rules (YAML)'],
  ] as const) {
    program
      .command(kind)
      .description(`write ${what}`)
      .command('export')
      .description(`write ${what} into a directory`)
      .argument('<dir>')
      .option('--config <file>', 'YAML file of knobs (selectors, thresholds, windows) overriding the defaults; see docs/mixin.md')
      .action((dir: string, opts: { config?: string }) => exportCommand(kind, dir, opts.config));
  }

  addConfigOptions(program.command('collectors').description("list collectors with their descriptions and defaults, or one collector's options"))
    .argument('[name]', 'a collector: show its options with their types and defaults')
    .action(async (name: string | undefined, flags: GlobalFlags) => {
      const config = await loadOrExit(flags, collectors);
      if (name !== undefined) {
        const settings = config.collectors.find((c) => c.definition.name === name);
        if (!settings) {
          const closest = closestName(
            name,
            config.collectors.map((c) => c.definition.name),
          );
          process.stderr.write(`spyglass: unknown collector ${JSON.stringify(name)}${closest ? `; did you mean ${JSON.stringify(closest)}?` : ''}\n`);
          process.exit(2);
        }
        process.stdout.write(describeCollector(settings));
        return;
      }
      const rows = config.collectors.map((c) => [
        c.definition.name,
        c.enabled ? 'enabled' : 'disabled',
        c.definition.enabledByDefault ? 'default on' : 'default off',
        c.schedule.text,
        c.definition.description,
      ]);
      const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
      for (const r of rows)
        process.stdout.write(
          `${r
            .slice(0, 4)
            .map((v, i) => v.padEnd(widths[i] as number))
            .join('  ')}  ${r[4]}\n`,
        );
    });

  await program.parseAsync(['node', 'spyglass', ...extracted.rest]);
}

function exportCommand(kind: MixinKind, dir: string, configFile: string | undefined): void {
  const { config, problems } = readMixinConfig(configFile);
  if (!config) {
    for (const p of problems) process.stderr.write(`spyglass: ${p}\n`);
    process.exit(2);
  }
  for (const path of exportMixin(kind, dir, config)) process.stdout.write(`${path}\n`);
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`spyglass: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
