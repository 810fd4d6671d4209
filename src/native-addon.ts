import { createRequire } from 'node:module';

/**
 * Loads a native addon that `npm ci` builds from binding.gyp (build/Release/<name>.node); an
 * Error saying why when it is missing, for callers to report or fall back on.
 */
export function loadNativeAddon<T>(name: string): T | Error {
  try {
    return createRequire(import.meta.url)(`../../build/Release/${name}.node`) as T;
  } catch (err) {
    return new Error(`native ${name} addon not available (built by npm ci with a C compiler; rebuild with \`npm rebuild\`): ${(err as Error).message}`);
  }
}
