import type client from 'prom-client';
import type { CollectorHttpRequest, CollectorHttpResponse } from './collector.js';
import type { Config, CollectorSettings } from './config/load.js';
import { cooperativeYielder } from './cooperative.js';
import { BodyCache } from './exposition/body-cache.js';
import { SectionTable, type RenderedSection } from './exposition/sections.js';
import type { Logger } from './log.js';
import type { WebGuardStatus } from './http/web-guard.js';
import type { MetricFamily } from './metrics/model.js';
import { parseTextFormat } from './metrics/parse-text.js';
import type { Format } from './metrics/render.js';
import type { RemoteWriter } from './remote-write/writer.js';
import { CollectorThread, THREAD_HEAP_LIMIT_MB, type ThreadRendered, type ThreadRunOutcome } from './scheduler/collector-thread.js';
import { renderCollectorRun, renderFormats, renderLaterInSlices } from './scheduler/render-run.js';
import { runCollector, type RunOutcome } from './scheduler/run.js';
import { phaseOffsetMs } from './scheduler/schedule.js';
import { Scheduler, type Plan, type ScheduledJob } from './scheduler/scheduler.js';
import { followedIntervalMs, lockedOffsetMs, ScrapeTracker } from './scheduler/scrape-phase.js';
import { runtimeRegistry, SELF_SECTION, selfMetricFamilies, type CollectorStatus, type EngineStatus } from './self-metrics.js';

/** A run ready to swap in, with what the series cap did to it. */
type ReadySection = RenderedSection & { ok: true; series: number; dropped: number };

/** One collector on its schedule: runs it, publishes or withdraws its series, keeps its status. */
class CollectorJob implements ScheduledJob {
  readonly name: string;
  readonly status: CollectorStatus;
  private state: unknown;
  /** Where the collector runs when its definition asks for a worker thread. */
  private readonly thread: CollectorThread | undefined;
  private pending = false;

  constructor(
    readonly settings: CollectorSettings,
    readonly key: string,
    private readonly engine: Engine,
    private readonly logger: Logger,
  ) {
    const d = settings.definition;
    this.name = d.name;
    this.status = {
      name: d.name,
      description: d.description,
      group: d.group ?? 'external',
      enabled: settings.enabled,
      schedule: settings.schedule.text,
      series: 0,
      droppedSeries: 0,
      skippedItems: new Map(),
      runs: { success: 0, error: 0, timeout: 0, skipped: 0 },
      phaseLocked: false,
      intervalMs: settings.schedule.kind === 'interval' ? settings.schedule.ms : undefined,
    };
    if (d.workerModule) this.thread = new CollectorThread(this.threadSetup(d.workerModule), logger, (reason, n) => this.countSkipped(reason, n));
    else this.state = d.initialState?.();
  }

  /** How long before a scrape a phase-locked run starts: twice its last duration, at least 1 s, at most half the interval. */
  leadMs(intervalMs: number): number {
    return Math.min(Math.floor(intervalMs / 2), Math.max(1000, 2 * (this.status.lastDurationMs ?? 0)));
  }

  get schedule() {
    return this.settings.schedule;
  }

  /** The collector's own landing-page table, if it keeps one. */
  statusTable() {
    return this.settings.definition.statusTable?.(this.state);
  }

  /** The collector's handler for an HTTP path, bound to its options and state. */
  route(path: string): ((request: CollectorHttpRequest) => Promise<CollectorHttpResponse>) | undefined {
    const handler = this.settings.definition.routes?.[path];
    if (!handler) return undefined;
    return (request) => handler(request, { config: this.settings.options, state: this.state, logger: this.logger });
  }

