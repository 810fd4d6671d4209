/**
 * Target discovery: Prometheus file_sd files (JSON or YAML, watched and re-read every
 * refresh_interval) and DNS SRV/A/AAAA names (re-resolved every refresh_interval). A source that
 * fails keeps the targets it had and reports the error.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { readBounded } from '../../src/fs/bounded-read.js';
import { Resolver } from 'node:dns/promises';
import { basename, dirname, extname, join } from 'node:path';
import yaml from 'js-yaml';
import { parseDuration } from '../../src/config/duration.js';
import { globSegmentToRegExp } from '../textfile/glob.js';
import type { TargetSpec } from './targets.js';

const MAX_FILE_BYTES = 4 << 20;
/** Editors write a file in several steps; changes are applied this long after the last event. */
const WATCH_SETTLE_MS = 100;

export interface DiscoveryError {
  source: string;
  message: string;
}

/** One discovery mechanism's current targets. `onChange` fires after every refresh that changed them or their error. */
export interface Discovery {
  readonly kind: 'file_sd' | 'dns_sd';
  readonly targets: readonly TargetSpec[];
  readonly errors: readonly DiscoveryError[];
  /** Errors since start, for spyglass_probe_discovery_errors_total. */
  readonly errorCount: number;
  start(onChange: () => void): Promise<void>;
  /** Reads the source again now. */
  refresh(): Promise<void>;
  stop(): void;
}

/** The shared half: the current list, its errors, a refresh every `refreshMs`, and change notification. */
abstract class PollingDiscovery implements Discovery {
  abstract readonly kind: Discovery['kind'];
  targets: TargetSpec[] = [];
  errors: DiscoveryError[] = [];
  errorCount = 0;
  protected stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private onChange: () => void = () => undefined;

  constructor(private readonly refreshMs: number) {}

  async start(onChange: () => void): Promise<void> {
    this.onChange = onChange;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  abstract refresh(): Promise<void>;

  /** Installs a refresh's outcome (unless stopped meanwhile) and tells the runner. */
  protected publish(targets: TargetSpec[], errors: DiscoveryError[]): void {
    if (this.stopped) return;
    this.errorCount += errors.length;
    this.errors = errors;
    this.targets = targets;
    this.onChange();
  }
}

export interface FileSdConfig {
  files: string[];
  refresh_interval?: string;
}

/** Parses one file_sd file: a list of `{targets: [...], labels: {...}}` groups. Throws with the reason. */
export function parseFileSd(text: string, file: string): TargetSpec[] {
  let doc: unknown;
  try {
    doc = extname(file) === '.json' ? JSON.parse(text) : yaml.load(text, { filename: file });
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error(`${file}: must be a list of target groups`);
  const specs: TargetSpec[] = [];
  for (const [i, group] of doc.entries()) {
    const where = `${file}: group ${i}`;
    if (typeof group !== 'object' || group === null || Array.isArray(group)) throw new Error(`${where}: must be a mapping with targets and labels`);
    const { targets, labels = {}, ...rest } = group as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) throw new Error(`${where}: unknown key ${extra[0]}`);
    if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) throw new Error(`${where}: targets must be a list of strings`);
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== 'string')) {
      throw new Error(`${where}: labels must map names to strings`);
    }
    const { meta, plain } = splitMeta(labels as Record<string, string>, where);
    for (const target of targets as string[]) specs.push({ target, ...meta, labels: plain });
  }
  return specs;
}

/**
 * Meta labels Prometheus users already set in file_sd for blackbox: `__param_module`, and the
 * scrape's `__scrape_interval__`/`__scrape_timeout__` as the probe's interval/timeout.
 */
function splitMeta(
  labels: Record<string, string>,
  where: string,
): { meta: Pick<TargetSpec, 'module' | 'intervalMs' | 'timeoutMs'>; plain: Record<string, string> } {
  const meta: Pick<TargetSpec, 'module' | 'intervalMs' | 'timeoutMs'> = {};
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k === '__param_module') meta.module = v;
    else if (k === '__scrape_interval__' || k === '__scrape_timeout__') {
      const ms = parseDuration(v);
      if (!ms) throw new Error(`${where}: ${k} ${JSON.stringify(v)} is not a duration`);
      if (k === '__scrape_interval__') meta.intervalMs = ms;
      else meta.timeoutMs = ms;
    } else if (!k.startsWith('__')) plain[k] = v;
  }
  return { meta, plain };
}

