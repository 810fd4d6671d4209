/**
 * deploy/kubernetes, offline (no cluster here): the committed files are what deploy/src generates;
 * `kubectl kustomize` renders every overlay; every rendered object validates against the
 * Kubernetes and Prometheus Operator schemas (kubernetes-models 4) and, for unknown fields, which
 * those schemas let through, against kubernetes-types 1.30 with TypeScript's excess-property check;
 * the objects fit together (selectors, named ports, rules = alerts/, dashboards = dashboards/);
 * and the DaemonSet's and the sidecar's own arguments start a real spyglass as an unprivileged user.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { KUSTOMIZE_ROOTS, kubernetesFiles } from '../deploy/src/index.js';
import { IMAGE_ENTRYPOINT, RUNTIME_CAPS_WRAPPER } from '../deploy/src/kubernetes.js';
import { ambientCapsWrapper, localCommand, setprivArgs } from './helpers/daemonset-privileges.js';
import { ruleFiles } from '../alerts/src/index.js';
import { hashmod } from '../src/metrics/relabel.js';
import { dashboardFiles } from '../dashboards/src/index.js';
import { DEFAULT_MIXIN_CONFIG } from '../src/mixin/config.js';
import { promtool } from './helpers/prometheus.js';
import { cliPath, freePort, repoRoot, runAndScrape, sampleValue } from './helpers/spyglass.js';

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};

const deployDir = join(repoRoot, 'deploy/kubernetes');

function render(root: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', join(deployDir, root)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return yaml.loadAll(out) as K8sObject[];
}

/** kubernetes-models class for each kind we ship (core, apps, networking, Prometheus Operator). */
const MODELS: Record<string, string> = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'apps/v1/DaemonSet': 'kubernetes-models/apps/v1/DaemonSet',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'apps/v1/StatefulSet': 'kubernetes-models/apps/v1/StatefulSet',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'monitoring.coreos.com/v1/ServiceMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PodMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor',
  'monitoring.coreos.com/v1/PrometheusRule': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
};

/** The TypeScript type each kind is checked against for unknown fields. */
const TYPES: Record<string, [string, string]> = {
  'v1/Namespace': ['kubernetes-types/core/v1.js', 'Namespace'],
  'v1/ServiceAccount': ['kubernetes-types/core/v1.js', 'ServiceAccount'],
  'v1/Service': ['kubernetes-types/core/v1.js', 'Service'],
  'v1/ConfigMap': ['kubernetes-types/core/v1.js', 'ConfigMap'],
  'apps/v1/DaemonSet': ['kubernetes-types/apps/v1.js', 'DaemonSet'],
  'apps/v1/Deployment': ['kubernetes-types/apps/v1.js', 'Deployment'],
  'apps/v1/StatefulSet': ['kubernetes-types/apps/v1.js', 'StatefulSet'],
  'networking.k8s.io/v1/NetworkPolicy': ['kubernetes-types/networking/v1.js', 'NetworkPolicy'],
  'monitoring.coreos.com/v1/ServiceMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor', 'IServiceMonitor'],
  'monitoring.coreos.com/v1/PodMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor', 'IPodMonitor'],
  'monitoring.coreos.com/v1/PrometheusRule': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule', 'IPrometheusRule'],
};

const typeKey = (o: K8sObject) => `${o.apiVersion}/${o.kind}`;

