import { parseNumber } from '../../src/parse.js';
import { readOptionalPseudoFile } from '../../src/procfs.js';

/**
 * Reads a procfs file that holds one number. Undefined when the kernel lacks the file; an error
 * naming the file when it holds something else.
 */
export function readSingleNumber(procfs: string, relative: string): number | undefined {
  const text = readOptionalPseudoFile(procfs, relative);
  if (text === undefined) return undefined;
  const value = parseNumber(text.trim());
  if (value === undefined) throw new Error(`/proc/${relative}: expected a number, got ${JSON.stringify(text.trim().slice(0, 40))}`);
  return value;
}
