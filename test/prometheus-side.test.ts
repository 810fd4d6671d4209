/**
 * The Prometheus side of deploying spyglass: the example scrape configs in docs/prometheus pass
 * `promtool check config`, and their relabeling does what the comments say, run offline by
 * `promtool check service-discovery` on file_sd targets. Debian's promtool has Kubernetes
 * discovery compiled out, so the Kubernetes jobs' relabel rules (and those of the shipped
 * ServiceMonitor and PodMonitor) run on file_sd targets carrying the __meta_kubernetes_* labels
 * that Kubernetes discovery would attach.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { serviceMonitor, sidecarPodMonitor } from '../deploy/src/kubernetes.js';
import { makeCertificates, type Certificates } from './helpers/probe-servers.js';
import { promtool } from './helpers/prometheus.js';
import { repoRoot } from './helpers/spyglass.js';

type Labels = Record<string, string>;
type RelabelConfig = Record<string, unknown>;
interface ScrapeConfig {
  job_name: string;
  relabel_configs?: RelabelConfig[];
}

/** The JSON array promtool prints (its log lines follow it in the same output). */
function discovered(output: string): string {
  return output.slice(output.indexOf('['), output.indexOf('\n]') + 2);
}

/** The labels each target ends up with (empty: dropped), by running the relabel rules in promtool. */
function relabel(dir: string, relabelConfigs: RelabelConfig[], targets: Array<{ address: string; labels: Labels }>): Labels[] {
  writeFileSync(join(dir, 'sd.json'), JSON.stringify(targets.map((t) => ({ targets: [t.address], labels: t.labels }))));
  writeFileSync(
    join(dir, 'sd-prometheus.yml'),
    yaml.dump({ scrape_configs: [{ job_name: 'under-test', file_sd_configs: [{ files: ['sd.json'] }], relabel_configs: relabelConfigs }] }),
  );
  // file_sd delivers at once; without a short timeout promtool waits its default 30 s.
  const r = promtool(['check', 'service-discovery', '--timeout=2s', 'sd-prometheus.yml', 'under-test'], dir);
  assert.equal(r.code, 0, r.output);
  const found = JSON.parse(discovered(r.output)) as Array<{ discoveredLabels: Labels; labels: Labels }>;
  const byAddress = new Map(
    found.map((t) => [t.discoveredLabels.__address__, Object.fromEntries(Object.entries(t.labels).filter(([k]) => !k.startsWith('__')))]),
  );
  assert.equal(byAddress.size, targets.length, 'one result per target (addresses must differ)');
  return targets.map((t) => byAddress.get(t.address) ?? assert.fail(`no result for ${t.address}`));
}

