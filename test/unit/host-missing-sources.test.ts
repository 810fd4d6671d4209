import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, machine, release, tmpdir, type, version } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import netdev from '../../collectors/host/netdev.js';
import uname from '../../collectors/host/uname.js';
import { collectHostOnce } from '../helpers/host-collect.js';

/**
 * A procfs without the files node_exporter does not read from procfs (it asks rtnetlink and
 * uname(2)), as in node_exporter's own end-to-end fixture: no collector fails over it.
 */
describe('host collectors over a procfs without net/dev or sys/kernel', () => {
  const procfs = mkdtempSync(join(tmpdir(), 'spyglass-bare-proc-'));
  after(() => rmSync(procfs, { recursive: true, force: true }));

  it('netdev: no /proc/net/dev is no data, not a failure', async () => {
    const { families, skipped } = await collectHostOnce(netdev, { procfs });
    assert.deepEqual(families, []);
    assert.deepEqual(skipped, []);
  });

  it("uname: no /proc/sys/kernel gives uname(2)'s answer, as node_exporter does", async () => {
    const { families } = await collectHostOnce(uname, { procfs });
    const labels = families.find((f) => f.name === 'node_uname_info')?.samples[0]?.labels;
    assert.deepEqual(labels, { sysname: type(), release: release(), version: version(), machine: machine(), nodename: hostname(), domainname: '(none)' });
  });
});
