/** A line (or block) a parser left out of otherwise good input: the collector counts it with ctx.skip. */
export interface SkippedLine {
  /** A few fixed words, the `reason` label of spyglass_collector_skipped_total. */
  reason: string;
  /** Where and what, for the debug log. */
  detail: string;
}

/** The first 80 characters of a line, for a SkippedLine's detail. */
export function excerpt(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}
