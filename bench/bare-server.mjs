// The practical limit: a bare node:http server answering every request with the same bytes.
// Usage: node bench/bare-server.mjs PORT BODY_FILE [GZIP_BODY_FILE]
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [port, bodyFile, gzipFile] = process.argv.slice(2);
const body = readFileSync(bodyFile);
const gz = gzipFile ? readFileSync(gzipFile) : undefined;
http
  .createServer((req, res) => {
    const wantsGzip = gz && /gzip/.test(req.headers['accept-encoding'] ?? '');
    const b = wantsGzip ? gz : body;
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      'Content-Length': b.length,
      ...(wantsGzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    res.end(b);
  })
  .listen(Number(port), '127.0.0.1');
