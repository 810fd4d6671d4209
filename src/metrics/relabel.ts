/**
 * Prometheus relabelling (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config),
 * as write_relabel_configs applies it to each series before it is sent: the same actions,
 * defaults, anchored regular expressions and `$1` / `${name}` expansion.
 */
import { createHash } from 'node:crypto';
import { goRegExp } from '../config/go-regexp.js';

export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/** A relabel_config as written in YAML. */
export interface RawRelabelConfig {
  source_labels?: string[];
  separator?: string;
  target_label?: string;
  regex?: string;
  modulus?: number;
  replacement?: string;
  action?: RelabelAction;
}

export interface RelabelRule {
  action: RelabelAction;
  sourceLabels: string[];
  separator: string;
  targetLabel: string;
  regex: RegExp;
  modulus: number;
  replacement: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Checks and compiles one rule; throws with a message naming the field at fault. */
export function compileRelabel(raw: RawRelabelConfig): RelabelRule {
  const action = raw.action ?? 'replace';
  const rule: RelabelRule = {
    action,
    sourceLabels: raw.source_labels ?? [],
    separator: raw.separator ?? ';',
    targetLabel: raw.target_label ?? '',
    regex: anchored(raw.regex ?? '(.*)'),
    modulus: raw.modulus ?? 0,
    replacement: raw.replacement ?? '$1',
  };
  const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action);
  if (needsTarget && !rule.targetLabel) throw new Error(`target_label is required for action ${action}`);
  if (action === 'hashmod' && !(rule.modulus > 0)) throw new Error('modulus must be set (above 0) for action hashmod');
  if ((action === 'labeldrop' || action === 'labelkeep') && (raw.source_labels?.length || raw.target_label)) {
    throw new Error(`${action} takes neither source_labels nor target_label`);
  }
  if (action !== 'replace' && needsTarget && !rule.targetLabel.includes('$') && !LABEL_NAME.test(rule.targetLabel)) {
    throw new Error(`target_label ${JSON.stringify(rule.targetLabel)} is not a valid label name`);
  }
  return rule;
}

function anchored(pattern: string): RegExp {
  const inner = goRegExp(pattern);
  return new RegExp(`^(?:${inner.source})$`, inner.flags);
}

/** Labels as a mutable map (name → value, `__name__` included); undefined when a rule drops the series. */
export function relabel(labels: Map<string, string>, rules: readonly RelabelRule[]): Map<string, string> | undefined {
  for (const r of rules) {
    const value = r.sourceLabels.map((n) => labels.get(n) ?? '').join(r.separator);
    switch (r.action) {
      case 'keep':
        if (!r.regex.test(value)) return undefined;
        break;
      case 'drop':
        if (r.regex.test(value)) return undefined;
        break;
      case 'keepequal':
        if (value !== (labels.get(r.targetLabel) ?? '')) return undefined;
        break;
      case 'dropequal':
        if (value === (labels.get(r.targetLabel) ?? '')) return undefined;
        break;
      case 'replace': {
        const m = r.regex.exec(value);
        if (!m) break;
        const target = expand(r.targetLabel, m);
        if (!LABEL_NAME.test(target)) break;
        const replaced = expand(r.replacement, m);
        if (replaced === '') labels.delete(target);
        else labels.set(target, replaced);
        break;
      }
      case 'lowercase':
        labels.set(r.targetLabel, value.toLowerCase());
        break;
      case 'uppercase':
        labels.set(r.targetLabel, value.toUpperCase());
        break;
      case 'hashmod':
        labels.set(r.targetLabel, String(hashmod(value, r.modulus)));
        break;
      case 'labelmap':
        for (const [name, v] of [...labels]) {
          const m = r.regex.exec(name);
          if (m) labels.set(expand(r.replacement, m), v);
        }
        break;
      case 'labeldrop':
        for (const name of [...labels.keys()]) if (r.regex.test(name)) labels.delete(name);
        break;
      case 'labelkeep':
        for (const name of [...labels.keys()]) if (!r.regex.test(name)) labels.delete(name);
        break;
    }
  }
  return labels.size ? labels : undefined;
}

/** Prometheus's hashmod: the low 64 bits of the value's MD5, big-endian, modulo `modulus`. */
export function hashmod(value: string, modulus: number): number {
  const digest = createHash('md5').update(value).digest();
  return Number(digest.readBigUInt64BE(8) % BigInt(modulus));
}

/** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name is the longest run of word characters. */
function expand(template: string, m: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  return template.replace(/\$(?:\$|\{(\w+)\}|(\w+))/g, (all, braced: string | undefined, bare: string | undefined) => {
    if (all === '$$') return '$';
    const name = (braced ?? bare) as string;
    const group = /^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name];
    return group ?? '';
  });
}
