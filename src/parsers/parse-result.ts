/** Parsers return errors as values: what is wrong and where, never an exception for bad input. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseFailure(file: string, line: number, reason: string): { ok: false; error: string } {
  return { ok: false, error: `${file}:${line}: ${reason}` };
}

/** A non-negative decimal integer or float as the kernel prints it; undefined for anything else. */
export function parseNumber(field: string | undefined): number | undefined {
  if (field === undefined || !/^-?\d+(\.\d+)?$/.test(field)) return undefined;
  return Number(field);
}
