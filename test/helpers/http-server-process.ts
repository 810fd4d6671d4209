/**
 * The probe tests' HTTP server in a process of its own, so its delays are not held up by the
 * prober's event loop (or the prober's by its timers): `fork` this file; it answers
 * {port} once listening and {served} for every finished request.
 */
import { startHttpServer, type ServedRequest } from './probe-servers.js';

const served: ServedRequest[] = [];
const originalPush = served.push.bind(served);
served.push = (...items: ServedRequest[]) => {
  for (const item of items) process.send?.({ served: item });
  return originalPush(...items);
};
const listening = await startHttpServer(served);
process.send?.({ port: listening.port });
process.on('disconnect', () => void listening.close().then(() => process.exit(0)));
