import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { cliPath, freePort, waitFor } from './helpers/spyglass.js';

describe('as PID 1', () => {
  it('shuts down on SIGTERM inside a new PID namespace (where the kernel has no default action)', async () => {
    const port = await freePort();
    const unshare = spawn('unshare', ['--pid', '--fork', process.execPath, cliPath, 'serve', `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    unshare.stderr.on('data', (d) => (logs += d));
    const exited = once(unshare, 'exit');
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 10000, 'ready');
      const hostPid = Number(execFileSync('pgrep', ['-P', String(unshare.pid)], { encoding: 'utf8' }).trim());
      const nsPid = execFileSync('awk', ['/^NSpid/ {print $NF}', `/proc/${hostPid}/status`], { encoding: 'utf8' }).trim();
      assert.equal(nsPid, '1', 'spyglass is PID 1 in its namespace');
      process.kill(hostPid, 'SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, logs);
      assert.match(logs, /"signal":"SIGTERM"/);
    } finally {
      unshare.kill('SIGKILL');
    }
  });
});
