/**
 * The Kubernetes objects of deploy/kubernetes, typed against kubernetes-types and the Prometheus
 * Operator's models (`satisfies` rejects unknown fields at compile time). Facts behind the choices:
 * node-exporter's DaemonSet in kube-prometheus
 * (https://github.com/prometheus-operator/kube-prometheus/blob/main/manifests/nodeExporter-daemonset.yaml)
 * and in its Helm chart (https://github.com/prometheus-community/helm-charts, charts/prometheus-node-exporter);
 * docs/deploy.md (Kubernetes) describes the DaemonSet that follows from them.
 */
import type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Container, Namespace, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import { alertGroups, recordingGroups } from '../../alerts/src/index.js';
import { dashboardFiles } from '../../dashboards/src/index.js';
import type { MixinConfig } from '../../src/mixin/config.js';
import { DEFAULT_PORT } from '../../src/config/schema.js';

export const NAME = 'spyglass';
/** Set to a registry path and tag by the `images:` entry of deploy/kubernetes/kustomization.yaml. */
export const IMAGE = 'spyglass';
export const PORT_NAME = 'metrics';
const selectorLabels = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'node-agent' };
const labels = { ...selectorLabels, 'app.kubernetes.io/part-of': NAME };
/** Labels of the Prometheus pods allowed to scrape (kube-prometheus and kube-prometheus-stack use this one). */
export const prometheusPods = { 'app.kubernetes.io/name': 'prometheus' };

/** What every spyglass container shares: non-root, read-only, no capabilities, probes on the open health paths. */
export function spyglassContainer(args: string[], resources: Container['resources']): Container {
  return {
    name: NAME,
    image: IMAGE,
    args,
    ports: [{ name: PORT_NAME, containerPort: DEFAULT_PORT, protocol: 'TCP' }],
    resources,
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
    },
    // /healthz answers as soon as the server listens; /readyz once every collector has run once.
    livenessProbe: { httpGet: { path: '/healthz', port: PORT_NAME }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/readyz', port: PORT_NAME }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** The Dockerfile's ENTRYPOINT, and the wrapper the DaemonSet puts in front of it (Dockerfile, scripts/assemble-runtime.sh). */
export const IMAGE_ENTRYPOINT = ['/nodejs/bin/node', '--v8-pool-size=1', '/app/dist/src/cli.js'];
export const RUNTIME_CAPS_WRAPPER = ['/app/build/Release/ambient-caps'];

export const MONITORING_NAMESPACE = 'monitoring';
export const SIDECAR_NAMESPACE = 'demo';

/** A namespace at a Pod Security level: `privileged` for the DaemonSet's (host namespaces and hostPath volumes are outside Baseline), `restricted` for the sidecar example's. */
export function namespace(name: string, podSecurity: 'privileged' | 'restricted'): Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': podSecurity } } } satisfies Namespace;
}

export function serviceAccount(): ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, labels }, automountServiceAccountToken: false } satisfies ServiceAccount;
}

/** Host and container metrics of every node: host PID and network namespaces, the host's /, /proc and /sys read-only. */
export function daemonSet(): DaemonSet {
  const args = [
    '--path.procfs=/host/proc',
    '--path.sysfs=/host/sys',
    '--path.rootfs=/host/root',
    '--path.udev.data=/host/root/run/udev/data',
    // hostNetwork: bind the node's own address only, not every interface of the node.
    `--web.listen-address=[$(HOST_IP)]:${DEFAULT_PORT}`,
    '--log.format=json',
  ];
  const base = spyglassContainer(args, { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
  const container: Container = {
    ...base,
    // The image's entry point through native/ambient-caps.c, which hands the capability below on to
    // node: Kubernetes drops added capabilities of a non-root container at execve.
    command: [...RUNTIME_CAPS_WRAPPER, ...IMAGE_ENTRYPOINT],
    securityContext: {
      ...base.securityContext,
      // Reads the container runtimes' state (containerd's 0700 bundle directories, Docker's 0600
      // config.v2.json) for the image, pod and container names: docs/security.md says why this and
      // not the runtime's socket, the kubelet's API or root.
      capabilities: { drop: ['ALL'], add: ['DAC_READ_SEARCH'] },
    },
    env: [{ name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }],
    volumeMounts: [
      { name: 'root', mountPath: '/host/root', readOnly: true, mountPropagation: 'HostToContainer' },
      { name: 'proc', mountPath: '/host/proc', readOnly: true },
      { name: 'sys', mountPath: '/host/sys', readOnly: true, mountPropagation: 'HostToContainer' },
    ],
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: NAME, labels },
    spec: {
      selector: { matchLabels: selectorLabels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
      template: {
        metadata: { labels, annotations: { 'kubectl.kubernetes.io/default-container': NAME } },
        spec: {
          serviceAccountName: NAME,
          automountServiceAccountToken: false,
          hostPID: true,
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          priorityClassName: 'system-cluster-critical',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ operator: 'Exists' }],
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
          // Above spyglass's own shutdown_timeout (10 s): in-flight scrapes finish.
          terminationGracePeriodSeconds: 30,
          containers: [container],
          volumes: [
            { name: 'root', hostPath: { path: '/' } },
            { name: 'proc', hostPath: { path: '/proc' } },
            { name: 'sys', hostPath: { path: '/sys' } },
          ],
        },
      },
    },
  } satisfies DaemonSet;
}

