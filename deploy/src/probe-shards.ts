/**
 * The sharded prober example (docs/probe-sharding.md): a StatefulSet of N spyglass probers over one
 * shared target list in a ConfigMap, each pod probing the shard its name's ordinal picks
 * (`spyglass-prober-2` → shard 2 of N), each scraped by a PodMonitor.
 */
import { dump } from 'js-yaml';
import type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Service } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import { headlessService, NAME, podMonitor, prometheusOnlyPolicy, spyglassContainer } from './kubernetes.js';

export const PROBER = `${NAME}-prober`;
/** Replicas, and so shards: the StatefulSet's replicas and SPYGLASS_PROBE_SHARD_COUNT change together. */
export const SHARDS = 3;
const selectorLabels = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'prober' };
const labels = { ...selectorLabels, 'app.kubernetes.io/part-of': NAME };
const CONFIG_DIR = '/etc/spyglass';

/** What every replica reads: the probe config (no shard: the pod's environment sets it) and the shared targets, in file_sd format. */
export function proberConfigMap(): ConfigMap {
  const config = {
    collectors: {
      probe: {
        probe_interval: '30s',
        // The ConfigMap volume is re-read when the kubelet updates it (the directory is watched).
        file_sd: [{ files: [`${CONFIG_DIR}/targets.yaml`], refresh_interval: '1m' }],
        // The API server's certificate is signed by the cluster's own CA, which this example does not mount.
        modules: { http_2xx_insecure: { prober: 'http', http: { tls_config: { insecure_skip_verify: true } } } },
      },
    },
  };
  const targets = [
    { targets: ['https://kubernetes.default.svc/livez'], labels: { __param_module: 'http_2xx_insecure', service: 'apiserver' } },
    { targets: ['kube-dns.kube-system.svc:53', 'kubernetes.default.svc:443'], labels: { service: 'cluster' } },
  ];
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: PROBER, labels },
    data: { 'spyglass.yml': dump(config, { lineWidth: -1 }), 'targets.yaml': dump(targets, { lineWidth: -1 }) },
  } satisfies ConfigMap;
}

export function proberStatefulSet(): StatefulSet {
  const args = [`--config.file=${CONFIG_DIR}/spyglass.yml`, '--collector.disable-defaults', '--collector.probe', '--log.format=json'];
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: PROBER, labels },
    spec: {
      serviceName: PROBER,
      replicas: SHARDS,
      // Shards are independent: when scaling, create and remove pods all at once, not one after the other.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selectorLabels },
      template: {
        metadata: { labels, annotations: { 'kubectl.kubernetes.io/default-container': NAME } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              ...spyglassContainer(args, { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '1', memory: '512Mi' } }),
              env: [
                // The pod's name ends in its ordinal (spyglass-prober-2): spyglass takes the shard from it.
                { name: 'SPYGLASS_PROBE_SHARD_INDEX', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                // Keep equal to replicas: changing it here rolls every pod onto the new split.
                { name: 'SPYGLASS_PROBE_SHARD_COUNT', value: String(SHARDS) },
              ],
              volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: PROBER } }],
        },
      },
    },
  } satisfies StatefulSet;
}

/** The StatefulSet's governing Service (headless): stable pod names, no load balancing. */
export function proberService(): Service {
  return headlessService(PROBER, labels, selectorLabels);
}

/** Every replica scraped on its own; instance is the pod name, so a series says which shard probed it. */
export function proberPodMonitor(): IPodMonitor {
  return podMonitor(PROBER, labels, selectorLabels, PROBER);
}

export function proberNetworkPolicy(): NetworkPolicy {
  return prometheusOnlyPolicy(PROBER, labels, selectorLabels);
}
