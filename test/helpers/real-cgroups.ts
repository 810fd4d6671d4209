import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';

export type Cleanups = Array<() => void | Promise<void>>;

/** A list of undo steps run in reverse after the test file, best effort (the tests remove what they check themselves). */
export function cleanupsAfterAll(): Cleanups {
  const cleanups: Cleanups = [];
  after(async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // best effort
      }
    }
  });
  return cleanups;
}

/** Creates a real cgroup (parents first) in a hierarchy; its removal (children first) joins `cleanups`. */
export function makeCgroup(hierarchy: string, path: string, cleanups: Cleanups): string {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = join(hierarchy, ...parts.slice(0, i));
    if (!existsSync(dir)) {
      mkdirSync(dir);
      cleanups.push(() => {
        if (existsSync(dir)) rmdirSync(dir);
      });
    }
  }
  return join(hierarchy, ...parts);
}

/** SIGKILLs a child (if still running) and waits for it to be gone, so its cgroup can be removed. */
export async function killed(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGKILL');
  await once(p, 'exit');
}
