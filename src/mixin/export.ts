import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { ruleFiles } from '../../alerts/src/index.js';
import { dashboardFiles } from '../../dashboards/src/index.js';
import { grafanaProvisioning } from '../../dashboards/src/provisioning.js';
import { mixinConfig, type MixinConfig } from './config.js';

export type MixinKind = 'rules' | 'dashboards';

/** Reads the knobs file (YAML) if one is given; problems are returned with the file name. */
export function readMixinConfig(file: string | undefined): { config?: MixinConfig; problems: string[] } {
  if (file === undefined) return mixinConfig(undefined);
  let raw: unknown;
  try {
    raw = load(readFileSync(file, 'utf8'), { filename: file });
  } catch (e) {
    return { problems: [`${file}: ${(e as Error).message}`] };
  }
  const { config, problems } = mixinConfig(raw);
  return problems.length ? { problems: problems.map((p) => `${file}: ${p}`) } : { config, problems };
}

export function mixinFiles(kind: MixinKind, config: MixinConfig): Record<string, string> {
  return kind === 'rules' ? ruleFiles(config) : dashboardFiles(config);
}

/** Writes the rule files, or the dashboards and Grafana's provisioning file for them, into `dir`; returns the paths written. */
export function exportMixin(kind: MixinKind, dir: string, config: MixinConfig): string[] {
  mkdirSync(dir, { recursive: true });
  const files = mixinFiles(kind, config);
  if (kind === 'dashboards') files[PROVISIONING_FILE] = grafanaProvisioning(resolve(dir));
  return Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

export const PROVISIONING_FILE = 'grafana-provisioning.yaml';
