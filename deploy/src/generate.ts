/** `npm run generate`: rewrites deploy/kubernetes from deploy/src. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubernetesFiles } from './index.js';

const root = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url));
for (const [rel, text] of Object.entries(kubernetesFiles())) {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`${path}\n`);
}
