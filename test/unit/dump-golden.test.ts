import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { builtinCollectors } from '../../collectors/index.js';
import { loadConfig } from '../../src/config/load.js';
import { dump } from '../../src/dump.js';
import { fixtureTree, OPT_IN_IN_THE_TREE, OUTSIDE_THE_TREE } from '../helpers/fixture-tree.js';
import { fixture } from '../helpers/spyglass.js';

/**
 * The whole exposition of `spyglass dump` over a fixture tree (test/helpers/fixture-tree.ts),
 * byte for byte, as node_exporter keeps its e2e-output.txt. UPDATE_GOLDEN=1 rewrites the golden
 * file; review its diff.
 */
const golden = fixture('dump/expected.prom');

describe('dump over a fixture tree', () => {
  const tree = fixtureTree();
  after(() => tree.remove());

  it('prints the golden exposition', async () => {
    const loaded = await loadConfig({
      builtins: builtinCollectors,
      overrides: {
        paths: { procfs: tree.procfs, sysfs: tree.sysfs, rootfs: tree.rootfs, udev_data: tree.udevData },
        collectors: Object.fromEntries([
          ...Object.keys(OUTSIDE_THE_TREE).map((name) => [name, { enabled: false }]),
          ...OPT_IN_IN_THE_TREE.map((name) => [name, { enabled: true }]),
        ]),
      },
    });
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors));
    const unknown = [...Object.keys(OUTSIDE_THE_TREE), ...OPT_IN_IN_THE_TREE].filter((name) => !builtinCollectors.some((c) => c.name === name));
    assert.deepEqual(unknown, [], 'collectors left out by name must exist');
    const result = await dump(loaded.config, [], 'prometheus');
    assert.ok(!('error' in result), 'error' in result ? result.error : '');
    assert.deepEqual(result.failures, []);
    // The tree's temporary directory shows in labels that name a sysfs path (node_rapl_*{path}).
    const output = result.output.replaceAll(tree.sysfs, '/sys');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, output);
    const expected = readFileSync(golden, 'utf8');
    if (output !== expected) assert.fail(`dump output differs from ${golden} (UPDATE_GOLDEN=1 rewrites it):\n${lineDiff(expected, output)}`);
  });
});

/** The lines only in one of the two, in order, as a unified diff shows them (no context). */
function lineDiff(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  // Longest common subsequence over lines: a few thousand lines at most.
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--)
      (lcs[i] as Uint32Array)[j] =
        a[i] === b[j] ? (lcs[i + 1] as Uint32Array)[j + 1]! + 1 : Math.max((lcs[i + 1] as Uint32Array)[j]!, (lcs[i] as Uint32Array)[j + 1]!);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j < b.length && (i === a.length || (lcs[i] as Uint32Array)[j + 1]! >= (lcs[i + 1] as Uint32Array)[j]!)) out.push(`+${b[j++]}`);
    else out.push(`-${a[i++]}`);
  }
  return out.slice(0, 200).join('\n') + (out.length > 200 ? `\n… ${out.length - 200} more lines` : '');
}
