import type { Format } from '../metrics/render.js';

export const CONTENT_TYPES: Record<Format, string> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

function parseList(header: string): MediaRange[] {
  return header.split(',').map((part) => {
    const [type = '', ...rawParams] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params[p.slice(0, eq).trim().toLowerCase()] = p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, '');
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
  });
}

/** A scraper sends the same headers every time: remember the last answer for each function. */
function memoizeLast<T>(f: (header: string | undefined) => T): (header: string | undefined) => T {
  let lastHeader: string | undefined;
  let lastResult = f(undefined);
  return (header) => {
    if (header !== lastHeader) {
      lastResult = f(header);
      lastHeader = header;
    }
    return lastResult;
  };
}

/** OpenMetrics 1.0 when the client prefers it (as Prometheus does); the text format otherwise. */
export const negotiateFormat = memoizeLast(negotiateFormatUncached);

/** `gzip` when the client takes it, else `identity` unless refused (then undefined: 406), per RFC 9110 §12.5.3. */
export const negotiateEncoding = memoizeLast(negotiateEncodingUncached);

function negotiateFormatUncached(accept: string | undefined): Format {
  if (!accept || !accept.includes('openmetrics')) return 'prometheus';
  let om = 0;
  let text = 0;
  for (const r of parseList(accept)) {
    if (r.type === 'application/openmetrics-text' && (r.params.version === undefined || r.params.version === '1.0.0' || r.params.version === '0.0.1')) {
      om = Math.max(om, r.q);
    } else if (r.type === 'text/plain' || r.type === '*/*' || r.type === 'text/*') {
      text = Math.max(text, r.q);
    }
  }
  return om > 0 && om >= text ? 'openmetrics' : 'prometheus';
}

function negotiateEncodingUncached(acceptEncoding: string | undefined): 'gzip' | 'identity' | undefined {
  if (!acceptEncoding) return 'identity';
  let gzip: number | undefined;
  let identity: number | undefined;
  let any: number | undefined;
  for (const r of parseList(acceptEncoding)) {
    if (r.type === 'gzip' || r.type === 'x-gzip') gzip = Math.max(gzip ?? 0, r.q);
    else if (r.type === 'identity') identity = Math.max(identity ?? 0, r.q);
    else if (r.type === '*') any = Math.max(any ?? 0, r.q);
  }
  if ((gzip ?? any ?? 0) > 0) return 'gzip';
  // identity is acceptable unless named with q=0, or `*;q=0` covers it.
  return (identity ?? any ?? 1) > 0 ? 'identity' : undefined;
}
