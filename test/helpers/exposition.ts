/** A small reader of the text format for comparing two exporters' outputs in tests. */
export interface ParsedFamily {
  type: string;
  labelNames: Set<string>;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { type: 'untyped', labelNames: new Set(), samples: [] }));
    return f;
  };
  let current = '';
  for (const line of text.split('\n')) {
    if (!line) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      current = type[1] as string;
      family(current).type = type[2] as string;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const name = m[1] as string;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    const owner = name.startsWith(current) ? current : name;
    const f = family(owner);
    for (const k of Object.keys(labels)) if (k !== 'le' && k !== 'quantile') f.labelNames.add(k);
    f.samples.push({ name, labels, value: Number(m[3]) });
  }
  return families;
}
