/**
 * Preloaded into a benchmarked spyglass (NODE_OPTIONS=--import=…/loop-monitor.js): records the
 * event-loop delay at 10 ms resolution; on SIGUSR2 writes {p50, p99, max, count} in ms to
 * $LOOP_MONITOR_FILE and starts a new window.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
process.on('SIGUSR2', () => {
  const ms = (ns: number) => ns / 1e6;
  const window = { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), count: histogram.count };
  writeFileSync(process.env.LOOP_MONITOR_FILE as string, JSON.stringify(window));
  histogram.reset();
});
