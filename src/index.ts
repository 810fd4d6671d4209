/** Public API for collector authors: `import { defineCollector, gauge } from 'spyglass'`. */
export * from './collector.js';
export { parseDuration } from './config/duration.js';
export type { ParseResult } from './parsers/parse-result.js';