describe('example scrape configs (docs/prometheus)', () => {
  let dir: string;
  let certs: Certificates;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-promcfg-'));
    certs = makeCertificates();
    cpSync(join(repoRoot, 'docs/prometheus'), dir, { recursive: true });
    cpSync(certs.caFile, join(dir, 'ca.crt'));
    writeFileSync(join(dir, 'prometheus-password'), 'change-me\n');
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    certs.cleanup();
  });

  it('scrape-configs.yml passes promtool check config', () => {
    const r = promtool(['check', 'config', 'scrape-configs.yml'], dir);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
  });

  it('the file_sd job reads the example targets: job="spyglass", instance without the port, labels kept', () => {
    const r = promtool(['check', 'service-discovery', '--timeout=2s', 'scrape-configs.yml', 'spyglass-file-sd'], dir);
    assert.equal(r.code, 0, r.output);
    const targets = JSON.parse(discovered(r.output)) as Array<{ labels: Labels }>;
    assert.deepEqual(
      // promtool lists the target groups of the two files in whichever order discovery finished.
      targets.map((t) => [t.labels.job, t.labels.instance, t.labels.__address__, t.labels.role]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [
        ['spyglass', 'db-1.example.internal', 'db-1.example.internal:9473', 'database'],
        ['spyglass', 'db-2.example.internal', 'db-2.example.internal:9473', 'database'],
        ['spyglass', 'web-1.example.internal', 'web-1.example.internal:9473', 'web'],
      ],
    );
  });

  const kubernetesJobs = () =>
    (yaml.load(readFileSync(join(repoRoot, 'docs/prometheus/kubernetes-scrape-configs.yml'), 'utf8')) as { scrape_configs: ScrapeConfig[] }).scrape_configs;

  it('kubernetes-scrape-configs.yml is refused by this promtool only for its Kubernetes discovery', () => {
    const r = promtool(['check', 'config', join(repoRoot, 'docs/prometheus/kubernetes-scrape-configs.yml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.output, /field kubernetes_sd_configs not found/);
    // Without the discovery blocks the rest is a valid config.
    const stripped = kubernetesJobs().map(({ job_name, relabel_configs }) => ({
      job_name,
      relabel_configs,
      static_configs: [{ targets: ['127.0.0.1:9473'] }],
    }));
    writeFileSync(join(dir, 'k8s-stripped.yml'), yaml.dump({ scrape_configs: stripped }));
    const ok = promtool(['check', 'config', 'k8s-stripped.yml'], dir);
    assert.equal(ok.code, 0, ok.output);
  });

  it("the DaemonSet job keeps the spyglass Service's metrics port and names the target after its node", () => {
    const job = kubernetesJobs().find((j) => j.job_name === 'spyglass') as ScrapeConfig;
    let host = 0;
    const endpoint = (service: string, port: string, node: string) => ({
      address: `10.0.0.${++host}:9473`,
      labels: {
        __meta_kubernetes_service_name: service,
        __meta_kubernetes_endpointslice_port_name: port,
        __meta_kubernetes_endpointslice_endpoint_node_name: node,
        __meta_kubernetes_namespace: 'monitoring',
        __meta_kubernetes_pod_name: `spyglass-${node}`,
      },
    });
    const out = relabel(dir, job.relabel_configs ?? [], [
      endpoint('spyglass', 'metrics', 'node-a'),
      endpoint('spyglass', 'metrics', 'node-b'),
      endpoint('spyglass', 'debug', 'node-a'),
      endpoint('kube-dns', 'metrics', 'node-a'),
    ]);
    assert.deepEqual(out, [
      { instance: 'node-a', job: 'under-test', namespace: 'monitoring', pod: 'spyglass-node-a' },
      { instance: 'node-b', job: 'under-test', namespace: 'monitoring', pod: 'spyglass-node-b' },
      {},
      {},
    ]);
  });

  it("the sidecar job keeps running pods' spyglass metrics ports, instance = pod, job = spyglass", () => {
    const job = kubernetesJobs().find((j) => j.job_name === 'spyglass-sidecars') as ScrapeConfig;
    let host = 0;
    const port = (pod: string, container: string, portName: string, phase: string) => ({
      address: `10.1.0.${++host}:${portName === 'metrics' ? 9473 : 8080}`,
      labels: {
        __meta_kubernetes_pod_name: pod,
        __meta_kubernetes_pod_container_name: container,
        __meta_kubernetes_pod_container_port_name: portName,
        __meta_kubernetes_pod_phase: phase,
        __meta_kubernetes_namespace: 'demo',
        __meta_kubernetes_pod_label_app_kubernetes_io_name: 'demo-app',
      },
    });
    const out = relabel(dir, job.relabel_configs ?? [], [
      port('demo-app-1', 'spyglass', 'metrics', 'Running'),
      port('demo-app-1', 'app', 'http', 'Running'),
      port('demo-app-2', 'spyglass', 'metrics', 'Pending'),
      port('demo-app-3', 'app', 'metrics', 'Running'),
    ]);
    assert.deepEqual(out, [{ app: 'demo-app', instance: 'demo-app-1', job: 'spyglass', namespace: 'demo' }, {}, {}, {}]);
  });

  it('the shipped ServiceMonitor and PodMonitor relabelings set instance to the node and the pod, job to spyglass', () => {
    const toPrometheus = (r: Record<string, unknown>) => ({
      ...(r.sourceLabels ? { source_labels: r.sourceLabels } : {}),
      ...(r.targetLabel ? { target_label: r.targetLabel } : {}),
      ...(r.action ? { action: r.action } : {}),
      ...(r.regex ? { regex: r.regex } : {}),
      ...(r.replacement ? { replacement: r.replacement } : {}),
    });
    const sm = (serviceMonitor().spec.endpoints[0]?.relabelings ?? []).map((r) => toPrometheus(r as Record<string, unknown>));
    assert.deepEqual(relabel(dir, sm, [{ address: '10.0.0.1:9473', labels: { __meta_kubernetes_pod_node_name: 'node-a' } }]), [
      { instance: 'node-a', job: 'under-test' },
    ]);
    const pm = (sidecarPodMonitor().spec.podMetricsEndpoints[0]?.relabelings ?? []).map((r) => toPrometheus(r as Record<string, unknown>));
    assert.deepEqual(relabel(dir, pm, [{ address: '10.1.0.7:9473', labels: { __meta_kubernetes_pod_name: 'demo-app-1' } }]), [
      { instance: 'demo-app-1', job: 'spyglass' },
    ]);
  });
});