async function schemaErrors(o: K8sObject): Promise<string | undefined> {
  const module = MODELS[typeKey(o)];
  if (!module) return `no schema for ${typeKey(o)}`;
  const Model = (await import(module))[o.kind] as new (data: unknown) => { validate(): void };
  try {
    new Model(o).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Type-checks objects as TypeScript literals against their kind's type: excess-property checks
 * reject any field the type does not have, at any depth. Returns tsc's errors per object index.
 */
function unknownFieldErrors(objects: K8sObject[]): Map<number, string[]> {
  const dir = mkdtempSync(join(repoRoot, 'node_modules/.cache-typecheck-'));
  try {
    const imports = new Set<string>();
    const lines = objects.map((o, i) => {
      const [module, type] = TYPES[typeKey(o)] ?? assert.fail(`no type for ${typeKey(o)}`);
      imports.add(`import type { ${type} as T${i} } from '${module}';`);
      return `export const o${i} = ${JSON.stringify(o)} satisfies T${i};`;
    });
    writeFileSync(join(dir, 'objects.ts'), [...imports, ...lines].join('\n'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true, types: [] },
        files: ['objects.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    const errors = new Map<number, string[]>();
    for (const line of tsc.stdout.split('\n')) {
      const m = /objects\.ts\((\d+),\d+\): (error .*)$/.exec(line);
      if (!m) continue;
      const index = Number(m[1]) - 1 - imports.size;
      errors.set(index, [...(errors.get(index) ?? []), m[2] as string]);
    }
    if (tsc.status !== 0 && errors.size === 0) assert.fail(`tsc failed without object errors: ${tsc.stdout}${tsc.stderr}`);
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const rendered = new Map<string, K8sObject[]>();
  before(() => {
    for (const root of KUSTOMIZE_ROOTS) rendered.set(root, render(root));
  });

  it('are what deploy/src generates (run `npm run generate` after changing it)', () => {
    for (const [rel, text] of Object.entries(kubernetesFiles())) {
      assert.equal(readFileSync(join(deployDir, rel), 'utf8'), text, `deploy/kubernetes/${rel} is stale`);
    }
  });

  it('render with kubectl kustomize: the whole set and the two overlays hold what they say', () => {
    const kinds = (root: string) => (rendered.get(root) ?? []).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
    const dashboards = Object.keys(dashboardFiles(DEFAULT_MIXIN_CONFIG)).map((f) => `ConfigMap/monitoring/${f.replace(/\.json$/, '')}-dashboard`);
    const host = [
      'DaemonSet/monitoring/spyglass',
      'Namespace//monitoring',
      'NetworkPolicy/monitoring/spyglass',
      'PrometheusRule/monitoring/spyglass',
      'Service/monitoring/spyglass',
      'ServiceAccount/monitoring/spyglass',
      'ServiceMonitor/monitoring/spyglass',
    ];
    const sidecar = ['Deployment/demo/demo-app', 'Namespace//demo', 'NetworkPolicy/demo/demo-app', 'PodMonitor/demo/demo-app-spyglass'];
    const mixin = new Set(['PrometheusRule/monitoring/spyglass', ...dashboards]);
    assert.deepEqual(kinds('overlays/host-only'), [...dashboards, ...host].sort());
    assert.deepEqual(kinds('overlays/sidecar-only'), [...dashboards, ...sidecar, 'PrometheusRule/monitoring/spyglass'].sort());
    assert.deepEqual(kinds('.'), [...new Set([...dashboards, ...host, ...sidecar, ...mixin])].sort());
    assert.deepEqual(
      kinds('probe-shards'),
      ['ConfigMap', 'NetworkPolicy', 'PodMonitor', 'Service', 'StatefulSet']
        .map((kind) => `${kind}/monitoring/spyglass-prober`)
        .concat('Namespace//monitoring')
        .sort(),
    );
    for (const [root, objects] of rendered) {
      for (const o of objects) {
        for (const c of [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])]) {
          if (c.name === 'spyglass')
            assert.match(c.image, /^registry\.example\.com\/spyglass:\d+\.\d+\.\d+$/, `${root}: kustomize's images: entry sets the image`);
        }
      }
    }
  });

  it('validate against the Kubernetes and Prometheus Operator schemas', async () => {
    for (const [root, objects] of rendered) {
      for (const o of objects) assert.equal(await schemaErrors(o), undefined, `${root}: ${o.kind} ${o.metadata.name}`);
    }
    // The check can fail: a string port and a bad relabel action are refused.
    const ds = structuredClone((rendered.get('.') ?? []).find((o) => o.kind === 'DaemonSet') as K8sObject);
    ds.spec.template.spec.containers[0].ports[0].containerPort = '9473';
    assert.match((await schemaErrors(ds)) ?? '', /containerPort must be integer/);
    const sm = structuredClone((rendered.get('.') ?? []).find((o) => o.kind === 'ServiceMonitor') as K8sObject);
    sm.spec.endpoints[0].relabelings[0].action = 'rename';
    assert.match((await schemaErrors(sm)) ?? '', /must be equal to one of the allowed values/);
  });

  it('have no unknown fields (kubernetes-types 1.30 and the Operator types, checked by tsc)', () => {
    const objects = [...(rendered.get('.') ?? []), ...(rendered.get('probe-shards') ?? []).filter((o) => o.kind !== 'Namespace')];
    const errors = unknownFieldErrors(objects);
    assert.deepEqual(
      [...errors].map(([i, e]) => `${objects[i]?.kind}: ${e.join('; ')}`),
      [],
    );
    // The check can fail: misspelt or invented fields at any depth are caught, and only those.
    const mutated = structuredClone(objects);
    const ds = mutated.find((o) => o.kind === 'DaemonSet') as K8sObject;
    ds.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
    const deployment = mutated.find((o) => o.kind === 'Deployment') as K8sObject;
    deployment.spec.template.spec.hostPid = true;
    const pm = mutated.find((o) => o.kind === 'PodMonitor') as K8sObject;
    pm.spec.podMetricsEndpoints[0].scrapeInterval = '15s';
    const found = unknownFieldErrors(mutated);
    const messages = [...found.values()].flat().join('\n');
    assert.deepEqual([...found.keys()].map((i) => mutated[i]?.kind).sort(), ['DaemonSet', 'Deployment', 'PodMonitor']);
    for (const field of ['readOnlyRootFileSystem', 'hostPid', 'scrapeInterval']) assert.match(messages, new RegExp(`'"${field}"' does not exist`));
  });

  it('fit together: selectors, named ports, host mounts, security, probes, rules and dashboards', () => {
    const all = rendered.get('.') ?? [];
    const find = (kind: string, name?: string) => all.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as K8sObject;
    const ds = find('DaemonSet');
    const pod = ds.spec.template.spec;
    const [c] = pod.containers;
    assert.equal(pod.hostPID, true);
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      // The runtimes' state for image and pod names (docs/security.md), through the wrapper below.
      capabilities: { drop: ['ALL'], add: ['DAC_READ_SEARCH'] },
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
    });
    assert.deepEqual(c.command, [...RUNTIME_CAPS_WRAPPER, ...IMAGE_ENTRYPOINT]);
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))?.[1];
    assert.deepEqual(JSON.parse(entrypoint ?? '[]'), IMAGE_ENTRYPOINT, "the command is the image's ENTRYPOINT behind the wrapper");
    assert.match(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'), new RegExp(`setcap cap_dac_read_search=p ${RUNTIME_CAPS_WRAPPER[0]}`));
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.mountPath, m]));
    const hostPaths = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v.hostPath.path]));
    for (const [mountPath, hostPath, flag] of [
      ['/host/root', '/', '--path.rootfs'],
      ['/host/proc', '/proc', '--path.procfs'],
      ['/host/sys', '/sys', '--path.sysfs'],
    ]) {
      assert.equal(mounts[mountPath as string]?.readOnly, true, mountPath);
      assert.equal(hostPaths[mounts[mountPath as string].name], hostPath);
      assert.ok(c.args.includes(`${flag}=${mountPath}`), flag);
    }
    assert.equal(mounts['/host/root'].mountPropagation, 'HostToContainer', 'mounts made after start (new volumes) show up');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    const portNames = new Set(c.ports.map((p: any) => p.name));
    assert.ok(portNames.has(c.livenessProbe.httpGet.port) && portNames.has(c.readinessProbe.httpGet.port));

    const svc = find('Service', 'spyglass');
    assert.equal(svc.spec.clusterIP, 'None', 'headless');
    assert.deepEqual(svc.spec.selector, ds.spec.selector.matchLabels);
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(ds.spec.template.metadata.labels[k], v, 'the Service selects the DaemonSet pods');
    assert.ok(portNames.has(svc.spec.ports[0].targetPort));
    const sm = find('ServiceMonitor');
    assert.deepEqual(
      sm.spec.selector.matchLabels,
      Object.fromEntries(Object.entries(svc.metadata.labels ?? {}).filter(([k]) => k in sm.spec.selector.matchLabels)),
    );
    assert.equal(sm.spec.endpoints[0].port, svc.spec.ports[0].name);
    assert.equal(svc.metadata.labels?.[sm.spec.jobLabel], 'spyglass', 'job="spyglass", as the rules select');
    assert.deepEqual(sm.spec.endpoints[0].relabelings.find((r: any) => r.targetLabel === 'instance').sourceLabels, ['__meta_kubernetes_pod_node_name']);
    const np = all.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'monitoring') as K8sObject;
    assert.deepEqual(np.spec.podSelector.matchLabels, ds.spec.selector.matchLabels);
    assert.ok(portNames.has(np.spec.ingress[0].ports[0].port));

    const deployment = find('Deployment');
    const sidecar = deployment.spec.template.spec.initContainers.find((x: any) => x.name === 'spyglass');
    assert.equal(sidecar.restartPolicy, 'Always', 'a native sidecar');
    assert.ok(
      sidecar.args.some((a: string) => /^--probe=http:\/\/127\.0\.0\.1:\d+\//.test(a)),
      'probes the app over the pod network namespace',
    );
    // The demo namespace enforces the Restricted Pod Security level: every container must meet it.
    const podSpec = deployment.spec.template.spec;
    assert.equal(podSpec.securityContext.runAsNonRoot, true);
    assert.equal(podSpec.securityContext.seccompProfile.type, 'RuntimeDefault');
    for (const x of [...podSpec.containers, ...podSpec.initContainers]) {
      assert.equal(x.securityContext.allowPrivilegeEscalation, false, x.name);
      assert.deepEqual(x.securityContext.capabilities.drop, ['ALL'], x.name);
    }
    assert.equal(find('Namespace', 'demo').metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    const pm = find('PodMonitor');
    assert.deepEqual(pm.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    assert.ok(
      sidecar.ports.some((p: any) => p.name === pm.spec.podMetricsEndpoints[0].port),
      'the PodMonitor names a declared port',
    );
    const appPort = deployment.spec.template.spec.containers[0].ports[0].containerPort;
    assert.ok(sidecar.args.includes(`--probe=http://127.0.0.1:${appPort}/`));

    const rule = find('PrometheusRule');
    const files = ruleFiles(DEFAULT_MIXIN_CONFIG);
    const expectedGroups = [
      ...(yaml.load(files['spyglass-rules.yaml'] as string) as any).groups,
      ...(yaml.load(files['spyglass-alerts.yaml'] as string) as any).groups,
    ];
    assert.deepEqual(rule.spec.groups, expectedGroups, 'the PrometheusRule holds alerts/ exactly');
    for (const [file, json] of Object.entries(dashboardFiles(DEFAULT_MIXIN_CONFIG))) {
      const cm = find('ConfigMap', `${file.replace(/\.json$/, '')}-dashboard`);
      assert.equal(cm.data?.[file], json);
      assert.equal(cm.metadata.labels?.grafana_dashboard, '1', 'picked up by the Grafana sidecar');
      assert.ok(Buffer.byteLength(JSON.stringify(cm)) < 256 * 1024, `${file}: small enough for client-side kubectl apply's annotation`);
    }
  });

  it('the sharded probers fit together: shard from the pod name, count = replicas, config mounted, each pod scraped', () => {
    const all = rendered.get('probe-shards') ?? [];
    const find = (kind: string) => all.find((o) => o.kind === kind) as K8sObject;
    const sts = find('StatefulSet');
    const pod = sts.spec.template.spec;
    const [c] = pod.containers;
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
    assert.deepEqual(env.SPYGLASS_PROBE_SHARD_INDEX.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.equal(env.SPYGLASS_PROBE_SHARD_COUNT.value, String(sts.spec.replicas), 'as many shards as replicas');
    assert.equal(find('Service').metadata.name, sts.spec.serviceName);
    assert.equal(find('Service').spec.clusterIP, 'None');
    const cm = find('ConfigMap');
    const volume = pod.volumes.find((v: any) => v.configMap?.name === cm.metadata.name);
    const mount = c.volumeMounts.find((m: any) => m.name === volume.name);
    assert.ok(c.args.includes(`--config.file=${mount.mountPath}/spyglass.yml`) && cm.data?.['spyglass.yml']);
    assert.match(cm.data?.['spyglass.yml'] as string, new RegExp(`- ${mount.mountPath}/targets\\.yaml`));
    const pm = find('PodMonitor');
    for (const [k, v] of Object.entries(pm.spec.selector.matchLabels))
      assert.equal(sts.spec.template.metadata.labels[k], v, 'the PodMonitor selects the probers');
    assert.ok(c.ports.some((p: any) => p.name === pm.spec.podMetricsEndpoints[0].port));
    assert.equal(pod.securityContext.runAsNonRoot, true);
  });

  it('the PrometheusRule passes promtool check rules', () => {
    const rule = (rendered.get('.') ?? []).find((o) => o.kind === 'PrometheusRule') as K8sObject;
    const dir = mkdtempSync(join(repoRoot, 'node_modules/.cache-rules-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), yaml.dump({ groups: rule.spec.groups }));
      const r = promtool(['check', 'rules', join(dir, 'rules.yaml')]);
      assert.equal(r.code, 0, r.output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the manifests' own arguments on this machine", () => {
  let app: ReturnType<typeof createServer>;
  before(async () => {
    app = createServer((_req, res) => res.end('ok\n'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  });
  after(() => app.close());

  /**
   * Runs spyglass with a container's command and args (host paths mapped back to this machine's)
   * with the uid, groups and capabilities its securityContext gives it (helpers/daemonset-privileges.ts).
   */
  async function runAsContainer(podSpec: any, check: (metrics: string) => void, until = /^spyglass_build_info/m) {
    const container = [...podSpec.containers, ...(podSpec.initContainers ?? [])].find((c: { name: string }) => c.name === 'spyglass');
    const args: string[] = container.args;
    const wrapperDir = mkdtempSync(join(tmpdir(), 'spyglass-caps-'));
    chmodSync(wrapperDir, 0o755);
    const command = container.command ? localCommand(container.command, ambientCapsWrapper(wrapperDir), cliPath) : [process.execPath, cliPath];
    const privileges = setprivArgs({ pod: podSpec.securityContext ?? {}, container: container.securityContext ?? {} });
    const port = await freePort();
    const mapped = args.map((a) =>
      a
        .replace('=/host/root/', '=/')
        .replace(/=\/host\/(proc|sys)$/, '=/$1')
        .replace('=/host/root', '=/')
        .replace(`[$(HOST_IP)]:9473`, `[127.0.0.1]:${port}`),
    );
    const withPort = mapped.some((a) => a.startsWith('--web.listen-address')) ? mapped : [...mapped, `--web.listen-address=127.0.0.1:${port}`];
    const run = await runAndScrape('setpriv', [...privileges, ...command, 'serve', ...withPort], port, { until });
    try {
      check(run.metrics);
    } finally {
      run.proc.kill('SIGTERM');
      rmSync(wrapperDir, { recursive: true, force: true });
    }
    assert.equal(await run.exited, 0, run.logs());
  }

  it('the DaemonSet container: host and container metrics as an unprivileged user', async () => {
    const ds = render('overlays/host-only').find((o) => o.kind === 'DaemonSet') as K8sObject;
    await runAsContainer(ds.spec.template.spec, (metrics) => {
      assert.ok((sampleValue(metrics, 'node_load1') ?? -1) >= 0);
      assert.match(metrics, /^container_cpu_usage_seconds_total\{.*id="\/"/m, 'the container collector reads cgroups as non-root');
      assert.match(metrics, /^node_filesystem_avail_bytes\{/m);
      assert.doesNotMatch(metrics, /spyglass_collector_last_success\{collector="(cpu|meminfo|container|diskstats|filesystem)"\} 0/);
    });
  });

  it('the sidecar container: probes the app next to it', async () => {
    const dep = render('overlays/sidecar-only').find((o) => o.kind === 'Deployment') as K8sObject;
    const appPort = (app.address() as AddressInfo).port;
    const podSpec = structuredClone(dep.spec.template.spec);
    podSpec.initContainers[0].args = (podSpec.initContainers[0].args as string[]).map((a) => a.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${appPort}`));
    const success = `probe_success{module="http_2xx",target="http://127.0.0.1:${appPort}/"}`;
    await runAsContainer(
      podSpec,
      (metrics) => {
        assert.equal(sampleValue(metrics, success), 1);
        assert.doesNotMatch(metrics, /^node_load1 /m, 'only the probe collector runs');
      },
      /^probe_success\{/m,
    );
  });
});

describe("the sharded probers' StatefulSet on this machine", () => {
  it('its pods, with their own arguments, config and environment, split the shared targets: each target once', async () => {
    const objects = render('probe-shards');
    const sts = objects.find((o) => o.kind === 'StatefulSet') as K8sObject;
    const cm = objects.find((o) => o.kind === 'ConfigMap') as K8sObject;
    const c = sts.spec.template.spec.containers[0];
    const mountPath = c.volumeMounts[0].mountPath as string;
    const dir = mkdtempSync(join(tmpdir(), 'spyglass-probers-'));
    chmodSync(dir, 0o755); // read by uid 65534, as the pods run
    for (const [name, text] of Object.entries(cm.data ?? {})) writeFileSync(join(dir, name), text.replaceAll(mountPath, dir));
    const targets = (yaml.load(cm.data?.['targets.yaml'] as string) as Array<{ targets: string[] }>).flatMap((g) => g.targets);
    const count = c.env.find((e: any) => e.name === 'SPYGLASS_PROBE_SHARD_COUNT').value as string;
    const runs = await Promise.all(
      Array.from({ length: sts.spec.replicas as number }, async (_, ordinal) => {
        const port = await freePort();
        const args = [...(c.args as string[]).map((a) => a.replaceAll(mountPath, dir)), `--web.listen-address=127.0.0.1:${port}`];
        // The downward API's metadata.name: the StatefulSet's pod names.
        const env = [`SPYGLASS_PROBE_SHARD_INDEX=${sts.metadata.name}-${ordinal}`, `SPYGLASS_PROBE_SHARD_COUNT=${count}`];
        const setpriv = ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', ...env, process.execPath, cliPath, 'serve', ...args];
        return runAndScrape('setpriv', setpriv, port, { until: /^spyglass_probe_shard_targets\{state="left_out"\}/m });
      }),
    );
    try {
      let kept = 0;
      for (const [ordinal, run] of runs.entries()) {
        assert.equal(sampleValue(run.metrics, `spyglass_probe_shard_info{shard="${ordinal}",shards="${count}"}`), 1, run.logs());
        const mine = sampleValue(run.metrics, 'spyglass_probe_shard_targets{state="kept"}') as number;
        assert.equal(mine + (sampleValue(run.metrics, 'spyglass_probe_shard_targets{state="left_out"}') as number), targets.length);
        assert.equal(mine, targets.filter((t) => hashmod(t, Number(count)) === ordinal).length);
        kept += mine;
      }
      assert.equal(kept, targets.length, 'each target in exactly one shard');
    } finally {
      for (const run of runs) run.proc.kill('SIGTERM');
      await Promise.all(runs.map((r) => r.exited));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("docs/deploy.md's Kubernetes quick start", () => {
  it('run as written (steps 2 and 3) on a copy, it renders the image the user named on every spyglass container', () => {
    const doc = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
    const block = /<!-- quickstart:[^>]*-->\n```sh\n([^]*?)```/.exec(doc)?.[1];
    assert.ok(block, 'the quick start block');
    const steps = block.slice(block.indexOf('# 2.')).replaceAll('REGISTRY', 'registry.acme.test/ops').replaceAll('TAG', '1.2.3');
    const work = mkdtempSync(join(tmpdir(), 'spyglass-quickstart-'));
    execFileSync('cp', ['-r', join(repoRoot, 'deploy'), join(work, 'deploy')]);
    // No cluster here: `kubectl apply -k DIR` renders DIR with kubectl's kustomize and keeps what it would send.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'kubectl'),
      `#!/bin/sh\nif [ "$1" = apply ]; then shift; while [ "$1" != -k ]; do shift; done; exec ${JSON.stringify(execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim())} kustomize "$2" > applied.yaml; fi\nexit 2\n`,
      { mode: 0o755 },
    );
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', steps], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    assert.equal(run.status, 0, run.stderr);
    const objects = yaml.loadAll(readFileSync(join(work, 'applied.yaml'), 'utf8')) as Array<{
      kind: string;
      spec?: { template?: { spec?: { containers?: Array<{ name: string; image: string }>; initContainers?: Array<{ name: string; image: string }> } } };
    }>;
    const images = objects
      .flatMap((o) => [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])])
      .filter((c) => c.name === 'spyglass')
      .map((c) => c.image);
    assert.ok(images.length >= 1, 'a DaemonSet with a spyglass container');
    assert.deepEqual([...new Set(images)], ['registry.acme.test/ops/spyglass:1.2.3']);
    rmSync(work, { recursive: true, force: true });
  });
});
