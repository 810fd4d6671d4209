/**
 * Compiles a regular expression written for Go (RE2), as blackbox_exporter and node_exporter
 * configs are. JavaScript shares RE2's everyday syntax but not:
 * - its leading flag group: `(?i)abc` becomes /abc/i;
 * - a repeated anchor: RE2 takes `^+OK` (Debian's stock blackbox.yml has it) as `^OK`, where
 *   JavaScript says "nothing to repeat".
 * Throws on patterns JavaScript cannot compile.
 */
const LEADING_FLAGS = /^\(\?([imsU]+)\)/;

export function goRegExp(pattern: string): RegExp {
  const m = LEADING_FLAGS.exec(pattern);
  if (!m) return new RegExp(withoutRepeatedAnchors(pattern));
  const goFlags = m[1] as string;
  if (goFlags.includes('U')) throw new Error(`the (?U) flag of ${JSON.stringify(pattern)} has no JavaScript equivalent`);
  return new RegExp(withoutRepeatedAnchors(pattern.slice(m[0].length)), [...new Set(goFlags)].join(''));
}

/** A quantifier right after `^` or `$` (outside a class, unescaped): one or more of an anchor is the anchor; zero or more is nothing. */
function withoutRepeatedAnchors(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') inClass = true;
    if ((c === '^' || c === '$') && !inClass) {
      const q = /^(?:[+*?]|\{(\d+)(?:,\d*)?\})\??/.exec(pattern.slice(i + 1));
      if (q) {
        const atLeastOne = q[0][0] === '+' || (q[1] !== undefined && Number(q[1]) > 0);
        if (atLeastOne) out += c;
        i += q[0].length;
        continue;
      }
    }
    out += c;
  }
  return out;
}
