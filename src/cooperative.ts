import { setImmediate as nextTurn } from 'node:timers/promises';
import { throwIfAborted } from './collector.js';

/**
 * For collectors that do many small synchronous reads (one per process, say): call `maybeYield()`
 * between reads; it gives the event loop a turn once `budgetMs` of work has passed, so a long
 * collection never stalls scrapes for longer than the budget, and stops at the run's deadline.
 */
export function cooperativeYielder(signal?: AbortSignal, budgetMs = 2): () => Promise<void> | undefined {
  let sliceStart = performance.now();
  return () => {
    if (performance.now() - sliceStart < budgetMs) return undefined;
    return nextTurn().then(() => {
      if (signal) throwIfAborted(signal);
      sliceStart = performance.now();
    });
  };
}
