import { createHash, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { BcryptReply, BcryptRequest } from './bcrypt-worker.js';

export type AuthResult = 'ok' | 'missing' | 'malformed' | 'bad_credentials' | 'busy';

const CACHE_ENTRIES = 100;
/** Compares waiting for the worker beyond which requests are turned away rather than queued for seconds. */
const MAX_PENDING = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `Authorization: Basic …` → user and password; `undefined` when absent, `'malformed'` when not decodable basic credentials. */
export function parseBasicAuthorization(header: string | undefined): { user: string; password: string } | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const m = /^basic +(\S*) *$/i.exec(header);
  if (!m || !BASE64.test(m[1] as string)) return 'malformed';
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return 'malformed';
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function costOf(hash: string): number {
  return Number(hash.split('$')[2]);
}

/**
 * Basic auth against bcrypt hashes, as exporter-toolkit does it: an unknown user is checked
 * against a dummy hash so the answer takes as long as for a known one (here the dummy has the
 * highest cost among the configured hashes, so the times match whatever cost users chose), and
 * results are cached by (user, hash, password) digest so a scraper's repeated credentials cost
 * one bcrypt run. bcrypt runs in a worker thread, one compare at a time, never on the event loop.
 */
export class BasicAuth {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: BcryptReply) => void>();
  private readonly cache = new Map<string, boolean>();
  /** Cost → a hash of a random password, made once per cost. */
  private readonly dummyHashes = new Map<number, string>();
  private readonly dummyHashing = new Map<number, Promise<void>>();

  /** Synchronous when the answer is cached (a scraper sending the same credentials every time). */
  check(users: ReadonlyMap<string, string>, header: string | undefined): AuthResult | Promise<AuthResult> {
    const credentials = parseBasicAuthorization(header);
    if (credentials === undefined) return 'missing';
    if (credentials === 'malformed') return 'malformed';
    const known = users.get(credentials.user);
    let hash = known;
    if (hash === undefined) {
      const cost = Math.max(...[...users.values()].map(costOf));
      hash = this.dummyHashes.get(cost);
      if (hash === undefined) return this.dummyHash(cost).then(() => (this.dummyHashes.has(cost) ? this.check(users, header) : 'bad_credentials'));
    }
    const key = createHash('sha256').update(credentials.user).update('\0').update(hash).update('\0').update(credentials.password).digest('base64');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached && known !== undefined ? 'ok' : 'bad_credentials';
    if (this.waiting.size >= MAX_PENDING) return 'busy';
    return this.call({ op: 'compare', password: credentials.password, hash }).then((reply) => {
      this.remember(key, reply.ok);
      return reply.ok && known !== undefined ? 'ok' : 'bad_credentials';
    });
  }

  /** Stops the worker (it is unref'd, so this is only needed for a clean stop in tests). */
  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private remember(key: string, matches: boolean): void {
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, matches);
  }

  private dummyHash(cost: number): Promise<void> {
    let making = this.dummyHashing.get(cost);
    if (!making) {
      making = this.call({ op: 'hash', password: randomBytes(16).toString('hex'), cost }).then((r) => {
        if (r.hash) this.dummyHashes.set(cost, r.hash);
        else this.dummyHashing.delete(cost);
      });
      this.dummyHashing.set(cost, making);
    }
    return making;
  }

  private call(request: BcryptRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never): Promise<BcryptReply> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ ...request, id });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./bcrypt-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: BcryptReply) => {
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
    // A dead worker fails the waiting checks closed and is replaced on the next call.
    worker.on('exit', () => {
      for (const resolve of this.waiting.values()) resolve({ id: 0, ok: false, error: 'bcrypt worker exited' });
      this.waiting.clear();
      if (this.worker === worker) this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }
}
