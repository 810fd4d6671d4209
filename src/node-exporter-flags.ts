/**
 * node_exporter's command line (1.5 to 1.9, as its `--help` lists it) and blackbox_exporter's, so
 * that a unit file's flags carry over: what spyglass has no counterpart for is named here with the
 * reason it is ignored.
 */

/** Collectors of node_exporter that spyglass does not have (flag names, as node_exporter spells them). */
export const NODE_EXPORTER_ONLY_COLLECTORS: ReadonlySet<string> = new Set([
  'bcache',
  'btrfs',
  'buddyinfo',
  'cgroups',
  'cpufreq',
  'devstat',
  'drbd',
  'drm',
  'edac',
  'ethtool',
  'fibrechannel',
  'infiniband',
  'interrupts',
  'ipvs',
  'ksmd',
  'lnstat',
  'logind',
  'meminfo_numa',
  'mountstats',
  'netclass_rtnl',
  'network_route',
  'nfs',
  'nfsd',
  'ntp',
  'nvme',
  'perf',
  'powersupplyclass',
  'qdisc',
  'rapl',
  'runit',
  'schedstat',
  'slabinfo',
  'softirqs',
  'supervisord',
  'sysctl',
  'systemd',
  'tapestats',
  'tcpstat',
  'wifi',
  'xfs',
  'zfs',
  'zoneinfo',
  // Option prefixes node_exporter uses for two of them.
  'powersupply',
  'qdisk',
]);

export interface IgnoredFlag {
  /** Takes no value (kingpin's boolean flags, which also have a `--no-` form). */
  boolean: boolean;
  reason: string;
}

/** Flags of node_exporter with no meaning in spyglass, without the leading `--`. */
export const IGNORED_NODE_EXPORTER_FLAGS: Readonly<Record<string, IgnoredFlag>> = {
  'runtime.gomaxprocs': { boolean: false, reason: "it sets Go's thread count; spyglass runs JavaScript on one thread and sizes its helper threads itself" },
  'web.systemd-socket': { boolean: true, reason: 'systemd socket activation is not supported; spyglass opens its own socket on --web.listen-address' },
  'collector.cpu.info': { boolean: true, reason: 'spyglass does not emit node_cpu_info yet' },
  'collector.cpu.info.flags-include': { boolean: false, reason: 'spyglass does not emit node_cpu_info yet' },
  'collector.cpu.info.bugs-include': { boolean: false, reason: 'spyglass does not emit node_cpu_info yet' },
  'collector.netdev.netlink': { boolean: true, reason: 'spyglass reads /proc/net/dev, which holds the same counters' },
  'collector.netdev.address-info': { boolean: true, reason: 'spyglass does not emit node_network_address_info yet' },
  'collector.netdev.enable-detailed-metrics': { boolean: true, reason: "spyglass does not emit netdev's detailed metrics yet" },
  'collector.stat.softirq': { boolean: true, reason: 'spyglass does not emit node_softirqs_total yet' },
  // blackbox_exporter's.
  'history.limit': { boolean: false, reason: 'spyglass keeps no page of past probes; debug=true on /probe shows one probe in full' },
  'log.prober': { boolean: false, reason: "a probe's own log is on /probe?debug=true, and at --log.level=debug" },
  'web.route-prefix': { boolean: false, reason: 'spyglass serves its paths at the root' },
  'web.external-url': { boolean: false, reason: 'spyglass serves its paths at the root and links relatively' },
};

/** Whether a `--collector.NAME...` flag names a node_exporter collector spyglass does not have. */
export function nodeExporterOnly(collector: string): boolean {
  return NODE_EXPORTER_ONLY_COLLECTORS.has(collector);
}