  /** Releases the state's resources; the job never runs again. */
  retire(): void {
    if (this.thread) return this.thread.close();
    try {
      this.settings.definition.dispose?.(this.state);
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'releasing the collector state failed');
    }
  }

  busy(): boolean {
    return this.pending;
  }

  skipped(): void {
    this.status.runs.skipped++;
    this.logger.warn('previous run still busy; skipping this tick');
  }

  async run(): Promise<void> {
    this.pending = true;
    const outcome = this.thread
      ? await this.thread.run(this.engine.bodies.wantedFormats(), this.engine.sections.takeSpares(this.name))
      : await runCollector({
          settings: this.settings,
          paths: this.engine.config.paths,
          logger: this.logger,
          state: this.state,
          countSkipped: (reason) => this.countSkipped(reason, 1),
          runSoon: this.runSoon,
          servedElsewhere: this.servedElsewhere,
        });
    try {
      await this.record(outcome);
    } catch (err) {
      // Rendering what the collector returned failed (e.g. a body too large for one string).
      await this.record({ ...outcome, result: 'error', error: `cannot publish: ${(err as Error).message}`, families: undefined });
    } finally {
      // Not before the rendering is done: a next run must not publish ahead of this one.
      void outcome.settled.then(() => {
        this.pending = false;
      });
    }
  }

  private readonly runSoon = (): void => this.engine.runSoon(this);

  private readonly servedElsewhere = (familyName: string): string | undefined => {
    const owner = this.engine.sections.ownerOf(familyName);
    return owner === this.name ? undefined : owner;
  };

  /** Withdraws this collector's series (they name a family another collector serves) and runs it again to leave it out. */
  giveWayTo(collector: string, family: string): void {
    this.engine.withdraw(this.name);
    this.status.series = 0;
    this.logger.warn({ metric: family, served_by: collector }, 'a family this collector served is now served by another collector; running again without it');
    this.engine.runSoon(this);
  }

  private countSkipped(reason: string, count: number): void {
    const skipped = this.status.skippedItems;
    skipped.set(reason, (skipped.get(reason) ?? 0) + count);
  }

  private threadSetup(module: string) {
    const s = this.settings;
    const { options, timeoutMs, maxSeries, builtin, sampleTimestamps } = s;
    return {
      module,
      name: this.name,
      options,
      timeoutMs,
      maxSeries,
      builtin,
      sampleTimestamps,
      paths: this.engine.config.paths,
      debug: this.logger.isLevelEnabled('debug'),
      heapLimitMb: THREAD_HEAP_LIMIT_MB,
    };
  }

  private async record(o: RunOutcome | ThreadRunOutcome): Promise<void> {
    const failure = o.result === 'success' ? await this.publish(o) : { result: o.result, error: o.error ?? o.result };
    const result = failure?.result ?? 'success';
    const s = this.status;
    if (s.lastResult !== undefined && s.lastResult !== result) this.engine.refreshSelfMetricsSoon();
    s.runs[result]++;
    s.lastResult = result;
    s.lastDurationMs = o.durationMs;
    if (!failure) {
      s.lastSuccessMs = o.runTimeMs;
      delete s.lastError;
      return;
    }
    this.engine.withdraw(this.name);
    s.series = 0;
    s.lastError = failure.error;
    this.logger.error({ result, err: failure.error }, 'collector run failed');
  }

  /** Swaps in a successful run's series; says why when they cannot be published. */
  private async publish(o: RunOutcome | ThreadRunOutcome): Promise<{ result: 'error'; error: string } | undefined> {
    const section = 'rendered' in o ? this.renderedInThread(o.rendered as ThreadRendered) : await this.renderHere(o as RunOutcome);
    if (!section.ok) return { result: 'error', error: section.error };
    this.noteDropped(section.dropped);
    if (!this.engine.isActive(this)) return undefined; // retired by a reload while rendering
    const sections = this.engine.sections;
    let published = sections.publish(this.name, section);
    if (!published.ok && this.engine.yieldFamily(published.owner, this.name, published.family)) published = sections.publish(this.name, section);
    if (!published.ok) return { result: 'error', error: published.error };
    this.status.series = section.series;
    if (this.engine.remoteWriter) {
      const families = 'rendered' in o ? await this.threadFamilies(o) : ((section as { families?: MetricFamily[] }).families ?? []);
      // Read again: a reload may have replaced the writer while the thread's run was read back.
      this.engine.remoteWriter?.offer(this.name, families, o.runTimeMs);
    }
    return undefined;
  }

  /** A worker-thread run's families, for remote write: its text exposition read back (the thread keeps the objects). */
  private async threadFamilies(o: ThreadRunOutcome): Promise<MetricFamily[]> {
    const runId = o.rendered?.runId;
    const body = o.rendered?.bodies.prometheus ?? (runId === undefined ? undefined : await (this.thread as CollectorThread).render(runId, 'prometheus'));
    if (!body) return [];
    const parsed = parseTextFormat(body, this.name);
    if (!parsed.ok) {
      this.logger.error({ err: parsed.error }, 'remote write: cannot read back the run');
      return [];
    }
    return parsed.value.families;
  }

  private async renderHere(o: RunOutcome): Promise<ReadySection | { ok: false; error: string }> {
    const settings = { timestamps: this.settings.sampleTimestamps, runTimeMs: o.runTimeMs, cacheLabels: this.settings.definition.stableLabels === true };
    const { sections, bodies } = this.engine;
    const run = await renderCollectorRun(o.families ?? [], {
      ...settings,
      collector: this.name,
      maxSeries: this.settings.maxSeries,
      groupLabel: this.settings.definition.seriesGroupLabel,
      formats: bodies.wantedFormats(),
      spares: sections.takeSpares(this.name),
      sizeHint: (format) => sections.sizeOf(this.name, format),
      yieldNow: cooperativeYielder(),
    });
    return run.ok ? { ...run, renderLater: renderLaterInSlices(run.families, settings) } : run;
  }

  private renderedInThread(r: ThreadRendered): ReadySection {
    const thread = this.thread as CollectorThread;
    return { ok: true, ...r, renderLater: (format: Format) => thread.render(r.runId, format) };
  }

  private noteDropped(dropped: number): void {
    if (!dropped) return;
    this.status.droppedSeries += dropped;
    this.logger.warn({ dropped, max_series: this.settings.maxSeries }, 'series cap reached; series dropped');
  }
}

