/**
 * The bonding driver's lists (Documentation/networking/bonding.rst): /sys/class/net/bonding_masters
 * and /sys/class/net/<bond>/bonding/slaves hold interface names separated by spaces. A word that
 * cannot be an interface name (longer than IFNAMSIZ - 1 = 15 bytes, `/`, `.` or `..`, a control
 * character) is returned in `invalid`: it must not become a path.
 */
export function parseInterfaceList(text: string): { names: string[]; invalid: string[] } {
  const names: string[] = [];
  const invalid: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    // eslint-disable-next-line no-control-regex
    if (Buffer.byteLength(word) > 15 || word === '.' || word === '..' || /[/:\u0000-\u001f\u007f]/.test(word)) invalid.push(word.slice(0, 40));
    else names.push(word);
  }
  return { names, invalid };
}
