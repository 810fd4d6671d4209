import { readdirSync, readFileSync } from 'node:fs';
import { repoRoot } from './spyglass.js';

/**
 * Backticked metric names of a README as patterns: `<x>` is any name part, `{a,b}` either;
 * a trailing `{label, label=…}` set (with spaces or `=`) is not part of the name.
 */
export function documentedPatterns(markdown: string): RegExp[] {
  return [...markdown.matchAll(/`((?:node|container|probe|spyglass_probe)_?[^`\s{]*(?:\{[^}\s=]*\}[^`\s{]*)*)(?:\{[^`]*\})?`/g)].map((m) => {
    const source = (m[1] as string)
      .replace(/<[a-z_]+>/gi, '\u0000')
      .replace(/\{([^}]*)\}/g, (_s, alts: string) => `(${alts.split(',').join('|')})`)
      .replace(/\u0000/g, '[a-zA-Z0-9_]+');
    return new RegExp(`^${source}$`);
  });
}

/** The metric patterns of every collector README (host collectors, textfile, container, probe). */
export function allDocumentedPatterns(): RegExp[] {
  const host = readdirSync(`${repoRoot}collectors/host`)
    .filter((f) => f.endsWith('.README.md'))
    .map((f) => `${repoRoot}collectors/host/${f}`);
  const others = ['textfile', 'container', 'probe'].map((c) => `${repoRoot}collectors/${c}/README.md`);
  return [...host, ...others].flatMap((f) => documentedPatterns(readFileSync(f, 'utf8')));
}
