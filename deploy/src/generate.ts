/** `npm run generate`: rewrites deploy/kubernetes from deploy/src, the committed Grafana provisioning example and examples/spyglass.yml. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DASHBOARD_DIR, grafanaProvisioning } from '../../dashboards/src/provisioning.js';
import { builtinCollectors } from '../../collectors/index.js';
import { exampleConfig } from '../../src/config/example.js';
import { kubernetesFiles } from './index.js';

const root = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url));
for (const [rel, text] of Object.entries(kubernetesFiles())) {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`${path}\n`);
}

// `dashboards export dashboards` just wrote one pointing at this checkout: put back the example for the documented path.
const provisioning = fileURLToPath(new URL('../../../dashboards/grafana-provisioning.yaml', import.meta.url));
writeFileSync(provisioning, grafanaProvisioning(DEFAULT_DASHBOARD_DIR));
process.stdout.write(`${provisioning}\n`);

const example = fileURLToPath(new URL('../../../examples/spyglass.yml', import.meta.url));
writeFileSync(example, exampleConfig(builtinCollectors));
process.stdout.write(`${example}\n`);
