/**
 * The probe collector's background half: keeps the target list current (static, file_sd, dns_sd),
 * probes each target on its schedule, and holds the results the collector publishes.
 */
import type { CollectorLogger, StatusTable } from '../../src/collector.js';
import type { HistogramSample, MetricFamily } from '../../src/metrics/model.js';
import { DnsDiscovery, FileDiscovery, type Discovery } from './discovery.js';
import type { ProbeModule } from './module.js';
import type { ProbeOutcome } from './probe-context.js';
import { runProbe } from './prober.js';
import { ProbeResults, type ProbeResult } from './probe-results.js';
import { ProbeScheduler } from './probe-scheduler.js';
import type { ProbeOptions } from './probe-options.js';
import { inShard, resolveShard, type Shard } from './shard.js';
import { buildTarget, type ProbeTarget, type TargetDefaults, type TargetSpec } from './targets.js';

/** How late probes start against their slot: 1 ms to 10 s. */
const DELAY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ProbeRunner {
  private targets: ProbeTarget[] = [];
  private targetProblems: string[] = [];
  /** This replica's share of the targets (validated with the options); undefined: all of them. */
  private readonly shard: Shard | undefined;
  /** Target definitions of the last update in this shard and left to the others. */
  private readonly sharded = { kept: 0, leftOut: 0 };
  private readonly discoveries: Discovery[];
  private readonly scheduler: ProbeScheduler<ProbeTarget>;
  private readonly results: ProbeResults;
  private readonly delay = { buckets: new Array<number>(DELAY_BUCKETS.length).fill(0), sum: 0, count: 0 };
  private readonly skipped = { busy: 0, queue: 0 };
  private readonly lastResult = new Map<string, string>();
  private readonly shutdown = new AbortController();
  /** Called when a target has its first result: the collector publishes it without waiting for its next run. */
  onFirstResult: () => void = () => undefined;
  /** Waiting for the first probes of the targets known at start (see firstRound). */
  private firstRoundDone: (() => void) | undefined;

  constructor(
    private readonly options: ProbeOptions,
    readonly modules: ReadonlyMap<string, ProbeModule | Error>,
    private readonly defaults: TargetDefaults,
    private readonly logger: CollectorLogger,
  ) {
    this.results = new ProbeResults(options.buckets);
    this.shard = resolveShard(options.shard).shard;
    this.discoveries = [...options.file_sd.map((c) => new FileDiscovery(c)), ...options.dns_sd.map((c) => new DnsDiscovery(c))];
    this.scheduler = new ProbeScheduler(options.max_concurrent, {
      probe: (t, delayMs) => this.probe(t, delayMs),
      skipped: (t, why) => {
        this.skipped[why]++;
        this.logger.warn(
          { target: t.labels.target, module: t.module, why },
          why === 'busy' ? 'previous probe still running; slot skipped' : 'probe still waiting for a free slot (max_concurrent); slot skipped',
        );
      },
    });
  }

  /** Discovers the targets once (so the first list is complete) and starts probing on schedule. */
  async start(): Promise<void> {
    await Promise.all(this.discoveries.map((d) => d.start(() => this.updateTargets())));
    this.updateTargets();
  }

  /**
   * Settles once every target has its first result (new targets are probed within a second), or
   * after `waitMs`, whichever comes first: the first run publishes results, and readiness waits for them.
   */
  firstRound(waitMs: number): Promise<void> {
    if (this.targets.every((t) => this.lastResult.has(t.key))) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      timer.unref();
      this.firstRoundDone = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Discovers the targets and probes each once, all at once up to max_concurrent (`spyglass dump`). */
  async probeAllOnce(signal: AbortSignal): Promise<void> {
    await Promise.all(this.discoveries.map((d) => d.refresh()));
    this.updateTargets(false);
    const queue = [...this.targets];
    const worker = async () => {
      for (let t = queue.shift(); t && !signal.aborted; t = queue.shift()) await this.probe(t, 0, signal);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.max_concurrent, queue.length) }, worker));
  }

  stop(): void {
    this.shutdown.abort(new Error('probe collector stopped'));
    this.scheduler.stop();
    for (const d of this.discoveries) d.stop();
  }

  private updateTargets(schedule = true): void {
    const specs: Array<{ spec: TargetSpec; source: string }> = [
      ...this.options.targets.map((spec) => ({ spec, source: 'static' })),
      ...this.discoveries.flatMap((d) => d.targets.map((spec) => ({ spec, source: d.kind }))),
    ];
    const byKey = new Map<string, ProbeTarget>();
    const problems: string[] = [];
    this.sharded.kept = this.sharded.leftOut = 0;
    for (const { spec, source } of specs) {
      // Before building: a broken definition is reported by the one replica whose shard it is in.
      if (!inShard(spec.address ?? spec.target, this.shard)) {
        this.sharded.leftOut++;
        continue;
      }
      this.sharded.kept++;
      const built = buildTarget(spec, this.modules, this.defaults, source);
      if ('message' in built) problems.push(`${source}: ${built.message}`);
      else if (!byKey.has(built.key)) byKey.set(built.key, built);
    }
    for (const p of problems) if (!this.targetProblems.includes(p)) this.logger.error({ problem: p }, 'probe target left out');
    for (const d of this.discoveries)
      for (const e of d.errors)
        this.logger.error({ discovery: d.kind, source: e.source, err: e.message }, 'target discovery failed; keeping the targets it had');
    this.targetProblems = problems;
    this.targets = [...byKey.values()];
    this.results.retain(new Map(this.targets.map((t) => [t.key, t.labels])));
    if (schedule) this.scheduler.setTargets(this.targets);
  }

  private async probe(t: ProbeTarget, delayMs: number, signal: AbortSignal = this.shutdown.signal): Promise<void> {
    this.observeDelay(delayMs);
    const module = this.modules.get(t.module) as ProbeModule;
    const startedMs = Date.now();
    const outcome = await runProbe(t.target, module, t.timeoutMs, { logger: this.logger }, signal);
    if (signal.aborted && this.shutdown.signal.aborted) return;
    this.results.record(t.key, outcome, startedMs);
    const first = !this.lastResult.has(t.key);
    this.logTransition(t, outcome);
    if (!first) return;
    if (this.firstRoundDone && this.targets.every((x) => this.lastResult.has(x.key))) {
      this.firstRoundDone();
      this.firstRoundDone = undefined;
    }
    this.onFirstResult();
  }

  /** Logs when a target starts failing, fails differently or recovers; not every failed probe. */
  private logTransition(t: ProbeTarget, o: ProbeOutcome): void {
    const state = o.success ? 'ok' : (o.failure ?? 'failed');
    if (this.lastResult.get(t.key) === state) return;
    const first = !this.lastResult.has(t.key);
    this.lastResult.set(t.key, state);
    if (!o.success) this.logger.warn({ target: t.labels.target, module: t.module, reason: o.failure, duration_seconds: o.durationSeconds }, 'probe failed');
    else if (!first) this.logger.info({ target: t.labels.target, module: t.module }, 'probe recovered');
  }

  private observeDelay(ms: number): void {
    const s = Math.max(0, ms) / 1000;
    const i = DELAY_BUCKETS.findIndex((le) => s <= le);
    if (i >= 0) this.delay.buckets[i] = (this.delay.buckets[i] as number) + 1;
    this.delay.sum += s;
    this.delay.count++;
  }

  families(): MetricFamily[] {
    // A spyglass with nothing to probe (the default) exports nothing for it.
    if (this.targets.length === 0 && this.discoveries.length === 0 && this.targetProblems.length === 0 && !this.shard) return [];
    const families = this.results.families();
    let cumulative = 0;
    const delay: HistogramSample = {
      buckets: DELAY_BUCKETS.map((le, i) => [le, (cumulative += this.delay.buckets[i] as number)] as const),
      sum: this.delay.sum,
      count: this.delay.count,
    };
    const bySource = new Map<string, number>();
    for (const t of this.targets) bySource.set(t.source, (bySource.get(t.source) ?? 0) + 1);
    const discoveryErrors = new Map<string, number>();
    for (const d of this.discoveries) discoveryErrors.set(d.kind, (discoveryErrors.get(d.kind) ?? 0) + d.errorCount);
    families.push(
      {
        name: 'spyglass_probe_schedule_delay_seconds',
        help: 'How late probes started against their scheduled slot, in seconds.',
        type: 'histogram',
        unit: 'seconds',
        samples: [delay],
      },
      {
        name: 'spyglass_probe_slots_skipped_total',
        help: "Probe slots skipped because the target's previous probe was still running (busy) or still waiting for a free slot (queue).",
        type: 'counter',
        samples: (['busy', 'queue'] as const).map((why) => ({ labels: { reason: why }, value: this.skipped[why] })),
      },
      { name: 'spyglass_probes_in_flight', help: 'Probes running now.', type: 'gauge', samples: [{ value: this.scheduler.running }] },
      {
        name: 'spyglass_probe_targets',
        help: 'Targets probed, by where they came from.',
        type: 'gauge',
        samples: [...bySource].map(([source, n]) => ({ labels: { source }, value: n })),
      },
      {
        name: 'spyglass_probe_target_errors',
        help: 'Targets left out because of an error in their definition (see the log or the landing page).',
        type: 'gauge',
        samples: [{ value: this.targetProblems.length }],
      },
      {
        name: 'spyglass_probe_discovery_errors_total',
        help: 'Failed reads of file_sd files and DNS lookups of dns_sd names (their last targets are kept).',
        type: 'counter',
        samples: [...discoveryErrors].map(([mechanism, n]) => ({ labels: { mechanism }, value: n })),
      },
    );
    if (this.shard) families.push(...this.shardFamilies(this.shard));
    return families;
  }

  private shardFamilies(shard: Shard): MetricFamily[] {
    return [
      {
        name: 'spyglass_probe_shard_info',
        help: 'The probe shard of this replica (shard, from 0) and how many replicas share the targets (shards).',
        type: 'gauge',
        samples: [{ labels: { shard: String(shard.index), shards: String(shard.count) }, value: 1 }],
      },
      {
        name: 'spyglass_probe_shard_targets',
        help: "Target definitions of every source (before removing duplicates) whose address hashes into this replica's shard (kept) or into another (left_out).",
        type: 'gauge',
        samples: [
          { labels: { state: 'kept' }, value: this.sharded.kept },
          { labels: { state: 'left_out' }, value: this.sharded.leftOut },
        ],
      },
    ];
  }

  statusTable(): StatusTable {
    const rows = this.targets.map((t) => {
      const s = this.results.summary(t.key);
      return [
        t.labels.target as string,
        t.module,
        t.source,
        `${t.intervalMs / 1000}s`,
        (s?.lastResult ?? 'pending') as ProbeResult | 'pending',
        s?.lastDurationSeconds === undefined ? '' : `${(s.lastDurationSeconds * 1000).toFixed(1)} ms`,
        s?.lastFailure ?? '',
      ];
    });
    for (const p of this.targetProblems) rows.push(['', '', '', '', 'invalid', '', p]);
    for (const d of this.discoveries) for (const e of d.errors) rows.push([e.source, '', d.kind, '', 'discovery error', '', e.message]);
    const title = this.shard
      ? `Probe targets: shard ${this.shard.index} of ${this.shard.count} (0 to ${this.shard.count - 1}), ${this.sharded.kept} kept, ${this.sharded.leftOut} left to the other shards`
      : 'Probe targets';
    return { title, columns: ['target', 'module', 'source', 'interval', 'last result', 'last duration', 'reason'], rows };
  }
}
