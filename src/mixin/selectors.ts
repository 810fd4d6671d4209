/**
 * "Real containers" for the container alerts and panels. The container collector labels cgroups as
 * the kubelet does (collectors/container/README.md, "Labels"): a Kubernetes container has its
 * name in `container`; its pod's sandbox has `container=""` (containerd) or `POD` (Docker,
 * CRI-O); a container outside Kubernetes (docker run, nerdctl) has `container=""` and `pod=""`
 * but a runtime `name`; pod, QoS and systemd cgroups and `/` have no `name` and no `container`.
 * No single selector says "a Kubernetes container or a container outside Kubernetes", so queries
 * take the union of two selectors. (`container!=""` alone hides every non-Kubernetes container;
 * `image!=""` keeps the pause sandboxes and drops containers whose image the runtime does not
 * record, such as nerdctl's.)
 */
export interface SelectorPair {
  kubernetes: string;
  standalone: string;
}

/** Kubernetes containers (sandboxes left out) and containers outside Kubernetes. */
export const REAL_CONTAINERS: Readonly<SelectorPair> = { kubernetes: 'container!="",container!="POD"', standalone: 'pod="",name!=""' };

/**
 * Cgroups carrying a network namespace's counters, the host's (on `/`, which has no `name`) left
 * out: pod sandboxes, and containers outside Kubernetes with a network of their own.
 */
export const NETWORK_OWNERS: Readonly<SelectorPair> = { kubernetes: 'pod!=""', standalone: 'pod="",name!=""' };

/**
 * `query(matchers)` for both selectors of the pair, joined with `or` (the two are disjoint). With
 * `nameAs`, a standalone container's runtime `name` fills that label, which is empty for it, so
 * aggregations `by (namespace, pod, container)` keep standalone containers apart.
 */
export function eitherKind(pair: Readonly<SelectorPair>, query: (matchers: string) => string, nameAs?: 'container' | 'pod'): string {
  const standalone = query(pair.standalone);
  return `(${query(pair.kubernetes)} or ${nameAs ? `label_replace(${standalone}, "${nameAs}", "$1", "name", "(.+)")` : standalone})`;
}
