import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';
import { parseOsRelease } from '../../src/parsers/os-release.js';

const INFO_LABELS: Record<string, string> = {
  build_id: 'BUILD_ID',
  id: 'ID',
  id_like: 'ID_LIKE',
  image_id: 'IMAGE_ID',
  image_version: 'IMAGE_VERSION',
  name: 'NAME',
  pretty_name: 'PRETTY_NAME',
  variant: 'VARIANT',
  variant_id: 'VARIANT_ID',
  version: 'VERSION',
  version_codename: 'VERSION_CODENAME',
  version_id: 'VERSION_ID',
};

export default defineCollector({
  name: 'os',
  description: 'Operating system from os-release under the rootfs (node_os_info, node_os_version)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const text = readOptionalPseudoFile(ctx.paths.rootfs, 'etc/os-release') ?? readOptionalPseudoFile(ctx.paths.rootfs, 'usr/lib/os-release');
    if (text === undefined) return []; // no os-release: no data
    const parsed = parseOsRelease(text);
    if (!parsed.ok) throw new Error(`${ctx.paths.rootfs} ${parsed.error}`);
    const env = parsed.value;
    const labels = Object.fromEntries(Object.entries(INFO_LABELS).map(([label, key]) => [label, env.get(key) ?? '']));
    const families: MetricFamily[] = [
      gauge(
        'node_os_info',
        "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
        [{ labels, value: 1 }],
      ),
    ];
    const majorMinor = /^[0-9]+\.?[0-9]*/.exec(env.get('VERSION_ID') ?? '')?.[0];
    const version = majorMinor ? Number(majorMinor) : 0;
    if (version > 0) {
      families.push(
        gauge('node_os_version', 'Metric containing the major.minor part of the OS version.', [
          { labels: { id: labels.id ?? '', id_like: labels.id_like ?? '', name: labels.name ?? '' }, value: version },
        ]),
      );
    }
    const supportEnd = env.get('SUPPORT_END');
    if (supportEnd && /^\d{4}-\d{2}-\d{2}$/.test(supportEnd)) {
      families.push(
        gauge(
          'node_os_support_end_timestamp_seconds',
          'Metric containing the end-of-life date timestamp of the OS.',
          [{ value: Date.parse(`${supportEnd}T00:00:00Z`) / 1000 }],
          'seconds',
        ),
      );
    }
    return families;
  },
});
