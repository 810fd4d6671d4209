/**
 * node_exporter's command line (1.5 to 1.9, as its `--help` lists it) and blackbox_exporter's, so
 * that a unit file's flags carry over: what spyglass has no counterpart for is named here with the
 * reason it is ignored.
 */

/** Collectors of node_exporter that spyglass does not have (flag names, as node_exporter spells them). */
export const NODE_EXPORTER_ONLY_COLLECTORS: ReadonlySet<string> = new Set([
  'buddyinfo',
  'cgroups',
  'devstat',
  'drbd',
  'drm',
  'ethtool',
  'ksmd',
  'lnstat',
  'logind',
  'netclass_rtnl',
  'network_route',
  'ntp',
  'perf',
  'qdisc',
  'runit',
  'slabinfo',
  'supervisord',
  'sysctl',
  'tcpstat',
  'wifi',
  'zoneinfo',
  // The option prefix node_exporter uses for qdisc.
  'qdisk',
]);

/**
 * Option prefixes node_exporter uses that differ from the collector's name:
 * `--collector.powersupply.ignored-supplies` sets an option of `powersupplyclass`.
 */
export const NODE_EXPORTER_OPTION_PREFIXES: Readonly<Record<string, string>> = {
  powersupply: 'powersupplyclass',
};

export interface IgnoredFlag {
  /** Takes no value (kingpin's boolean flags, which also have a `--no-` form). */
  boolean: boolean;
  reason: string;
}

/** Flags of node_exporter with no meaning in spyglass, without the leading `--`. */
export const IGNORED_NODE_EXPORTER_FLAGS: Readonly<Record<string, IgnoredFlag>> = {
  'runtime.gomaxprocs': { boolean: false, reason: "it sets Go's thread count; spyglass runs JavaScript on one thread and sizes its helper threads itself" },
  'web.systemd-socket': { boolean: true, reason: 'systemd socket activation is not supported; spyglass opens its own socket on --web.listen-address' },
  'collector.netdev.netlink': { boolean: true, reason: 'spyglass reads /proc/net/dev, which holds the same counters' },
  'collector.netdev.address-info': { boolean: true, reason: 'spyglass does not emit node_network_address_info yet' },
  'collector.netdev.enable-detailed-metrics': { boolean: true, reason: "spyglass does not emit netdev's detailed metrics yet" },
  // blackbox_exporter's.
  'history.limit': { boolean: false, reason: 'spyglass keeps no page of past probes; debug=true on /probe shows one probe in full' },
  'log.prober': { boolean: false, reason: "a probe's own log is on /probe?debug=true, and at --log.level=debug" },
  'web.route-prefix': { boolean: false, reason: 'spyglass serves its paths at the root' },
  'web.external-url': { boolean: false, reason: 'spyglass serves its paths at the root and links relatively' },
};

/**
 * node_exporter flags whose dotted name would read as an option of a mapping (`info.flags-include`
 * as option flags_include of `info`), while spyglass's option is flat because `info` is a switch
 * of its own: `--collector.COLLECTOR.OPTION` (dashes as underscores) → the option's name.
 */
export const RENAMED_NODE_EXPORTER_OPTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  cpu: { 'info.flags_include': 'info_flags_include', 'info.bugs_include': 'info_bugs_include' },
};

/** Whether a `--collector.NAME...` flag names a node_exporter collector spyglass does not have. */
export function nodeExporterOnly(collector: string): boolean {
  return NODE_EXPORTER_ONLY_COLLECTORS.has(collector);
}
