/** Escaping rules of the Prometheus text format 0.0.4 and OpenMetrics 1.0. */

export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP in text 0.0.4 escapes only backslash and newline. */
export function escapeHelpText(v: string): string {
  if (!/[\\\n]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** HELP in OpenMetrics is an escaped string: backslash, newline and double quote. */
export function escapeHelpOpenMetrics(v: string): string {
  return escapeLabelValue(v);
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
