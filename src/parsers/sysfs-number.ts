/** Decimal or 0x-prefixed hex, as sysfs prints them. */
export function parseSysfsNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text, 16);
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}
