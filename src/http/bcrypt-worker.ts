/** Runs bcrypt off the event loop: a compare at cost 10 takes ~100 ms of CPU (pure JS). One at a time, in arrival order. */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export type BcryptRequest = { id: number; op: 'compare'; password: string; hash: string } | { id: number; op: 'hash'; password: string; cost: number };
export type BcryptReply = { id: number; ok: boolean; hash?: string; error?: string };

parentPort?.on('message', (req: BcryptRequest) => {
  try {
    const reply: BcryptReply =
      req.op === 'compare'
        ? { id: req.id, ok: bcrypt.compareSync(req.password, req.hash) }
        : { id: req.id, ok: true, hash: bcrypt.hashSync(req.password, req.cost) };
    parentPort?.postMessage(reply);
  } catch (err) {
    parentPort?.postMessage({ id: req.id, ok: false, error: (err as Error).message } satisfies BcryptReply);
  }
});
