import { join } from 'node:path';
import { parseNumber } from '../../src/parsers/parse-result.js';
import { readOptionalPseudoFile } from '../../src/fs/procfs.js';

/**
 * Reads a procfs or sysfs file that holds one number. Undefined when the kernel lacks the file;
 * an error naming the file when it holds something else.
 */
export function readSingleNumber(root: string, relative: string): number | undefined {
  const text = readOptionalPseudoFile(root, relative);
  if (text === undefined) return undefined;
  const value = parseNumber(text.trim());
  if (value === undefined) throw new Error(`${join(root, relative)}: expected a number, got ${JSON.stringify(text.trim().slice(0, 40))}`);
  return value;
}
