/**
 * The privileges a container of the rendered DaemonSet runs with, as `setpriv` arguments, so tests
 * run spyglass with exactly the uid, groups and capabilities the node would give it (containerd or
 * CRI-O with runc; https://kubernetes.io/docs/tasks/configure-pod-container/security-context/):
 * - uid and gid: the container's runAsUser / runAsGroup, else the pod's;
 * - supplementary groups: runAsGroup, fsGroup and supplementalGroups;
 * - capabilities: drop ALL leaves exactly `add` in the bounding set, and none inheritable or
 *   ambient. runc holds `add` permitted up to the execve of the container's command, which then
 *   drops them for a non-root user (kubernetes/kubernetes#56374) unless the executable has file
 *   capabilities: setpriv, which keeps its permitted set up to its own execve, does the same;
 * - allowPrivilegeEscalation: false is no_new_privs.
 * The command is the DaemonSet's own: through native/ambient-caps.c (see ambientCapsWrapper).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './spyglass.js';

export interface SecurityContexts {
  pod: { runAsUser?: number; runAsGroup?: number; fsGroup?: number; supplementalGroups?: number[] };
  container: {
    runAsUser?: number;
    runAsGroup?: number;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
}

export function setprivArgs({ pod, container }: SecurityContexts): string[] {
  const uid = container.runAsUser ?? pod.runAsUser;
  const gid = container.runAsGroup ?? pod.runAsGroup;
  if (uid === undefined || gid === undefined) throw new Error('the DaemonSet names no runAsUser/runAsGroup');
  const drop = container.capabilities?.drop ?? [];
  if (!drop.includes('ALL')) throw new Error('only `drop: [ALL]` is modelled: the runtime default set is not');
  const caps = (container.capabilities?.add ?? []).map((c) => c.toLowerCase().replace(/^cap_/, ''));
  const groups = [...new Set([gid, pod.fsGroup, ...(pod.supplementalGroups ?? [])].filter((g): g is number => g !== undefined))];
  const set = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  return [
    `--reuid=${uid}`,
    `--regid=${gid}`,
    `--groups=${groups.join(',')}`,
    '--inh-caps=-all',
    '--ambient-caps=-all',
    `--bounding-set=${set}`,
    ...(container.allowPrivilegeEscalation === false ? ['--no-new-privs'] : []),
  ];
}

/** The security contexts of the DaemonSet's spyglass container, from a rendered DaemonSet object. */
export function daemonSetContexts(ds: { spec: { template: { spec: any } } }): SecurityContexts {
  const pod = ds.spec.template.spec;
  const container = pod.containers.find((c: { name: string }) => c.name === 'spyglass');
  return { pod: pod.securityContext ?? {}, container: container.securityContext ?? {} };
}

/** native/ambient-caps.c built into `dir` with the file capability the Dockerfile gives it. */
export function ambientCapsWrapper(dir: string): string {
  const out = join(dir, 'ambient-caps');
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(repoRoot, 'native/ambient-caps.c')]);
  execFileSync('setcap', ['cap_dac_read_search=p', out]);
  return out;
}

/** The DaemonSet's command with the image's paths made this checkout's: the wrapper, node and cli.js. */
export function localCommand(command: string[], wrapper: string, cliPath: string): string[] {
  return command.map((c) => (c.endsWith('/ambient-caps') ? wrapper : c === '/nodejs/bin/node' ? process.execPath : c === '/app/dist/src/cli.js' ? cliPath : c));
}
