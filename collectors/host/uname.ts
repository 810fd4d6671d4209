import { hostname, machine, release, type, version } from 'node:os';
import { defineCollector, gauge } from '../../src/collector.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';

/**
 * uname(2) fields as /proc/sys/kernel shows them to this process (its UTS namespace, like the
 * syscall); where --path.procfs has no sys/kernel (a fixture tree), the syscall's own answer
 * through Node, as node_exporter gives it.
 */
export default defineCollector({
  name: 'uname',
  description: 'Kernel and host identity as uname(2) reports it (node_uname_info)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const kernel = (file: string, fallback: () => string) => readOptionalPseudoFile(ctx.paths.procfs, `sys/kernel/${file}`)?.replace(/\n$/, '') ?? fallback();
    const labels = {
      sysname: kernel('ostype', type),
      release: kernel('osrelease', release),
      version: kernel('version', version),
      machine: machine(),
      nodename: kernel('hostname', hostname),
      // Node does not expose the NIS domain; uname(2) says "(none)" when it is unset.
      domainname: kernel('domainname', () => '(none)'),
    };
    return [gauge('node_uname_info', 'Labeled system information as provided by the uname system call.', [{ labels, value: 1 }])];
  },
});
