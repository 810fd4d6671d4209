/**
 * Finds where a key path sits in YAML text so that validation errors can name line and column.
 * Handles block style fully and flow mappings on one line; for anything else it returns the
 * closest enclosing key it found.
 */
export interface Position {
  line: number; // 1-based
  column: number; // 1-based
}

interface Scope {
  from: number; // first line index (0-based) of the scope's body
  to: number; // one past the last line
  indent: number; // indentation of the key that owns the scope; children are deeper
}

export function locateKey(text: string, path: ReadonlyArray<string | number>): Position | undefined {
  const lines = text.split(/\r?\n/);
  let scope: Scope = { from: 0, to: lines.length, indent: -1 };
  let found: Position | undefined;
  for (const segment of path) {
    const hit = typeof segment === 'number' ? findItem(lines, scope, segment) : findKey(lines, scope, segment);
    if (!hit) {
      if (found && typeof segment === 'string') return findInFlow(lines[found.line - 1] ?? '', found, segment) ?? found;
      return found;
    }
    found = { line: hit.line + 1, column: hit.indent + 1 };
    scope = { from: hit.line + 1, to: endOfBlock(lines, hit.line + 1, scope.to, hit.indent), indent: hit.indent };
  }
  return found;
}

function content(line: string): string {
  const t = line.trimStart();
  return t.startsWith('#') ? '' : t;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function keyPattern(key: string): RegExp {
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(-\\s+)?(?:${esc}|"${esc}"|'${esc}')\\s*:(\\s|$)`);
}

function findKey(lines: string[], scope: Scope, key: string): { line: number; indent: number } | undefined {
  const re = keyPattern(key);
  for (let i = scope.from; i < scope.to; i++) {
    const line = lines[i] as string;
    const body = content(line);
    if (!body || indentOf(line) <= scope.indent) continue;
    const m = re.exec(body);
    if (m) return { line: i, indent: indentOf(line) + (m[1]?.length ?? 0) };
  }
  return undefined;
}

function findItem(lines: string[], scope: Scope, index: number): { line: number; indent: number } | undefined {
  let itemIndent = -1;
  let n = -1;
  for (let i = scope.from; i < scope.to; i++) {
    const line = lines[i] as string;
    const body = content(line);
    if (!body || !/^-(\s|$)/.test(body)) continue;
    const ind = indentOf(line);
    if (ind < scope.indent) continue;
    if (itemIndent === -1) itemIndent = ind;
    if (ind !== itemIndent) continue;
    n++;
    if (n === index) return { line: i, indent: ind };
  }
  return undefined;
}

function endOfBlock(lines: string[], from: number, limit: number, indent: number): number {
  for (let i = from; i < limit; i++) {
    const line = lines[i] as string;
    if (content(line) && indentOf(line) <= indent && !/^-(\s|$)/.test(content(line))) return i;
    if (content(line) && indentOf(line) < indent) return i;
  }
  return limit;
}

function findInFlow(line: string, parent: Position, key: string): Position | undefined {
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`[{,]\\s*(${esc})\\s*:`).exec(line);
  return m && m.index !== undefined ? { line: parent.line, column: m.index + m[0].indexOf(m[1] as string) + 1 } : undefined;
}
