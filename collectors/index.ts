/** Every built-in collector, registered in this one place. */
import type { CollectorDefinition } from '../src/collector.js';
import cpu from './host/cpu.js';
import loadavg from './host/loadavg.js';
import meminfo from './host/meminfo.js';

export const builtinCollectors: readonly CollectorDefinition[] = [cpu, loadavg, meminfo];
