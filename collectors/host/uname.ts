import { machine } from 'node:os';
import { defineCollector, gauge } from '../../src/collector.js';
import { readPseudoFile } from '../../src/fs/procfs.js';

/** uname(2) fields as /proc/sys/kernel shows them to this process (its UTS namespace, like the syscall). */
export default defineCollector({
  name: 'uname',
  description: 'Kernel and host identity as uname(2) reports it (node_uname_info)',
  enabledByDefault: true,
  group: 'host',
  collect(ctx) {
    const kernel = (file: string) => readPseudoFile(ctx.paths.procfs, `sys/kernel/${file}`).replace(/\n$/, '');
    const labels = {
      sysname: kernel('ostype'),
      release: kernel('osrelease'),
      version: kernel('version'),
      machine: machine(),
      nodename: kernel('hostname'),
      domainname: kernel('domainname'),
    };
    return [gauge('node_uname_info', 'Labeled system information as provided by the uname system call.', [{ labels, value: 1 }])];
  },
});