/** Headless: Prometheus scrapes each pod (each node), never a load-balanced address. */
export function headlessService(name: string, serviceLabels: Record<string, string>, selector: Record<string, string>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: serviceLabels },
    spec: { clusterIP: 'None', selector, ports: [{ name: PORT_NAME, port: DEFAULT_PORT, targetPort: PORT_NAME, protocol: 'TCP' }] },
  } satisfies Service;
}

export function service(): Service {
  return headlessService(NAME, labels, selectorLabels);
}

/** The ingress rule that lets only Prometheus reach spyglass's port. */
export const fromPrometheusOnly = {
  from: [{ namespaceSelector: {}, podSelector: { matchLabels: prometheusPods } }],
  ports: [{ port: PORT_NAME, protocol: 'TCP' }],
};

/** A policy whose only ingress is Prometheus to spyglass's port. */
export function prometheusOnlyPolicy(name: string, policyLabels: Record<string, string>, selector: Record<string, string>): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, labels: policyLabels },
    spec: { podSelector: { matchLabels: selector }, policyTypes: ['Ingress'], ingress: [fromPrometheusOnly] },
  } satisfies NetworkPolicy;
}

export function serviceMonitor(): IServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: NAME, labels },
    spec: {
      // job="spyglass", as the bundled rules and dashboards select.
      jobLabel: 'app.kubernetes.io/name',
      selector: { matchLabels: selectorLabels },
      endpoints: [
        {
          port: PORT_NAME,
          interval: '15s',
          scrapeTimeout: '10s',
          // One target per node: name it after the node, as node_exporter's ServiceMonitor does.
          relabelings: [{ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'instance', regex: '(.*)', replacement: '$1' }],
        },
      ],
    },
  } satisfies IServiceMonitor;
}

/**
 * Only Prometheus may connect. Caveat: many CNIs do not apply NetworkPolicy to hostNetwork pods,
 * so on those the DaemonSet's port is guarded by its bind address and --web.config.file alone.
 */
export function daemonSetNetworkPolicy(): NetworkPolicy {
  return prometheusOnlyPolicy(NAME, labels, selectorLabels);
}

export function prometheusRule(c: MixinConfig): IPrometheusRule {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: NAME, labels: { ...labels, role: 'alert-rules' } },
    spec: { groups: [...recordingGroups(c), ...alertGroups(c)] as IPrometheusRule['spec']['groups'] },
  } satisfies IPrometheusRule;
}

/** One ConfigMap per dashboard, labelled for the Grafana Helm chart's dashboard sidecar (`grafana_dashboard: "1"`). */
export function dashboardConfigMaps(c: MixinConfig): ConfigMap[] {
  return Object.entries(dashboardFiles(c)).map(
    ([file, json]) =>
      ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `${file.replace(/\.json$/, '')}-dashboard`,
          labels: { ...labels, grafana_dashboard: '1' },
          // The sidecar's folderAnnotation (k8s-sidecar-target-directory): a "Spyglass" folder.
          annotations: { 'k8s-sidecar-target-directory': '/tmp/dashboards/Spyglass' },
        },
        data: { [file]: json },
      }) satisfies ConfigMap,
  );
}

const APP = 'demo-app';
const appLabels = { 'app.kubernetes.io/name': APP };
const APP_PORT = 8080;

/**
 * The sidecar example: an app with spyglass beside it probing http://127.0.0.1:8080/ over the
 * pod's shared network namespace. spyglass is a native sidecar (an init container that keeps
 * running: Kubernetes >= 1.29) so it starts before the app and stops after it; on older clusters
 * move it to `containers`.
 */
export function sidecarDeployment(): Deployment {
  const args = ['--collector.disable-defaults', `--probe=http://127.0.0.1:${APP_PORT}/`, '--log.format=json'];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP, labels: appLabels },
    spec: {
      replicas: 2,
      selector: { matchLabels: appLabels },
      template: {
        metadata: { labels: appLabels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          initContainers: [
            { ...spyglassContainer(args, { requests: { cpu: '10m', memory: '48Mi' }, limits: { cpu: '100m', memory: '128Mi' } }), restartPolicy: 'Always' },
          ],
          containers: [
            {
              name: 'app',
              image: 'nginxinc/nginx-unprivileged:1.27-alpine',
              ports: [{ name: 'http', containerPort: APP_PORT, protocol: 'TCP' }],
              resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 101, runAsGroup: 101 },
              readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            },
          ],
        },
      },
    },
  } satisfies Deployment;
}

/** Each pod scraped on its own by its named port, as `job`, with the pod's name as `instance`. */
export function podMonitor(name: string, monitorLabels: Record<string, string>, selector: Record<string, string>, job: string): IPodMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name, labels: monitorLabels },
    spec: {
      selector: { matchLabels: selector },
      podMetricsEndpoints: [
        {
          port: PORT_NAME,
          interval: '15s',
          relabelings: [
            { action: 'replace', targetLabel: 'job', replacement: job },
            { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'instance' },
          ],
        },
      ],
    },
  } satisfies IPodMonitor;
}

/** Prometheus finds the sidecar by its named port; job and instance match what the bundled rules expect. */
export function sidecarPodMonitor(): IPodMonitor {
  return podMonitor(`${APP}-spyglass`, appLabels, appLabels, NAME);
}

/** The app's port stays open to all; spyglass's only to Prometheus. */
export function sidecarNetworkPolicy(): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: APP, labels: appLabels },
    spec: {
      podSelector: { matchLabels: appLabels },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 'http', protocol: 'TCP' }] }, fromPrometheusOnly],
    },
  } satisfies NetworkPolicy;
}
