import { Worker } from 'node:worker_threads';

/** How long a collector module's top-level code may run when it is first loaded. */
export const MODULE_LOAD_DEADLINE_MS = 5000;

/** URLs this process has already imported after a successful trial (imports are cached by URL). */
const imported = new Set<string>();

/**
 * Imports an operator's module, first running its top-level code in a throwaway worker thread
 * under a deadline: a module that loops (or blocks) at import would otherwise hang the whole
 * process for good, signals included, because nothing else gets to run on its thread. A worker
 * can be terminated mid-loop. The cost is that the module's top-level code runs twice, once there
 * and once here.
 */
export async function importWithDeadline(url: string, deadlineMs = MODULE_LOAD_DEADLINE_MS): Promise<Record<string, unknown>> {
  if (!imported.has(url)) {
    await trialImport(url, deadlineMs);
    imported.add(url);
  }
  return (await import(url)) as Record<string, unknown>;
}

async function trialImport(url: string, deadlineMs: number): Promise<void> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(url)}).then(() => parentPort.postMessage({ ok: true }), (err) => parentPort.postMessage({ ok: false, error: String(err && err.message || err) }));`,
    { eval: true },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await new Promise<{ ok: boolean; error?: string }>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: `its top-level code did not finish within ${deadlineMs} ms (a loop or a blocking call at import?)` }),
        deadlineMs,
      );
      worker.once('message', resolve);
      worker.once('error', (err) => resolve({ ok: false, error: err.message }));
      worker.once('exit', (code) => resolve({ ok: false, error: `its top-level code ended the thread (exit code ${code})` }));
    });
    if (!outcome.ok) throw new Error(outcome.error);
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}
