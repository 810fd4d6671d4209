/**
 * node_exporter's device include/exclude semantics: the two are mutually exclusive, and setting
 * an include replaces the default exclude. Patterns are unanchored, as Go's MatchString.
 */
export interface DeviceFilterOptions {
  device_include?: string;
  device_exclude?: string;
}

export function deviceFilter(opts: DeviceFilterOptions, defaultExclude: string): (device: string) => boolean {
  if (opts.device_include !== undefined && opts.device_exclude !== undefined) {
    throw new Error('device_include and device_exclude are mutually exclusive');
  }
  if (opts.device_include !== undefined) {
    const include = new RegExp(opts.device_include);
    return (d) => include.test(d);
  }
  const pattern = opts.device_exclude ?? defaultExclude;
  if (pattern === '') return () => true;
  const exclude = new RegExp(pattern);
  return (d) => !exclude.test(d);
}

export const DEVICE_FILTER_OPTIONS = {
  device_include: { type: 'string', format: 'regex', description: 'Regexp of devices to include (replaces the default exclude)' },
  device_exclude: { type: 'string', format: 'regex', description: 'Regexp of devices to exclude' },
};
