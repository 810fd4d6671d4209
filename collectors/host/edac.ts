import { join } from 'node:path';
import { counter, defineCollector, type Sample } from '../../src/collector.js';
import { readOptionalDir } from '../../src/fs/procfs.js';
import { readSysfsAttribute, readSysfsUint, type SkipFn } from '../../src/fs/sysfs-attribute.js';

const MC = 'devices/system/edac/mc';

/** `chN_dimm_label` as node_exporter shows it: `#` removed, `_` put before `csrow` and `channel`; `unknown` when unreadable. */
function dimmLabel(sysfs: string, csrow: string, channel: string, skip: SkipFn): string {
  const text = readSysfsAttribute(sysfs, join(csrow, `ch${channel}_dimm_label`), skip);
  if (text === undefined) return 'unknown';
  return text.trim().replaceAll('#', '').replaceAll('csrow', '_csrow').replaceAll('channel', '_channel');
}

/** Numbered entries `<prefix>N…` of a directory, N being the leading digits, in numeric order. */
function numbered(sysfs: string, relative: string, prefix: string): Array<[name: string, number: string]> {
  return readOptionalDir(sysfs, relative)
    .map((name) => [name, new RegExp(`^${prefix}(\\d+)`).exec(name)?.[1]] as const)
    .filter((e): e is readonly [string, string] => e[1] !== undefined)
    .map(([name, n]) => [name, n] as [string, string])
    .sort((a, b) => Number(a[1]) - Number(b[1]) || (a[0] < b[0] ? -1 : 1));
}

export default defineCollector({
  name: 'edac',
  description: 'Correctable and uncorrectable memory errors per memory controller, csrow and channel from /sys/devices/system/edac/mc',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const skip: SkipFn = (r, d) => ctx.skip(r, d);
    const sysfs = ctx.paths.sysfs;
    const ce: Sample[] = [];
    const ue: Sample[] = [];
    const csrowCe: Sample[] = [];
    const csrowUe: Sample[] = [];
    const channelCe: Sample[] = [];
    const channelUe: Sample[] = [];
    const uint = (relative: string) => readSysfsUint(sysfs, relative, skip);
    const add = (to: Sample[], labels: Record<string, string>, value: number | undefined) => {
      if (value !== undefined) to.push({ labels, value });
    };

    for (const [mc, controller] of numbered(sysfs, MC, 'mc')) {
      const dir = join(MC, mc);
      add(ce, { controller }, uint(join(dir, 'ce_count')));
      add(csrowCe, { controller, csrow: 'unknown' }, uint(join(dir, 'ce_noinfo_count')));
      add(ue, { controller }, uint(join(dir, 'ue_count')));
      add(csrowUe, { controller, csrow: 'unknown' }, uint(join(dir, 'ue_noinfo_count')));
      for (const [row, csrow] of numbered(sysfs, dir, 'csrow')) {
        const rowDir = join(dir, row);
        add(csrowCe, { controller, csrow }, uint(join(rowDir, 'ce_count')));
        add(csrowUe, { controller, csrow }, uint(join(rowDir, 'ue_count')));
        const channels = readOptionalDir(sysfs, rowDir)
          .map((f) => /^ch(\d+)_ce_count$/.exec(f)?.[1])
          .filter((c): c is string => c !== undefined)
          .sort((a, b) => Number(a) - Number(b));
        for (const channel of channels) {
          const labels = { controller, csrow, channel, dimm_label: dimmLabel(sysfs, rowDir, channel, skip) };
          add(channelCe, labels, uint(join(rowDir, `ch${channel}_ce_count`)));
          add(channelUe, labels, uint(join(rowDir, `ch${channel}_ue_count`))); // not every driver has it
        }
      }
    }
    return [
      counter('node_edac_correctable_errors_total', 'Total correctable memory errors.', ce),
      counter('node_edac_uncorrectable_errors_total', 'Total uncorrectable memory errors.', ue),
      counter('node_edac_csrow_correctable_errors_total', 'Total correctable memory errors for this csrow.', csrowCe),
      counter('node_edac_csrow_uncorrectable_errors_total', 'Total uncorrectable memory errors for this csrow.', csrowUe),
      counter('node_edac_channel_correctable_errors_total', 'Total correctable memory errors for this channel.', channelCe),
      counter('node_edac_channel_uncorrectable_errors_total', 'Total uncorrectable memory errors for this channel.', channelUe),
    ].filter((f) => f.samples.length > 0);
  },
});