/** How long before a scrape the self-metrics are refreshed. */
const SELF_LEAD_MS = 300;

/** Refreshes the self-metrics section (spyglass_*, node_scrape_*, runtime) on its own schedule. */
class SelfMetricsJob implements ScheduledJob {
  readonly name = SELF_SECTION;
  private pending = false;
  constructor(
    private readonly engine: Engine,
    private readonly runtime: client.Registry | undefined,
    readonly schedule: ScheduledJob['schedule'],
    private readonly logger: Logger,
  ) {}

  busy(): boolean {
    return this.pending;
  }

  skipped(): void {}

  async run(): Promise<void> {
    this.pending = true;
    try {
      const families = await selfMetricFamilies(this.engine.status(), this.runtime);
      const settings = { timestamps: false, runTimeMs: Date.now(), cacheLabels: false };
      const { sections, bodies } = this.engine;
      const spares = sections.takeSpares(SELF_SECTION);
      const rendered = await renderFormats(families, {
        ...settings,
        formats: bodies.wantedFormats(),
        spares,
        sizeHint: (format) => sections.sizeOf(SELF_SECTION, format),
        yieldNow: () => undefined,
      });
      const familyNames = families.filter((f) => f.samples.length > 0).map((f) => f.name);
      const published = sections.publish(SELF_SECTION, { ...rendered, familyNames, renderLater: renderLaterInSlices(families, settings) });
      if (!published.ok) this.logger.error({ err: published.error }, 'self-metrics not published');
      else this.engine.remoteWriter?.offer(SELF_SECTION, families, settings.runTimeMs);
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'self-metrics refresh failed');
    } finally {
      this.pending = false;
    }
  }
}

