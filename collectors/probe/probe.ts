/**
 * The `probe` collector: probes service targets on their own schedules (see probe-runner.ts) and
 * publishes what the probes found each time the engine runs it, by default just before each
 * scrape. Under `spyglass dump` it probes every target once instead.
 */
import { defineCollector, type CollectorLogger } from '../../src/collector.js';
import { ProbeEndpoint, text } from './probe-endpoint.js';
import { ProbeRunner } from './probe-runner.js';
import {
  moduleTable,
  normalizeOptions,
  PROBE_OPTIONS_SCHEMA,
  targetDefaults,
  validateOptions,
  type ProbeOptions,
  type RawProbeOptions,
} from './probe-options.js';

/** How long the first run waits for the first probes of every target. */
const FIRST_ROUND_WAIT_MS = 5000;

interface State {
  runner?: ProbeRunner;
  starting?: Promise<ProbeRunner>;
  endpoint?: ProbeEndpoint;
}

export default defineCollector<RawProbeOptions, State>({
  name: 'probe',
  description: 'Service latency and availability: blackbox_exporter probes (http, tcp, dns, grpc, icmp) on a schedule, with latency histograms',
  enabledByDefault: true,
  group: 'probe',
  seriesGroupLabel: 'target',
  stableLabels: true,
  options: PROBE_OPTIONS_SCHEMA,
  validate: validateOptions,
  initialState: () => ({}),
  async collect(ctx) {
    const options = normalizeOptions(ctx.config);
    if (ctx.once) {
      const runner = await newRunner(options, ctx.logger);
      ctx.state.runner = runner;
      await runner.probeAllOnce(ctx.signal);
      return runner.families();
    }
    ctx.state.starting ??= newRunner(options, ctx.logger).then(async (runner) => {
      ctx.state.runner = runner;
      runner.onFirstResult = ctx.runSoon;
      await runner.start();
      // Within the run's deadline (10 s by default), so a slow target cannot turn it into a timeout.
      await runner.firstRound(FIRST_ROUND_WAIT_MS);
      return runner;
    });
    return (await ctx.state.starting).families();
  },
  dispose(state) {
    // A scheduled runner may still be starting; a dump's runner is already there.
    if (state.starting) void state.starting.then((r) => r.stop());
    else state.runner?.stop();
  },
  statusTable(state) {
    return state.runner?.statusTable();
  },
  routes: {
    async '/probe'(request, { config, state, logger }) {
      if (!state.endpoint) {
        const runner = await state.starting;
        if (!runner) return text(503, 'the probe collector has not started yet\n');
        state.endpoint ??= new ProbeEndpoint(config.endpoint ?? {}, runner.modules);
      }
      return state.endpoint.answer(request, logger);
    },
  },
});

async function newRunner(options: ProbeOptions, logger: CollectorLogger): Promise<ProbeRunner> {
  const { modules } = await moduleTable(options);
  return new ProbeRunner(options, modules, targetDefaults(options), logger);
}
