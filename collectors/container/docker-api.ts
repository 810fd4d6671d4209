import http from 'node:http';

export type InspectAnswer = { status: 'found'; body: unknown } | { status: 'missing' } | { status: 'failed'; error: string };

const MAX_BODY_BYTES = 4 << 20;

/**
 * `GET /containers/{id}/json` from the Docker Engine API on a unix socket (`unix:///var/run/docker.sock`).
 * Never throws: a socket that hangs, refuses or answers garbage is a `failed` answer within `timeoutMs`.
 */
export function dockerInspect(host: string, id: string, timeoutMs: number, signal: AbortSignal): Promise<InspectAnswer> {
  const socketPath = host.replace(/^unix:\/\//, '');
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: `/containers/${encodeURIComponent(id)}/json`, timeout: timeoutMs, signal, headers: { host: 'docker' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (res.statusCode === 404) return resolve({ status: 'missing' });
        if (res.statusCode !== 200) return resolve({ status: 'failed', error: `HTTP ${res.statusCode}` });
        try {
          resolve({ status: 'found', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          resolve({ status: 'failed', error: `invalid JSON: ${(err as Error).message}` });
        }
      });
      res.on('error', (err) => resolve({ status: 'failed', error: err.message }));
    });
    // `timeout` only covers idle sockets; this bounds the whole exchange.
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 'failed', error: err.message }));
  });
}
