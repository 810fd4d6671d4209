import { setFlagsFromString } from 'node:v8';

/**
 * Tier-up budget 8× V8's default, set before any of spyglass's code runs (its worker threads
 * share the flag). Collectors run once per scrape period: at the default, V8 optimized and
 * re-optimized code that ran a few hundred times a cycle, which cost more CPU on its helper thread
 * than it saved (host collectors scraped every 15 s: 3.2–3.6 ms of CPU per second at the default,
 * 2.7 at 8×, 2.6 with the optimizer off; docs/benchmarks.md). Loops that are really hot (a render
 * of 50,000 container series) still reach the optimizer.
 */
setFlagsFromString('--interrupt-budget=540672');
