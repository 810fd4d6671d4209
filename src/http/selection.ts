/** node_exporter's `collect[]` / `exclude[]` query filters. */
export type SelectionResult = { ok: true; selection: Set<string> | undefined } | { ok: false; message: string };

const COLLECTOR_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export function parseSelection(query: URLSearchParams, known: ReadonlySet<string>, enabled: ReadonlySet<string>): SelectionResult {
  const collect = query.getAll('collect[]');
  const exclude = query.getAll('exclude[]');
  if (collect.length === 0 && exclude.length === 0) return { ok: true, selection: undefined };
  if (collect.length && exclude.length) return { ok: false, message: 'collect[] and exclude[] cannot be combined' };
  for (const name of [...collect, ...exclude]) {
    // The value is echoed only when it could be a collector name: never markup or control bytes.
    if (!known.has(name))
      return {
        ok: false,
        message: `couldn't create filtered metrics handler: missing collector: ${COLLECTOR_NAME.test(name) ? name : '(not a collector name)'}`,
      };
    if (!enabled.has(name)) return { ok: false, message: `couldn't create filtered metrics handler: disabled collector: ${name}` };
  }
  if (collect.length) return { ok: true, selection: new Set(collect) };
  const excluded = new Set(exclude);
  return { ok: true, selection: new Set([...enabled].filter((n) => !excluded.has(n))) };
}
