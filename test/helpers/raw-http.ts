import net from 'node:net';

/** Sends raw bytes and collects whatever comes back until the server closes or `waitMs` passes. */
export function rawRequest(port: number, payload: string | Buffer, waitMs = 3000): Promise<{ response: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let response = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ response, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (d) => (response += d.toString('latin1')));
    sock.on('close', () => done(true));
    sock.on('error', () => undefined);
  });
}

/** Opens a connection (from `localAddress`, another loopback address for another client), sends a GET for `path`, and never reads: the response stays in flight. */
export function stalledGet(port: number, path: string, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress }, () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      sock.pause();
      resolve(sock);
    });
    sock.on('error', reject);
  });
}
