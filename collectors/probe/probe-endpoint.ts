/**
 * blackbox_exporter's multi-target endpoint, `/probe?target=&module=[&hostname=][&debug=true]`,
 * for Prometheus configurations migrating from it. Off unless configured, and then limited to an
 * allow-list checked against the address every hop actually connects to (redirects included), so
 * it is not the open proxy blackbox's endpoint is.
 */
import { BlockList, isIP } from 'node:net';
import yaml from 'js-yaml';
import type { CollectorHttpRequest, CollectorHttpResponse, CollectorLogger, OptionProblem } from '../../src/collector.js';
import { parseDuration } from '../../src/config/duration.js';
import { renderFamilies } from '../../src/metrics/render.js';
import type { ProbeModule } from './module.js';
import { PROBE_GAUGES } from './probe-report.js';
import type { ProbeOutcome } from './probe-context.js';
import { runProbe } from './prober.js';

export interface EndpointOptions {
  enabled?: boolean;
  allow?: string[];
  debug?: boolean;
  timeout_offset?: string;
  max_concurrent?: number;
}

export const ENDPOINT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description: "blackbox_exporter's /probe?target=&module= endpoint (off by default)",
  properties: {
    enabled: { type: 'boolean', description: 'Serve /probe (default false)' },
    allow: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Addresses, CIDRs, host names or *.domain wildcards /probe may connect to' },
    debug: { type: 'boolean', description: 'Allow debug=true (logs and module configuration in the answer; default true)' },
    timeout_offset: { type: 'string', description: "Subtracted from Prometheus's scrape timeout (default 0.5s)" },
    max_concurrent: { type: 'integer', minimum: 1, description: 'Probes /probe runs at once at most; more get 503 (default 32)' },
  },
};

/** Without the scrape-timeout header, as blackbox_exporter. */
const DEFAULT_SCRAPE_TIMEOUT_SECONDS = 120;
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

/**
 * Who /probe may reach. Addresses and CIDRs match the resolved address of every hop; a host name
 * (or `*.domain`) admits the addresses that name resolves to, except link-local ones (cloud
 * metadata services live there), which only an explicit CIDR admits.
 */
export class AllowList {
  private readonly cidrs = new BlockList();
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const cidr = parseCidr(entry);
      if (cidr) this.cidrs.addSubnet(cidr.address, cidr.prefix, cidr.family === 4 ? 'ipv4' : 'ipv6');
      else if (entry.startsWith('*.')) this.suffixes.push(normalizeName(entry.slice(1)));
      else this.names.add(normalizeName(entry));
    }
  }

  /** Why the hop to `address` (resolved from `host`) is refused; undefined when it is allowed. */
  check(address: string, family: 4 | 6, host: string): string | undefined {
    const [plain, plainFamily] = unmapped(address, family);
    if (this.cidrs.check(plain, plainFamily === 4 ? 'ipv4' : 'ipv6')) return undefined;
    const name = normalizeName(host);
    const named = !isIP(host.replace(/^\[|\]$/g, '')) && (this.names.has(name) || this.suffixes.some((s) => name.endsWith(s)));
    if (named && !LINK_LOCAL.check(plain, plainFamily === 4 ? 'ipv4' : 'ipv6')) return undefined;
    return named ? 'link-local addresses need an explicit CIDR in the /probe allow list' : 'not in the /probe allow list';
  }

  static problems(entries: readonly string[]): Array<{ index: number; message: string }> {
    return entries.flatMap((entry, index) => {
      if (entry.includes('/')) return parseCidr(entry) ? [] : [{ index, message: `${JSON.stringify(entry)} is not a CIDR (address/prefix length)` }];
      if (isIP(entry) || /^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.?$/i.test(entry)) return [];
      return [{ index, message: `${JSON.stringify(entry)} is neither an address, a CIDR, a host name nor a *.domain wildcard` }];
    });
  }
}