/** The running exporter: collectors on their schedules, the sections they publish and the bodies served, readiness and reload. */
export class Engine {
  readonly sections = new SectionTable(new Set([SELF_SECTION]));
  readonly bodies = new BodyCache(this.sections);
  private readonly metricsRequests = new Map<number, number>();
  private metricsOk = 0;
  private jobs: CollectorJob[] = [];
  private known: ReadonlySet<string> = new Set();
  private enabled: ReadonlySet<string> = new Set();
  private scheduler: Scheduler | undefined;
  private selfJob: SelfMetricsJob;
  private readonly runtime: client.Registry | undefined;
  private readonly scrapes = new ScrapeTracker();
  private reloadState = { successful: true, lastSuccessMs: Date.now() };
  private ready = false;
  private selfRefresh: NodeJS.Timeout | undefined;
  /** The web config's state, when `--web.config.file` is given. */
  webStatus: (() => WebGuardStatus) | undefined;
  /** Where runs are pushed, when `remote_write` is configured. */
  remoteWriter: RemoteWriter | undefined;

  constructor(
    public config: Config,
    private readonly logger: Logger,
  ) {
    this.runtime = config.selfMetrics.runtime ? runtimeRegistry() : undefined;
    this.selfJob = this.makeSelfJob();
    this.setJobs(this.buildJobs(config, []));
  }

  private setJobs(jobs: CollectorJob[]): void {
    this.jobs = jobs;
    this.known = new Set(jobs.map((j) => j.name));
    this.enabled = new Set(jobs.filter((j) => j.settings.enabled).map((j) => j.name));
  }

