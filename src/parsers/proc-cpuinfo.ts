import { excerpt, type SkippedLine } from './skipped-line.js';

export interface CpuInfo {
  processor: string;
  vendor: string;
  family: string;
  model: string;
  modelName: string;
  microcode: string;
  stepping: string;
  cacheSize: string;
  physicalId: string;
  coreId: string;
  /** `cpu MHz`; undefined when absent or not a number. */
  mhz: number | undefined;
  flags: string[];
  bugs: string[];
}

/**
 * /proc/cpuinfo as x86 prints it: one `key<TAB>: value` block per logical CPU, blocks separated by
 * a blank line, each starting with `processor`. A block whose processor number is missing or not
 * a number is skipped; a field it lacks is empty (other architectures name fewer of them).
 */
export function parseCpuinfo(text: string): { cpus: CpuInfo[]; skipped: SkippedLine[] } {
  const cpus: CpuInfo[] = [];
  const skipped: SkippedLine[] = [];
  let line = 1;
  for (const block of text.split(/\n[ \t]*\n/)) {
    const startLine = line;
    line += block.split('\n').length + 1;
    if (!block.trim()) continue;
    const fields = new Map<string, string>();
    for (const l of block.split('\n')) {
      const colon = l.indexOf(':');
      if (colon < 0) continue;
      const key = l.slice(0, colon).trim();
      if (!fields.has(key)) fields.set(key, l.slice(colon + 1).trim());
    }
    const processor = fields.get('processor');
    // Blocks without a processor line (arm64's trailing `Hardware`, s390's header) describe no CPU.
    if (processor === undefined && !fields.has('vendor_id') && !fields.has('flags')) continue;
    if (processor === undefined || !/^\d+$/.test(processor)) {
      skipped.push({ reason: 'garbled block', detail: `/proc/cpuinfo:${startLine}: no processor number: ${excerpt(block.split('\n')[0] ?? '')}` });
      continue;
    }
    const get = (key: string) => fields.get(key) ?? '';
    const mhz = get('cpu MHz');
    const list = (key: string) => get(key).split(/\s+/).filter(Boolean);
    cpus.push({
      processor,
      vendor: get('vendor_id'),
      family: get('cpu family'),
      model: get('model'),
      modelName: get('model name'),
      microcode: get('microcode'),
      stepping: get('stepping'),
      cacheSize: get('cache size'),
      physicalId: get('physical id'),
      coreId: get('core id'),
      mhz: /^\d+(\.\d+)?$/.test(mhz) ? Number(mhz) : undefined,
      flags: fields.has('flags') ? list('flags') : list('Features'),
      bugs: list('bugs'),
    });
  }
  return { cpus, skipped };
}
