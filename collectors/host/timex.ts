import { counter, defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { loadNativeAddon } from '../../src/native-addon.js';

/** struct timex as the native addon returns it (native/timex.c), plus adjtimex's return value. */
export interface RawTimex {
  state: number;
  offset: number;
  freq: number;
  maxerror: number;
  esterror: number;
  status: number;
  constant: number;
  tick: number;
  ppsfreq: number;
  jitter: number;
  shift: number;
  stabil: number;
  jitcnt: number;
  calcnt: number;
  errcnt: number;
  stbcnt: number;
  tai: number;
}

const TIME_ERROR = 5; // adjtimex's return value while the clock is unsynchronised
const STA_NANO = 0x2000; // offset and jitter are in ns rather than µs
/** freq, ppsfreq and stabil are ppm with a 16-bit binary fraction (adjtimex(2), NOTES). */
const PPM16 = 1e6 * 65536;

export function timexFamilies(t: RawTimex): MetricFamily[] {
  const divisor = t.status & STA_NANO ? 1e9 : 1e6;
  const g = (name: string, help: string, value: number) => gauge(`node_timex_${name}`, help, [{ value }]);
  const c = (name: string, help: string, value: number) => counter(`node_timex_${name}`, help, [{ value }]);
  return [
    g('sync_status', 'Is clock synchronized to a reliable server (1 = yes, 0 = no).', t.state === TIME_ERROR ? 0 : 1),
    g('offset_seconds', 'Time offset in between local system and reference clock.', t.offset / divisor),
    g('frequency_adjustment_ratio', 'Local clock frequency adjustment.', 1 + t.freq / PPM16),
    g('maxerror_seconds', 'Maximum error in seconds.', t.maxerror / 1e6),
    g('estimated_error_seconds', 'Estimated error in seconds.', t.esterror / 1e6),
    g('status', 'Value of the status array bits.', t.status),
    g('loop_time_constant', 'Phase-locked loop time constant.', t.constant),
    g('tick_seconds', 'Seconds between clock ticks.', t.tick / 1e6),
    g('pps_frequency_hertz', 'Pulse per second frequency.', t.ppsfreq / PPM16),
    g('pps_jitter_seconds', 'Pulse per second jitter.', t.jitter / divisor),
    g('pps_shift_seconds', 'Pulse per second interval duration.', t.shift),
    g('pps_stability_hertz', 'Pulse per second stability, average of recent frequency changes.', t.stabil / PPM16),
    c('pps_jitter_total', 'Pulse per second count of jitter limit exceeded events.', t.jitcnt),
    c('pps_calibration_total', 'Pulse per second count of calibration intervals.', t.calcnt),
    c('pps_error_total', 'Pulse per second count of calibration errors.', t.errcnt),
    c('pps_stability_exceeded_total', 'Pulse per second count of stability limit exceeded events.', t.stbcnt),
    g('tai_offset_seconds', 'International Atomic Time (TAI) offset.', t.tai),
  ];
}

type Addon = { readTimex(): RawTimex };

let addon: Addon | Error | undefined;

export default defineCollector({
  name: 'timex',
  description: 'Kernel clock discipline (NTP) state from adjtimex(2), through a small native addon',
  enabledByDefault: true,
  group: 'host',
  collect() {
    addon ??= loadNativeAddon<Addon>('timex');
    if (addon instanceof Error) throw addon;
    let raw: RawTimex;
    try {
      raw = addon.readTimex();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') return []; // seccomp/LSM refuses it: no data, as node_exporter
      throw err;
    }
    return timexFamilies(raw);
  },
});