  /** Starts the schedules; resolves once every enabled collector has finished its first run. */
  async start(): Promise<void> {
    await this.schedule();
    this.ready = true;
    await this.selfJob.run();
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Marks the exporter not ready (shutdown), stops scheduling new runs and releases collector state. */
  stop(): void {
    this.ready = false;
    this.scheduler?.stop();
    for (const j of this.jobs) j.retire();
  }

  status(): EngineStatus {
    const metricsRequests = new Map(this.metricsRequests);
    if (this.metricsOk) metricsRequests.set(200, this.metricsOk);
    const tables = this.jobs.filter((j) => j.settings.enabled).flatMap((j) => j.statusTable() ?? []);
    return {
      collectors: this.jobs.map((j) => j.status),
      reload: { ...this.reloadState },
      metricsRequests,
      tables,
      web: this.webStatus?.(),
      remoteWrite: this.remoteWriter?.status(),
    };
  }

  /** The handler an enabled collector registered for `path`, if any. */
  route(path: string): ((request: CollectorHttpRequest) => Promise<CollectorHttpResponse>) | undefined {
    for (const j of this.jobs) {
      const handler = j.settings.enabled ? j.route(path) : undefined;
      if (handler) return handler;
    }
    return undefined;
  }

  /** The disabled collector that would answer `path` if it were enabled (to say so instead of a bare 404). */
  disabledRouteOwner(path: string): string | undefined {
    return this.jobs.find((j) => !j.settings.enabled && j.settings.definition.routes?.[path])?.name;
  }

  enabledCollectors(): ReadonlySet<string> {
    return this.enabled;
  }

  knownCollectors(): ReadonlySet<string> {
    return this.known;
  }

  /** A full /metrics response went to a client (address + query: one scrape job): schedules follow the scrapers. */
  recordScrape(address: string | undefined, query: string): void {
    if (this.scrapes.record(address ?? '', query, Date.now())) this.scheduler?.replan();
  }

  /**
   * Refreshes the self-metrics now rather than before the next scrape: a reload's result or a
   * collector that starts or stops failing shows on the very next scrape.
   */
  refreshSelfMetricsSoon(): void {
    if (this.selfRefresh || !this.ready) return;
    this.selfRefresh = setTimeout(() => {
      this.selfRefresh = undefined;
      if (this.selfJob.busy()) this.refreshSelfMetricsSoon();
      else void this.selfJob.run();
    }, 10);
    this.selfRefresh.unref();
  }

  countMetricsRequest(code: number): void {
    if (code === 200) this.metricsOk++;
    else this.metricsRequests.set(code, (this.metricsRequests.get(code) ?? 0) + 1);
  }

  /** Takes a collector's series out of /metrics and, with staleness markers, out of remote write. */
  withdraw(collector: string): void {
    this.sections.withdraw(collector);
    this.remoteWriter?.offer(collector, [], Date.now());
  }

  /** A run of the job ahead of its schedule, if it is still in force. */
  runSoon(job: CollectorJob): void {
    if (this.isActive(job)) this.scheduler?.runSoon(job);
  }

  /**
   * When the collector serving `family` takes its names from outside (textfiles), it gives the
   * family up to `claimant`, whose own names always win; true if it did.
   */
  yieldFamily(owner: string, claimant: string, family: string): boolean {
    const job = this.jobs.find((j) => j.name === owner);
    if (!job?.settings.definition.yieldsFamilyNames) return false;
    job.giveWayTo(claimant, family);
    return true;
  }

  /** Whether the job belongs to the configuration in force and is enabled in it. */
  isActive(job: CollectorJob): boolean {
    return job.settings.enabled && this.jobs.includes(job);
  }

  /** Records a failed reload attempt; the running configuration stays. */
  reloadFailed(): void {
    this.reloadState.successful = false;
    this.refreshSelfMetricsSoon();
  }

  /** Swaps in a new configuration. Collectors whose settings did not change keep their state. */
  async apply(next: Config): Promise<void> {
    const previous = this.jobs;
    this.scheduler?.stop();
    this.config = next;
    this.setJobs(this.buildJobs(next, previous));
    for (const j of previous) {
      if (!this.jobs.includes(j)) j.retire();
      if (!this.enabled.has(j.name)) this.withdraw(j.name);
    }
    this.selfJob = this.makeSelfJob();
    this.reloadState = { successful: true, lastSuccessMs: Date.now() };
    await this.schedule();
    await this.selfJob.run();
  }

  private schedule(): Promise<void> {
    const enabled = this.jobs.filter((j) => j.settings.enabled);
    this.scheduler = new Scheduler([...enabled, this.selfJob], this.planFor);
    return this.scheduler.start();
  }

  /**
   * How often and when a job runs now: at the period of the scrapers learned unless its interval
   * is pinned, just before their scrapes when it can serve them (see scrape-phase.ts), else at
   * a phase spread by a hash of its name.
   */
  private readonly planFor = (job: ScheduledJob): Plan => {
    const collector = job instanceof CollectorJob ? job : undefined;
    const own = (job.schedule as { ms: number }).ms;
    const follow = collector ? collector.settings.followScrapes : this.config.selfMetrics.followScrapes;
    const lock = collector ? collector.settings.phaseLock : this.config.selfMetrics.phaseLock;
    const scrapers = follow || lock ? this.scrapes.scrapers(Date.now()) : [];
    const intervalMs = (follow ? followedIntervalMs(scrapers, this.config.minIntervalMs) : undefined) ?? own;
    // Self-metrics run after the collectors (whose lead is at least 1 s), so they show those runs.
    const lead = collector ? collector.leadMs(intervalMs) : Math.min(SELF_LEAD_MS, intervalMs / 4);
    const locked = lock ? lockedOffsetMs(intervalMs, scrapers, lead) : undefined;
    if (collector) {
      collector.status.phaseLocked = locked !== undefined;
      collector.status.intervalMs = intervalMs;
    }
    return { intervalMs, offsetMs: locked ?? phaseOffsetMs(job.name, intervalMs) };
  };

  private makeSelfJob(): SelfMetricsJob {
    const ms = this.config.selfMetrics.intervalMs;
    return new SelfMetricsJob(this, this.runtime, { kind: 'interval', ms: Math.max(1000, ms - (ms % 1000)), text: `${ms}ms` }, this.logger);
  }

  private buildJobs(config: Config, previous: readonly CollectorJob[]): CollectorJob[] {
    const byKey = new Map(previous.map((j) => [j.key, j]));
    return config.collectors.map((s) => {
      const key = JSON.stringify([
        s.definition.name,
        s.enabled,
        s.schedule.text,
        s.timeoutMs,
        s.phaseLock,
        s.sampleTimestamps,
        s.maxSeries,
        s.options,
        config.paths,
      ]);
      const kept = byKey.get(key);
      if (kept && kept.settings.definition === s.definition) return kept;
      return new CollectorJob(s, key, this, this.logger.child({ collector: s.definition.name }));
    });
  }
}