function parseCidr(entry: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const [address = '', prefixText, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  return prefix >= 0 && prefix <= max ? { address, prefix, family: family as 4 | 6 } : undefined;
}

/** `::ffff:169.254.169.254` is checked as the IPv4 address it is. */
function unmapped(address: string, family: 4 | 6): [string, 4 | 6] {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? [m[1] as string, 4] : [address, family];
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export function endpointProblems(o: EndpointOptions | undefined): OptionProblem[] {
  if (!o) return [];
  const problems: OptionProblem[] = AllowList.problems(o.allow ?? []).map((p) => ({ path: ['endpoint', 'allow', p.index], message: p.message }));
  if (o.enabled && !o.allow?.length)
    problems.push({
      path: ['endpoint'],
      message:
        'enabled without an allow list: the /probe endpoint needs `allow` (addresses, CIDRs such as 127.0.0.0/8, or host names), or --collector.probe.endpoint.allow=CIDR on the command line (repeatable)',
    });
  if (o.timeout_offset !== undefined && parseDuration(o.timeout_offset) === undefined)
    problems.push({ path: ['endpoint', 'timeout_offset'], message: 'must be a duration such as 500ms' });
  return problems;
}

/** Answers /probe requests for one configuration of the collector. */
export class ProbeEndpoint {
  private readonly allowList: AllowList;
  private inFlight = 0;

  constructor(
    private readonly options: EndpointOptions,
    private readonly modules: ReadonlyMap<string, ProbeModule | Error>,
  ) {
    this.allowList = new AllowList(options.allow ?? []);
  }

  async answer(req: CollectorHttpRequest, logger: CollectorLogger): Promise<CollectorHttpResponse> {
    const o = this.options;
    if (!o.enabled) return text(404, '/probe is off: set collectors.probe.endpoint.enabled and an allow list to serve it\n');
    const target = req.query.get('target');
    if (!target) return text(400, 'Target parameter is missing\n');
    const moduleName = req.query.get('module') || 'http_2xx';
    const module = this.modules.get(moduleName);
    if (!module) return text(400, `Unknown module ${JSON.stringify(moduleName)}\n`);
    if (module instanceof Error) return text(400, `Module ${JSON.stringify(moduleName)} is broken: ${module.message}\n`);
    const hostname = req.query.get('hostname') ?? undefined;
    if (hostname !== undefined && !/^[a-z0-9._:[\]-]+$/i.test(hostname)) return text(400, 'hostname parameter is not a host name\n');
    const debug = req.query.get('debug') === 'true';
    if (debug && o.debug === false) return text(403, 'debug=true is disabled by collectors.probe.endpoint.debug\n');
    const limit = o.max_concurrent ?? 32;
    if (this.inFlight >= limit) return text(503, `Limit of concurrent /probe requests reached (${limit}), try again later.\n`);

    const timeoutMs = probeTimeoutMs(req.headers['x-prometheus-scrape-timeout-seconds'], parseDuration(o.timeout_offset ?? '0.5s') ?? 500, module.timeoutMs);
    if (timeoutMs <= 0) return text(400, 'the scrape timeout leaves no time for the probe after timeout_offset\n');
    const logs: string[] = [];
    const probeLogger = debug ? captureLogger(logs) : logger;
    this.inFlight++;
    let outcome: ProbeOutcome;
    let refused: string | undefined;
    try {
      const check = (address: string, family: 4 | 6, host: string) => {
        const denied = this.allowList.check(address, family, host);
        if (denied) refused = `address ${address}${host === address ? '' : ` (${host})`} is not allowed: ${denied}`;
        return denied;
      };
      outcome = await runProbe(target, module, timeoutMs, { logger: probeLogger, checkAddress: check, ...(hostname ? { hostname } : {}) }, req.signal);
    } finally {
      this.inFlight--;
    }
    if (!outcome.success) probeLogger.debug({ target, module: moduleName, reason: outcome.failure }, 'probe failed');
    // A refusal is the operator's rule, not the target's health: say so, rather than a silent probe_success 0.
    if (refused && !debug) {
      logger.warn({ target, module: moduleName, reason: refused }, '/probe refused a target outside the allow list');
      return text(403, `Probe refused: ${refused} (collectors.probe.endpoint.allow)\n`);
    }
    const metrics = renderOutcome(outcome);
    if (!debug) return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: metrics };
    const verdict = outcome.success ? 'Probe succeeded' : `Probe failed: ${outcome.failure}`;
    return text(
      200,
      `Logs for the probe:\n${[...logs, verdict].join('\n')}\n\nMetrics that would have been returned:\n${metrics}\nModule configuration:\n${describeModule(module)}`,
    );
  }
}

/**
 * blackbox's rule: the scrape timeout Prometheus sends (120 s without one) less the offset; the
 * module's timeout instead when it is set and shorter.
 */
export function probeTimeoutMs(header: string | string[] | undefined, offsetMs: number, moduleTimeoutMs: number | undefined): number {
  const sent = Number(Array.isArray(header) ? header[0] : header);
  const scrapeMs = (Number.isFinite(sent) && sent > 0 ? sent : DEFAULT_SCRAPE_TIMEOUT_SECONDS) * 1000;
  const ms = scrapeMs - offsetMs;
  return moduleTimeoutMs && moduleTimeoutMs > 0 && moduleTimeoutMs < ms ? moduleTimeoutMs : ms;
}

/** The probe's gauges in the text format, without target labels (Prometheus adds `instance`). */
export function renderOutcome(outcome: ProbeOutcome): string {
  const families = [...outcome.report.gauges].map(([name, samples]) => ({
    name,
    help: PROBE_GAUGES[name],
    type: 'gauge' as const,
    samples: samples.map((s) => ({ labels: s.labels ?? {}, value: s.value })),
  }));
  return renderFamilies(families, { format: 'prometheus', timestamps: false, defaultTimestampMs: 0 });
}

/** The module as YAML: regexps as their source, secrets as `<secret>` (SecretSource#toJSON). */
function describeModule(module: ProbeModule): string {
  if (module.source) return yaml.dump({ name: module.name, ...(redactSecrets(module.source) as Record<string, unknown>) }, { lineWidth: -1 });
  const plain: unknown = JSON.parse(JSON.stringify(module, (_key, value: unknown) => (value instanceof RegExp ? value.source : value)));
  return yaml.dump(plain, { lineWidth: -1 });
}

/** Secrets written inline (password, credentials, bearer_token, …) as `<secret>`, as blackbox shows them; file names stay. */
function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      /password|credentials|token|secret|client_secret/.test(k) && !k.endsWith('_file') && typeof v === 'string' ? '<secret>' : redactSecrets(v),
    ]),
  );
}

function captureLogger(lines: string[]): CollectorLogger {
  const line = (level: string) => (obj: object | string, msg?: string) => {
    const fields =
      typeof obj === 'string'
        ? ''
        : Object.entries(obj)
            .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
            .join('');
    lines.push(`level=${level} msg=${JSON.stringify(typeof obj === 'string' ? obj : (msg ?? ''))}${fields}`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

export function text(status: number, body: string): CollectorHttpResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body };
}
