/**
 * /sys/devices/system/node/nodeN/meminfo (drivers/base/node.c: `Node N Field: value [kB]`) and
 * .../numastat (`field value`). A line that does not have that shape, or whose value is not a
 * number, is reported in `skipped` and left out; the other lines stand.
 */
import { parseNumber } from './parse-result.js';

export interface NodeMemoryField {
  /** The node number as the line gives it. */
  node: string;
  /** node_exporter's spelling: `Active(anon)` becomes `Active_anon`. */
  name: string;
  /** Bytes for fields in kB; the plain value otherwise (HugePages_*). */
  value: number;
}

export interface NodeFile {
  fields: NodeMemoryField[];
  /** `FILE:LINE: reason`. */
  skipped: string[];
}

const MAX_LINE = 4096;

export function parseNodeMeminfo(text: string, file: string): NodeFile {
  const fields: NodeMemoryField[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    const parts = line.length > MAX_LINE ? [] : line.trim().split(/\s+/);
    const value = parseNumber(parts[3]);
    const key = parts[2] ?? '';
    if (
      parts[0] !== 'Node' ||
      !/^\d+$/.test(parts[1] ?? '') ||
      !/^[A-Za-z0-9_()]+:$/.test(key) ||
      value === undefined ||
      parts.length > 5 ||
      (parts.length === 5 && parts[4] !== 'kB')
    ) {
      skipped.push(`${where}: malformed line ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    const name = key.slice(0, -1).replace(/\((.*)\)/, '_$1');
    const node = parts[1] as string;
    if (seen.has(`${node} ${name}`)) {
      skipped.push(`${where}: ${name} appears a second time`);
      return;
    }
    seen.add(`${node} ${name}`);
    fields.push({ node, name, value: parts.length === 5 ? value * 1024 : value });
  });
  return { fields, skipped };
}

/** numastat of node `node` (its directory's number): counters of pages. */
export function parseNumastat(text: string, file: string, node: string): NodeFile {
  const fields: NodeMemoryField[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const parts = line.length > MAX_LINE ? [] : line.trim().split(/\s+/);
    const value = parseNumber(parts[1]);
    if (parts.length !== 2 || !/^[a-z_]+$/.test(parts[0] as string) || value === undefined) {
      skipped.push(`${file}:${i + 1}: malformed line ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    if (seen.has(parts[0] as string)) {
      skipped.push(`${file}:${i + 1}: ${parts[0]} appears a second time`);
      return;
    }
    seen.add(parts[0] as string);
    fields.push({ node, name: parts[0] as string, value });
  });
  return { fields, skipped };
}
