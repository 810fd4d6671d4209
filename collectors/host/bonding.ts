import { join } from 'node:path';
import { defineCollector, gauge, type Sample } from '../../src/collector.js';
import { readOptionalPseudoFile, readPseudoFile } from '../../src/fs/procfs.js';
import { parseInterfaceList } from '../../src/parsers/sysfs-bonding.js';

/** A slave's MII status: through `lower_<slave>` (current kernels) or `slave_<slave>` (older ones). */
function miiStatus(sysfs: string, master: string, slave: string): string {
  const status = readOptionalPseudoFile(sysfs, join('class/net', master, `lower_${slave}`, 'bonding_slave/mii_status'));
  return (status ?? readPseudoFile(sysfs, join('class/net', master, `slave_${slave}`, 'bonding_slave/mii_status'))).trim();
}

export default defineCollector({
  name: 'bonding',
  description: 'Slaves configured and up per bonding interface, from /sys/class/net (node_bonding_*)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const list = readOptionalPseudoFile(ctx.paths.sysfs, 'class/net/bonding_masters');
    if (list === undefined) return []; // bonding driver not loaded
    const masters = parseInterfaceList(list);
    for (const word of masters.invalid) ctx.skip('invalid interface name', `class/net/bonding_masters: ${JSON.stringify(word)}`);
    const slaves: Sample[] = [];
    const active: Sample[] = [];
    for (const master of [...new Set(masters.names)].sort()) {
      try {
        const own = parseInterfaceList(readPseudoFile(ctx.paths.sysfs, join('class/net', master, 'bonding/slaves')));
        if (own.invalid.length) throw new Error(`bonding/slaves: not an interface name: ${JSON.stringify(own.invalid[0])}`);
        let up = 0;
        for (const slave of own.names) if (miiStatus(ctx.paths.sysfs, master, slave) === 'up') up++;
        slaves.push({ labels: { master }, value: own.names.length });
        active.push({ labels: { master }, value: up });
      } catch (err) {
        // A bond that goes away between the list and the read, or whose files cannot be read:
        // left out (a partial count would look like a down slave) and counted.
        ctx.skip('unreadable bond', `class/net/${master}: ${(err as Error).message}`);
      }
    }
    return [
      gauge('node_bonding_active', 'Slaves of the bonding interface whose MII status is up.', active),
      gauge('node_bonding_slaves', 'Slaves configured on the bonding interface.', slaves),
    ];
  },
});
