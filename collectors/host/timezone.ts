import { readFileSync } from 'node:fs';

/**
 * The local zone's abbreviation as Go's time.Now().Zone() reports it (node_exporter's
 * `time_zone` label): from the POSIX rule at the end of the TZif file the process uses
 * ($TZ, else /etc/localtime), picking the daylight-saving name when the current offset is not the
 * standard one. Falls back to "UTC" without zone data, like Go.
 */
export function zoneAbbreviation(offsetSeconds: number, env: NodeJS.ProcessEnv = process.env): string {
  const rule = cachedRule(env);
  if (!rule) return 'UTC';
  return abbreviationFromRule(rule, offsetSeconds) ?? 'UTC';
}

/** Node reads its zone once at start-up; so do we, per TZ value, instead of on every run. */
const rules = new Map<string | undefined, string | undefined>();
function cachedRule(env: NodeJS.ProcessEnv): string | undefined {
  if (!rules.has(env.TZ)) rules.set(env.TZ, posixRule(env));
  return rules.get(env.TZ);
}

function posixRule(env: NodeJS.ProcessEnv): string | undefined {
  const tz = env.TZ;
  if (tz === '') return undefined;
  if (tz !== undefined && new RegExp(`^${NAME}[+-]?\\d`).test(tz)) return tz; // TZ is itself a POSIX rule, e.g. CET-1CEST,M3.5.0,M10.5.0/3
  const file = tz === undefined ? '/etc/localtime' : `/usr/share/zoneinfo/${tz.replace(/^:/, '')}`;
  try {
    return footerOf(readFileSync(file).toString('latin1'));
  } catch {
    return undefined;
  }
}

/** TZif version 2+ files end with "\n<POSIX TZ rule>\n". */
export function footerOf(tzif: string): string | undefined {
  if (!tzif.startsWith('TZif') || !tzif.endsWith('\n')) return undefined;
  const start = tzif.lastIndexOf('\n', tzif.length - 2);
  const rule = tzif.slice(start + 1, -1);
  return rule || undefined;
}

const NAME = '(<[^>]+>|[A-Za-z]{3,})';
const OFFSET = '([+-]?\\d{1,2}(?::\\d{2}){0,2})';

export function abbreviationFromRule(rule: string, offsetSeconds: number): string | undefined {
  const m = new RegExp(`^${NAME}${OFFSET}(?:${NAME})?`).exec(rule);
  if (!m) return undefined;
  const clean = (n: string) => n.replace(/^<|>$/g, '');
  const std = clean(m[1] as string);
  if (!m[3]) return std;
  // POSIX offsets are west-positive: "CET-1" is UTC+1.
  const stdOffset = -parseOffset(m[2] as string);
  return offsetSeconds === stdOffset ? std : clean(m[3]);
}

function parseOffset(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const [h = 0, mi = 0, s = 0] = text.replace(/^[+-]/, '').split(':').map(Number);
  return sign * (h * 3600 + mi * 60 + s);
}
