import si from 'systeminformation';
import { defineCollector, gauge, type MetricFamily } from '../../src/collector.js';

/** systeminformation prints "-" for values it could not find; a label of "" says the same plainly. */
const text = (v: unknown) => (v === undefined || v === null || v === '-' ? '' : String(v));

export function inventoryFamilies(cpu: si.Systeminformation.CpuData, system: si.Systeminformation.SystemData): MetricFamily[] {
  const families: MetricFamily[] = [
    gauge('node_inventory_cpu_info', 'CPU model, constant 1 (systeminformation, read once at start-up).', [
      {
        labels: {
          vendor: text(cpu.vendor),
          manufacturer: text(cpu.manufacturer),
          brand: text(cpu.brand),
          family: text(cpu.family),
          model: text(cpu.model),
          stepping: text(cpu.stepping),
        },
        value: 1,
      },
    ]),
    gauge(
      'node_inventory_cpu_cores',
      'CPU cores by kind: logical (hardware threads), physical, performance and efficiency.',
      [
        { labels: { kind: 'logical' }, value: cpu.cores },
        { labels: { kind: 'physical' }, value: cpu.physicalCores },
        { labels: { kind: 'performance' }, value: cpu.performanceCores },
        { labels: { kind: 'efficiency' }, value: cpu.efficiencyCores },
      ].filter((s): s is { labels: { kind: string }; value: number } => Number.isFinite(s.value)),
    ),
    gauge('node_inventory_cpu_sockets', 'Populated CPU sockets.', [{ value: cpu.processors }]),
    gauge(
      'node_inventory_cpu_cache_bytes',
      'CPU cache size per level (l1d, l1i, l2, l3).',
      Object.entries(cpu.cache ?? {})
        .filter(([, v]) => Number(v) > 0)
        .map(([level, v]) => ({ labels: { level }, value: Number(v) })),
    ),
    gauge('node_inventory_system_info', 'Machine identity, constant 1; virtual="true" on a VM or container, virtual_host names the hypervisor.', [
      {
        labels: {
          manufacturer: text(system.manufacturer),
          model: text(system.model),
          version: text(system.version),
          sku: text(system.sku),
          virtual: String(Boolean(system.virtual)),
          virtual_host: text(system.virtualHost),
        },
        value: 1,
      },
    ]),
  ];
  if (cpu.speedMax > 0) families.push(gauge('node_inventory_cpu_max_frequency_hertz', 'Highest CPU clock the CPU reports.', [{ value: cpu.speedMax * 1e9 }]));
  return families.filter((f) => f.samples.length > 0);
}

/**
 * systeminformation runs lscpu and dmidecode as child processes (its lib/cpu.js and
 * lib/system.js, https://github.com/sebhildebrandt/systeminformation; measured for si.cpu():
 * ~24 ms of wall time and 13 ms of child CPU per call; collectors/host/inventory.README.md), so it
 * runs once per process; later runs serve the result.
 */
let inventory: Promise<MetricFamily[]> | undefined;

export default defineCollector({
  name: 'inventory',
  description: 'CPU and machine inventory from systeminformation, read once at start-up (never on the schedule)',
  enabledByDefault: true,
  group: 'host',
  collect() {
    inventory ??= Promise.all([si.cpu(), si.system()]).then(([cpu, system]) => inventoryFamilies(cpu, system));
    return inventory;
  },
});
