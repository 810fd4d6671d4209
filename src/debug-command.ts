import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type DebugKind = 'cpu-profile' | 'heap-snapshot';

/**
 * `spyglass debug cpu-profile|heap-snapshot`: takes a diagnostic from a running spyglass (started
 * with --web.enable-diagnostics) into a file. Credentials in the URL become basic auth.
 */
export async function debugCommand(kind: DebugKind, opts: { url: string; seconds?: string; output?: string }): Promise<{ file: string } | { error: string }> {
  let base: URL;
  try {
    base = new URL(opts.url);
  } catch {
    return { error: `--url must be the running spyglass's address, like http://127.0.0.1:9473` };
  }
  const headers: Record<string, string> = {};
  if (base.username)
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
  base.username = '';
  base.password = '';
  const url = new URL(`/debug/${kind}`, base);
  if (kind === 'cpu-profile' && opts.seconds) url.searchParams.set('seconds', opts.seconds);
  const file = opts.output ?? `spyglass-${new Date().toISOString().replace(/[:.]/g, '')}.${kind === 'cpu-profile' ? 'cpuprofile' : 'heapsnapshot'}`;
  let res: Response;
  try {
    res = await fetch(url, { headers });
  } catch (err) {
    return { error: `cannot reach ${url.origin}: ${(err as Error).message}` };
  }
  if (!res.ok || !res.body) return { error: `${url.pathname}: ${res.status} ${(await res.text()).trim()}` };
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
  return { file };
}
