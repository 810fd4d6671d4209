import { parseFailure, type ParseResult } from './parse-result.js';

/** os-release(5): KEY=value lines, values optionally in single or double quotes (with backslash escapes). */
export function parseOsRelease(text: string): ParseResult<Map<string, string>> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) return parseFailure('os-release', i + 1, `expected KEY=value, got ${JSON.stringify(line.slice(0, 60))}`);
    out.set(m[1] as string, unquote(m[2] as string));
  }
  return { ok: true, value: out };
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v;
}
