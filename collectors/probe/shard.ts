/**
 * Probe sharding: N spyglass replicas over one target list, each keeping the targets whose hash
 * falls in its shard. The hash is Prometheus's `hashmod` relabel action, so the same split can be
 * written as relabel rules (docs/probe-sharding.md):
 * md5 of the source label values joined by the separator, its last 8 bytes read as a big-endian
 * unsigned 64-bit integer, modulo the modulus
 * (https://github.com/prometheus/prometheus/blob/main/model/relabel/relabel.go, case HashMod).
 * The value hashed is the target's address: what Prometheus would put in `__address__` for it
 * from the same source (see TargetSpec.address).
 */
import { hashmod } from '../../src/metrics/relabel.js';
import type { OptionProblem } from '../../src/collector.js';

/** As written in the config, flags or environment: `index` may be a StatefulSet pod name (`prober-2`). */
export interface RawShard {
  index?: number | string;
  count?: number;
}

export interface Shard {
  index: number;
  count: number;
}

export const SHARD_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description:
    'Probe only the targets in shard index of count (Prometheus hashmod of the address); index may be a StatefulSet pod name like prober-2 (docs/probe-sharding.md)',
  properties: {
    index: {
      anyOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', minLength: 1 },
      ],
      description: 'This replica: 0 to count-1, or a pod name ending in -ORDINAL (--probe.shard-index, SPYGLASS_PROBE_SHARD_INDEX)',
    },
    count: {
      type: 'integer',
      minimum: 1,
      description: 'Replicas sharing the targets, at least 1 (--probe.shard-count, SPYGLASS_PROBE_SHARD_COUNT)',
    },
  },
};

/** A StatefulSet pod is `<statefulset name>-<ordinal>` (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#pod-identity). */
const POD_ORDINAL = /^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?-)?(0|[1-9][0-9]*)$/;

/** `2`, `"2"` or `"prober-2"` → 2; anything else → the reason. */
export function parseShardIndex(v: number | string): number | { message: string } {
  if (typeof v === 'number') return v;
  const m = POD_ORDINAL.exec(v.trim());
  if (m && Number.isSafeInteger(Number(m[2]))) return Number(m[2]);
  return { message: `${JSON.stringify(v)} is neither a number nor a StatefulSet pod name ending in -ORDINAL (like prober-2)` };
}

/** The shard the options ask for, undefined when they ask for none, or the problems with them. */
export function resolveShard(raw: RawShard | undefined): { shard: Shard | undefined; problems: OptionProblem[] } {
  if (raw === undefined) return { shard: undefined, problems: [] };
  const problems: OptionProblem[] = [];
  if (raw.count === undefined)
    problems.push({ path: ['shard', 'count'], message: 'missing: how many replicas share the targets (--probe.shard-count, SPYGLASS_PROBE_SHARD_COUNT)' });
  if (raw.index === undefined)
    problems.push({
      path: ['shard', 'index'],
      message: "missing: this replica's number from 0, or its pod name (--probe.shard-index, SPYGLASS_PROBE_SHARD_INDEX)",
    });
  if (problems.length) return { shard: undefined, problems };
  const count = raw.count as number; // the schema made it a whole number of at least 1
  const index = parseShardIndex(raw.index as number | string);
  if (typeof index !== 'number') return { shard: undefined, problems: [{ path: ['shard', 'index'], message: index.message }] };
  if (index >= count)
    return {
      shard: undefined,
      problems: [{ path: ['shard', 'index'], message: `${index} must be below shard.count ${count}: shards are numbered 0 to ${count - 1}` }],
    };
  return { shard: { index, count }, problems: [] };
}

/** Whether `address` belongs to `shard` (every address does when there is no shard). */
export function inShard(address: string, shard: Shard | undefined): boolean {
  return !shard || shard.count === 1 || hashmod(address, shard.count) === shard.index;
}
