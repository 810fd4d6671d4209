import { defineCollector, gauge, type Sample } from '../../src/collector.js';
import { readOptionalDir, readPseudoFileOnce } from '../../src/fs/procfs.js';

const DIR = 'devices/system/cpu/vulnerabilities';
const STATES = ['not affected', 'vulnerable', 'mitigation', 'unknown'] as const;

/**
 * One file of /sys/devices/system/cpu/vulnerabilities (Documentation/ABI/testing/sysfs-devices-system-cpu):
 * `Not affected`, `Vulnerable[: how]`, `Mitigation: how` or `Unknown: why`. The state is its first
 * word(s), lower case, the mitigation the words after the first; text in none of these forms is
 * state `unknown` with the whole text as mitigation, as node_exporter (procfs) reads it.
 */
export function parseVulnerability(text: string): { state: string; mitigation: string } {
  const raw = text.trim();
  const state = STATES.find((s) => raw.toLowerCase().startsWith(s));
  if (state === undefined) return { state: 'unknown', mitigation: raw };
  if (state === 'not affected') return { state, mitigation: '' };
  return { state, mitigation: raw.split(/\s+/).slice(1).join(' ') };
}

export default defineCollector({
  name: 'cpu_vulnerabilities',
  description: 'CPU vulnerabilities and their mitigations from /sys/devices/system/cpu/vulnerabilities',
  enabledByDefault: false,
  group: 'host',
  collect(ctx) {
    const samples: Sample[] = [];
    for (const codename of readOptionalDir(ctx.paths.sysfs, DIR).sort()) {
      let text: string;
      try {
        text = readPseudoFileOnce(ctx.paths.sysfs, `${DIR}/${codename}`);
      } catch (err) {
        ctx.skip('unreadable file', `/sys/${DIR}/${codename}: ${(err as Error).message}`);
        continue;
      }
      const { state, mitigation } = parseVulnerability(text);
      samples.push({ labels: { codename, state, mitigation }, value: 1 });
    }
    return [
      gauge(
        'node_cpu_vulnerabilities_info',
        'Details of each CPU vulnerability reported by sysfs: its state (not affected, vulnerable, mitigation, unknown) and mitigation as labels; the value is always 1.',
        samples,
      ),
    ];
  },
});
