import { builtinCollectors } from '../collectors/index.js';
import { formatConfigError, loadConfig, type ConfigOverrides } from './config/load.js';
import { Engine } from './engine.js';
import { exitProcess } from './exit.js';
import { HttpServer } from './http/server.js';
import { WebGuard } from './http/web-guard.js';
import { createLogger, type Logger } from './log.js';
import { RemoteWriter, type RemoteWriteSettings } from './remote-write/writer.js';
import { VERSION } from './version.js';

export interface ServeOptions {
  file: string | undefined;
  /** `--web.config.file`: TLS, basic auth, headers, rate limit (exporter-toolkit format). */
  webConfigFile: string | undefined;
  overrides: ConfigOverrides;
  disableDefaults: boolean;
  /** Flags taken out before parsing, and why (see cli-flags.ts). */
  notes?: readonly string[];
  /** Check the flags and files, say what would run, and exit without serving. */
  dryRun?: boolean;
}

/** `spyglass serve`: load the config, start the HTTP server and the schedules, handle signals. */
export async function serve(opts: ServeOptions): Promise<void> {
  const load = () => loadConfig({ file: opts.file, overrides: opts.overrides, builtins: builtinCollectors, disableDefaults: opts.disableDefaults });
  const first = await load();
  if (!first.ok) {
    for (const e of first.errors) process.stderr.write(`spyglass: config error: ${formatConfigError(e)}\n`);
    process.exit(1);
  }
  const config = first.config;
  const logger = createLogger(config.log.level, config.log.format);
  logger.info(
    {
      version: VERSION,
      node: process.version,
      config_file: opts.file ?? '(embedded defaults)',
      ...(opts.webConfigFile ? { web_config_file: opts.webConfigFile } : {}),
    },
    'starting spyglass',
  );
  for (const note of [...(opts.notes ?? []), ...config.notes]) logger.warn(note);
  let guard: WebGuard | undefined;
  if (opts.webConfigFile) {
    const loaded = await WebGuard.load(opts.webConfigFile, logger);
    if ('errors' in loaded) {
      for (const e of loaded.errors) process.stderr.write(`spyglass: web config error: ${e}\n`);
      process.exit(1);
    }
    guard = loaded.guard;
  }
  if (opts.dryRun) {
    const enabled = config.collectors.filter((c) => c.enabled).map((c) => c.definition.name);
    logger.info(
      { address: config.web.listenAddress, telemetry_path: config.web.telemetryPath, web_config: opts.webConfigFile, collectors: enabled },
      'dry run: the flags and files are valid; exiting without serving',
    );
    await guard?.stop();
    return;
  }
  const engine = new Engine(config, logger);
  try {
    engine.remoteWriter = startRemoteWrite(config.remoteWrite, logger);
  } catch (err) {
    logger.error({ queue_dir: config.remoteWrite?.queueDir, err: (err as Error).message }, 'cannot open the remote-write queue');
    process.exit(1);
  }
  if (guard) {
    const running = guard;
    engine.webStatus = () => running.status();
    running.watch();
  }

  let reloading: Promise<unknown> = Promise.resolve();
  const reload = () => {
    const attempt = reloading.then(async () => {
      const web = await guard?.reload();
      if (web && !web.ok) return { ok: false as const, error: `web config: ${web.error}` };
      const next = await load();
      if (!next.ok) {
        engine.reloadFailed();
        const error = next.errors.map(formatConfigError).join('; ');
        logger.error({ errors: next.errors.map(formatConfigError) }, 'config reload failed; keeping the running configuration');
        return { ok: false as const, error };
      }
      if (next.config.web.listenAddress !== engine.config.web.listenAddress) {
        logger.warn({ listen_address: next.config.web.listenAddress }, 'listen address changes need a restart; still listening on the old one');
      }
      if (remoteWriteKey(next.config.remoteWrite) !== remoteWriteKey(engine.config.remoteWrite)) {
        // What is queued stays on disk: a receiver kept under the same name and URL keeps its queue.
        engine.remoteWriter?.stop();
        try {
          engine.remoteWriter = startRemoteWrite(next.config.remoteWrite, logger);
        } catch (err) {
          try {
            engine.remoteWriter = startRemoteWrite(engine.config.remoteWrite, logger);
          } catch (again) {
            engine.remoteWriter = undefined;
            logger.error({ err: (again as Error).message }, 'remote write stopped: the running configuration cannot open its queue again either');
          }
          engine.reloadFailed();
          return { ok: false as const, error: `cannot open the remote-write queue: ${(err as Error).message}` };
        }
      }
      await engine.apply(next.config);
      logger.level = next.config.log.level;
      logger.info({ file: opts.file }, 'configuration reloaded');
      return { ok: true as const };
    });
    reloading = attempt.catch(() => undefined);
    return attempt;
  };

  // An empty listen address (allowed only with remote_write): push-only, no HTTP server at all.
  const http = config.web.listenAddress === '' ? undefined : new HttpServer(engine, config.web, reload, logger, guard);
  try {
    await http?.listen(config.web.listenAddress);
  } catch (err) {
    logger.error({ address: config.web.listenAddress, err: (err as Error).message }, 'cannot listen');
    process.exit(1);
  }
  const tls = guard?.tls;
  if (!http)
    logger.info({ remote_write: config.remoteWrite?.endpoints.map((e) => e.name), collectors: [...engine.enabledCollectors()] }, 'push-only: no HTTP server');
  else
    logger.info(
      {
        address: config.web.listenAddress,
        scheme: http.scheme,
        ...(tls ? { client_auth: tls.settings.clientAuth, cert_not_after: tls.notAfter.toISOString() } : {}),
        basic_auth: guard?.basicAuth ?? false,
        collectors: [...engine.enabledCollectors()],
      },
      'listening',
    );

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal; exiting now');
      exitProcess(1, logger);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: not ready, finishing in-flight requests');
    engine.stop();
    engine.remoteWriter?.stop();
    void guard?.stop();
    await http?.close(config.web.shutdownTimeoutMs);
    logger.info('bye');
    exitProcess(0, logger);
  };
  // Explicit handlers also make signals work when Node runs as PID 1, where the kernel applies no default action.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => void reload());

  const started = performance.now();
  await engine.start();
  logger.info({ ms: Math.round(performance.now() - started) }, 'ready: every enabled collector finished its first run');
}

/** The settings as text, regular expressions included (JSON alone writes a RegExp as {}). */
function remoteWriteKey(settings: RemoteWriteSettings | undefined): string {
  return JSON.stringify(settings ?? null, (_, v: unknown) => (v instanceof RegExp ? v.toString() : v));
}

function startRemoteWrite(settings: RemoteWriteSettings | undefined, logger: Logger): RemoteWriter | undefined {
  if (!settings) return undefined;
  const writer = new RemoteWriter(settings, logger);
  logger.info({ remote_write: settings.endpoints.map((e) => ({ name: e.name, url: e.client.url })), queue_dir: settings.queueDir }, 'remote write on');
  return writer;
}
