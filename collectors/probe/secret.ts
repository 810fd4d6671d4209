import { readBounded } from '../../src/fs/bounded-read.js';

const MAX_SECRET_BYTES = 64 * 1024;
import { inspect } from 'node:util';

/** A credential from the config, a file or the environment. Prints as `<secret>` wherever it ends up. */
export interface Secret {
  /** The current value: files are re-read and the environment looked up on every call, so rotation needs no reload. */
  read(): Promise<string>;
}

const REDACTED = '<secret>';

export class SecretSource implements Secret {
  constructor(private readonly source: { value: string } | { file: string } | { env: string }) {}

  async read(): Promise<string> {
    const s = this.source;
    if ('value' in s) return s.value;
    if ('env' in s) {
      const v = process.env[s.env];
      if (v === undefined) throw new Error(`environment variable ${s.env} (a probe secret) is not set`);
      return v;
    }
    try {
      return (await readBounded(s.file, MAX_SECRET_BYTES)).toString('utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new Error(`cannot read secret file ${s.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