export class FileDiscovery extends PollingDiscovery {
  readonly kind = 'file_sd';
  /** Last good targets of each file: a file that turns bad keeps them. */
  private readonly byFile = new Map<string, TargetSpec[]>();
  private readonly watchers: FSWatcher[] = [];
  private settle: NodeJS.Timeout | undefined;

  constructor(private readonly config: FileSdConfig) {
    super(parseDuration(config.refresh_interval ?? '5m') ?? 300_000);
  }

  override async start(onChange: () => void): Promise<void> {
    await super.start(onChange);
    for (const dir of new Set(this.config.files.map(dirname))) {
      try {
        const w = watch(dir, () => this.soon());
        w.on('error', () => undefined); // the directory went away; the periodic refresh still runs
        w.unref();
        this.watchers.push(w);
      } catch {
        // A missing directory cannot be watched; the periodic refresh finds files once it exists.
      }
    }
  }

  override stop(): void {
    super.stop();
    clearTimeout(this.settle);
    for (const w of this.watchers) w.close();
  }

  private soon(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.refresh(), WATCH_SETTLE_MS);
    this.settle.unref();
  }

  async refresh(): Promise<void> {
    if (this.stopped) return;
    const files = await this.matchingFiles();
    const errors: DiscoveryError[] = [];
    for (const file of [...this.byFile.keys()]) if (!files.includes(file)) this.byFile.delete(file);
    for (const file of files) {
      try {
        const buf = await readBounded(file, MAX_FILE_BYTES).catch((err: NodeJS.ErrnoException) => {
          throw err.code ? err : new Error(`${file}: ${err.message}`);
        });
        this.byFile.set(file, parseFileSd(buf.toString('utf8'), file));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT')
          this.byFile.delete(file); // removed between listing and reading
        else errors.push({ source: file, message: code ? `${file}: ${code}` : (err as Error).message });
      }
    }
    this.publish([...this.byFile.values()].flat(), errors);
  }

  private async matchingFiles(): Promise<string[]> {
    const out: string[] = [];
    for (const pattern of this.config.files) {
      const dir = dirname(pattern);
      const matcher = globSegmentToRegExp(basename(pattern));
      if (!matcher) continue;
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.sort()) if (matcher.test(name)) out.push(join(dir, name));
    }
    return [...new Set(out)];
  }
}

export interface DnsSdConfig {
  names: string[];
  type?: 'SRV' | 'A' | 'AAAA';
  /** Needed for A/AAAA; SRV records carry their own. */
  port?: number;
  refresh_interval?: string;
  /** `host:port` of the DNS server to ask; the system's resolvers when absent. */
  server?: string;
  module?: string;
  /** For http modules: targets become `scheme://host:port/path`. */
  scheme?: 'http' | 'https';
  path?: string;
  labels?: Record<string, string>;
}

export class DnsDiscovery extends PollingDiscovery {
  readonly kind = 'dns_sd';
  /** Last good targets of each name: a lookup that fails keeps them. */
  private readonly byName = new Map<string, TargetSpec[]>();
  private readonly resolver = new Resolver({ timeout: 2000, tries: 2 });

  constructor(private readonly config: DnsSdConfig) {
    super(parseDuration(config.refresh_interval ?? '30s') ?? 30_000);
    if (config.server) this.resolver.setServers([config.server]);
  }

  override stop(): void {
    super.stop();
    this.resolver.cancel();
  }

  async refresh(): Promise<void> {
    const errors: DiscoveryError[] = [];
    await Promise.all(
      this.config.names.map(async (name) => {
        try {
          this.byName.set(name, await this.lookup(name));
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          errors.push({ source: name, message: `${name}: ${e.code ?? e.message}` });
        }
      }),
    );
    this.publish([...this.byName.values()].flat(), errors);
  }

  private async lookup(name: string): Promise<TargetSpec[]> {
    const c = this.config;
    const type = c.type ?? 'SRV';
    let endpoints: Array<{ host: string; port: number }>;
    if (type === 'SRV') endpoints = (await this.resolver.resolveSrv(name)).map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port }));
    else {
      const addresses = type === 'A' ? await this.resolver.resolve4(name) : await this.resolver.resolve6(name);
      endpoints = addresses.map((a) => ({ host: a, port: c.port as number }));
    }
    return endpoints.map(({ host, port }) => {
      const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      const target = c.scheme ? `${c.scheme}://${hostPort}${c.path ?? '/'}` : hostPort;
      // Prometheus's dns_sd_configs give `host:port` as __address__: the shard hash reads that, not the URL made of it.
      return { target, address: hostPort, ...(c.module ? { module: c.module } : {}), labels: { ...(c.labels ?? {}) } };
    });
  }
}
