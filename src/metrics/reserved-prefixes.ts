/** Prefixes of the self-metrics section's families; no collector may export these. */
export const SELF_METRIC_PREFIXES = ['spyglass_', 'node_scrape_collector_', 'process_', 'nodejs_'] as const;
/** Built-in collectors whose own families live under spyglass_ (by the naming rules for what spyglass adds). */
export const BUILTIN_SPYGLASS_PREFIXES: Readonly<Record<string, string>> = { probe: 'spyglass_probe' };
