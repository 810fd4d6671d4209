import { join } from 'node:path';
import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseSelinuxConfigMode, SELINUX_MODES } from '../../src/parsers/selinux-config.js';

/**
 * SELinux is enabled when selinuxfs is mounted (under sysfs at fs/selinux) and this process runs
 * with a label other than "kernel" — the same test libselinux and node_exporter make.
 */
export default defineCollector({
  name: 'selinux',
  description: 'SELinux enabled, current and configured enforcement mode',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const enforce = readOptionalPseudoFile(ctx.paths.sysfs, 'fs/selinux/enforce');
    const label = enforce === undefined ? undefined : readOptionalPseudoFile(ctx.paths.procfs, 'self/attr/current');
    const enabled = label !== undefined && label.replace(/\0/g, '').trim() !== 'kernel';
    const families: MetricFamily[] = [gauge('node_selinux_enabled', 'SELinux is enabled, 1 is true, 0 is false', [{ value: enabled ? 1 : 0 }])];
    if (!enabled) return families;
    const current = Number((enforce as string).trim());
    if (!Number.isInteger(current)) throw new Error(`${join(ctx.paths.sysfs, 'fs/selinux/enforce')}: expected 0 or 1, got ${JSON.stringify(enforce)}`);
    const config = readOptionalPseudoFile(ctx.paths.rootfs, 'etc/selinux/config');
    // No config file or no SELINUX= line counts as disabled, as in libselinux.
    const configured = (config === undefined ? undefined : parseSelinuxConfigMode(config)) ?? SELINUX_MODES.disabled;
    families.push(gauge('node_selinux_config_mode', 'Configured SELinux enforcement mode', [{ value: configured as number }]));
    families.push(gauge('node_selinux_current_mode', 'Current SELinux enforcement mode', [{ value: current }]));
    return families;
  },
});
