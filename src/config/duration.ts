/** Durations in Prometheus' style: `500ms`, `15s`, `1m30s`, `2h`. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The syntax as a JSON Schema `pattern`, for options that hold a duration. */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d))+$';
const DURATION = new RegExp(DURATION_PATTERN);

export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms;
}
