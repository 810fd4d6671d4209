/**
 * Compiles a regular expression written for Go (RE2), as blackbox_exporter and node_exporter
 * configs are. JavaScript shares RE2's everyday syntax but not its leading flag group: `(?i)abc`
 * becomes /abc/i. Throws on patterns JavaScript cannot compile.
 */
const LEADING_FLAGS = /^\(\?([imsU]+)\)/;

export function goRegExp(pattern: string): RegExp {
  const m = LEADING_FLAGS.exec(pattern);
  if (!m) return new RegExp(pattern);
  const goFlags = m[1] as string;
  if (goFlags.includes('U')) throw new Error(`the (?U) flag of ${JSON.stringify(pattern)} has no JavaScript equivalent`);
  return new RegExp(pattern.slice(m[0].length), [...new Set(goFlags)].join(''));
}
