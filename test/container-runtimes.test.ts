/**
 * The container collector on real runtimes: a dockerd and a containerd started here
 * (helpers/container-runtimes.ts), pods laid out as a kubelet lays them out (cgroupfs driver, the
 * driver this VM's runtimes pick without systemd): a Docker pod as cri-dockerd makes it (sandbox,
 * `k8s_…` names, io.kubernetes.* labels, --cgroup-parent under kubepods/burstable) and a containerd
 * pod as the CRI plugin makes it (io.kubernetes.cri.* annotations, cgroups under
 * kubepods/besteffort), each with a CPU burner and a memory hog. spyglass runs with the DaemonSet's
 * own uid, groups and capabilities (from deploy/src), and what it serves is checked against what
 * the runtimes (docker inspect, the Engine API's stats, ctr) and the kernel (the cgroup files) say.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonSet } from '../deploy/src/kubernetes.js';
import { IMAGE, removeCgroupTree, startRuntimes, type Runtimes } from './helpers/container-runtimes.js';
import { ambientCapsWrapper, daemonSetContexts, localCommand, setprivArgs, type SecurityContexts } from './helpers/daemonset-privileges.js';
import { parseExposition, type ParsedFamily } from './helpers/exposition.js';
import { cleanupsAfterAll } from './helpers/real-cgroups.js';
import { cliPath, freePort, waitFor } from './helpers/spyglass.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const TOP = `/spyglass-rt-${process.pid}`;
const HOG_BYTES = 48 << 20;
const BURN = 'while :; do :; done';
// `while` keeps the shell (and its variable) alive: a last simple command would be exec'd in its place.
const HOG = `v=$(yes | head -c ${HOG_BYTES}); while :; do sleep 3600; done`;
const cleanups = cleanupsAfterAll();

interface Expected {
  /** The cgroup path, as the kernel names it for the container's first process. */
  id: string;
  name: string;
  image: string;
  pod: string;
  namespace: string;
  container: string;
  role: 'sandbox' | 'burner' | 'hog' | 'pod';
  runtime: 'docker' | 'containerd';
  /** The runtime's ID (docker/ctr), for its own figures. */
  runtimeId?: string;
  pid?: number;
}

/** The cgroup a process is in, in the cpuacct hierarchy (/proc/<pid>/cgroup). */
function cgroupOf(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => /^\d+:[^:]*\bcpuacct\b/.test(l));
  return (line ?? assert.fail(`no cpuacct line for ${pid}`)).split(':')[2] as string;
}

const cgroupFile = (controller: string, id: string, file: string) => readFileSync(join('/sys/fs/cgroup', controller, id, file), 'utf8');
const memoryStat = (id: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(cgroupFile('memory', id, 'memory.stat'))?.[1]);
type Sample = ParsedFamily['samples'][number];

async function dockerPod(rt: Runtimes, pod: { uid: string; name: string; namespace: string }): Promise<Expected[]> {
  const parent = `${TOP}/kubepods/burstable/pod${pod.uid}`;
  const labels = (container: string, type: string) =>
    [
      `io.kubernetes.pod.name=${pod.name}`,
      `io.kubernetes.pod.namespace=${pod.namespace}`,
      `io.kubernetes.pod.uid=${pod.uid}`,
      `io.kubernetes.container.name=${container}`,
      `io.kubernetes.docker.type=${type}`,
    ].flatMap((l) => ['--label', l]);
  const name = (container: string) => `k8s_${container}_${pod.name}_${pod.namespace}_${pod.uid}_0`;
  const sandbox = (
    await rt.docker(
      'run',
      '-d',
      '--name',
      name('POD'),
      '--cgroup-parent',
      parent,
      '--network',
      'none',
      ...labels('POD', 'podsandbox'),
      IMAGE,
      'sleep',
      '1000000',
    )
  ).trim();
  const out: Array<[string, Expected['role']]> = [[sandbox, 'sandbox']];
  for (const [role, script] of [
    ['burner', BURN],
    ['hog', HOG],
  ] as const) {
    const id = (
      await rt.docker(
        'run',
        '-d',
        '--name',
        name(role),
        '--cgroup-parent',
        parent,
        '--network',
        `container:${sandbox}`,
        // Half a core, as a pod's limit would: the machine is shared and spyglass must keep up.
        '--cpus=0.5',
        ...labels(role, 'container'),
        IMAGE,
        'sh',
        '-c',
        script,
      )
    ).trim();
    out.push([id, role]);
  }
  const expected: Expected[] = [];
  for (const [id, role] of out) {
    const inspect = JSON.parse(await rt.docker('inspect', id))[0];
    const l = inspect.Config.Labels;
    expected.push({
      id: cgroupOf(inspect.State.Pid),
      name: inspect.Name.replace(/^\//, ''),
      image: inspect.Config.Image,
      pod: l['io.kubernetes.pod.name'],
      namespace: l['io.kubernetes.pod.namespace'],
      container: l['io.kubernetes.container.name'],
      role,
      runtime: 'docker',
      runtimeId: id,
      pid: inspect.State.Pid,
    });
  }
  return expected;
}

async function containerdPod(rt: Runtimes, pod: { uid: string; name: string; namespace: string }): Promise<Expected[]> {
  const parent = `${TOP}/kubepods/besteffort/pod${pod.uid}`;
  const sandboxId = randomBytes(32).toString('hex');
  // What containerd's CRI plugin puts in the bundle (pkg/cri/annotations) and on the container (the kubelet's labels).
  const podAnnotations = [
    `io.kubernetes.cri.sandbox-id=${sandboxId}`,
    `io.kubernetes.cri.sandbox-name=${pod.name}`,
    `io.kubernetes.cri.sandbox-namespace=${pod.namespace}`,
    `io.kubernetes.cri.sandbox-uid=${pod.uid}`,
  ];
  const podLabels = [`io.kubernetes.pod.name=${pod.name}`, `io.kubernetes.pod.namespace=${pod.namespace}`, `io.kubernetes.pod.uid=${pod.uid}`];
  const create = async (id: string, annotations: string[], labels: string[], extra: string[], command: string[]) => {
    await rt.ctr(
      'run',
      '-d',
      '--cgroup',
      `${parent}/${id}`,
      ...[...podAnnotations, ...annotations].flatMap((a) => ['--annotation', a]),
      ...[...podLabels, ...labels].flatMap((l) => ['--label', l]),
      ...extra,
      IMAGE,
      id,
      ...command,
    );
  };
  await create(
    sandboxId,
    ['io.kubernetes.cri.container-type=sandbox', `io.kubernetes.cri.podsandbox.image-name=${IMAGE}`],
    ['io.cri-containerd.kind=sandbox'],
    [],
    ['sleep', '1000000'],
  );
  const taskPid = async (id: string) => Number(/^\S+\s+(\d+)/m.exec((await rt.ctr('task', 'ls')).split('\n').find((l) => l.startsWith(id)) ?? '')?.[1]);
  const sandboxPid = await taskPid(sandboxId);
  const ids: Array<[string, Expected['role']]> = [[sandboxId, 'sandbox']];
  for (const [role, script] of [
    ['burner', BURN],
    ['hog', HOG],
  ] as const) {
    const id = randomBytes(32).toString('hex');
    await create(
      id,
      ['io.kubernetes.cri.container-type=container', `io.kubernetes.cri.container-name=${role}`, `io.kubernetes.cri.image-name=${IMAGE}`],
      [`io.kubernetes.container.name=${role}`, 'io.cri-containerd.kind=container'],
      ['--with-ns', `network:/proc/${sandboxPid}/ns/net`, '--cpu-quota', '50000', '--cpu-period', '100000'],
      ['sh', '-c', script],
    );
    ids.push([id, role]);
  }
  const expected: Expected[] = [];
  for (const [id, role] of ids) {
    const info = JSON.parse(await rt.ctr('container', 'info', id));
    const a = info.Spec.annotations as Record<string, string>;
    const pid = await taskPid(id);
    expected.push({
      id: cgroupOf(pid),
      name: id,
      // The image containerd ran, which the CRI plugin also writes into the annotations.
      image: info.Image,
      pod: a['io.kubernetes.cri.sandbox-name'] as string,
      namespace: a['io.kubernetes.cri.sandbox-namespace'] as string,
      container: role === 'sandbox' ? '' : (a['io.kubernetes.cri.container-name'] as string),
      role,
      runtime: 'containerd',
      runtimeId: id,
      pid,
    });
  }
  return expected;
}

let wrapper: string | undefined;

/**
 * spyglass serving the container collector with the DaemonSet's command and arguments (paths moved
 * to this node's) under `privileges` (setpriv's arguments), or as root, node and cli.js only.
 */
async function startUnder(privileges: string[] | 'root', rt: Runtimes, opts: { hostRoot?: string; args?: string[] } = {}) {
  const port = await freePort();
  const ds = daemonSet();
  const hostRoot = opts.hostRoot ?? rt.hostRoot;
  wrapper ??= ambientCapsWrapper(rt.dir);
  const launcher =
    privileges === 'root'
      ? [process.execPath, cliPath]
      : ['setpriv', ...privileges, ...localCommand(ds.spec?.template.spec?.containers[0]?.command ?? [], wrapper, cliPath)];
  const args = (ds.spec?.template.spec?.containers[0]?.args ?? [])
    .map((a) => a.replace('/host/proc', '/proc').replace('/host/sys', '/sys').replace('/host/root', hostRoot))
    .map((a) => (a.startsWith('--web.listen-address=') ? `--web.listen-address=127.0.0.1:${port}` : a));
  const proc = spawn(
    launcher[0] as string,
    [
      ...launcher.slice(1),
      'serve',
      ...args,
      '--collector.disable-defaults',
      '--collector.container',
      // 5 s (a run may take 4 s): on the shared 2-vCPU machine, with other tests' thousands of
      // cgroups to walk, 1 s runs timed out at their 0.8 s.
      '--collector.container.interval=5s',
      `--collector.container.cgroup-include=${TOP}.*`,
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  proc.stdout.on('data', (d) => (logs += d));
  proc.stderr.on('data', (d) => (logs += d));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
  };
  cleanups.push(stop);
  const scrape = async () => [...parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).values()].flatMap((f) => f.samples);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 20_000, `spyglass ready: ${logs}`);
  return { scrape, stop, logs: () => logs };
}

const series = (samples: Sample[], name: string, id: string) => samples.filter((s) => s.name === name && s.labels.id === id);
const one = (samples: Sample[], name: string, id: string) => {
  const found = series(samples, name, id);
  const seen = () => [...new Set(samples.filter((s) => s.name === name).map((s) => s.labels.id))].join('\n');
  assert.equal(found.length, 1, `${name}{id="${id}"}: ${found.length} series; the ids served:\n${found.length ? '' : seen()}`);
  return found[0] as Sample;
};

describe('container identity and values on real Docker and containerd, with the DaemonSet privileges', () => {
  const contexts: SecurityContexts = daemonSetContexts(daemonSet() as any);
  let rt: Runtimes;
  let expected: Expected[];
  let spyglass: Awaited<ReturnType<typeof startUnder>>;

  before(async () => {
    cleanups.push(() => removeCgroupTree(TOP));
    rt = await startRuntimes(cleanups);
    const dockerPodNames = { uid: randomUUID(), name: 'api-6f7d9c-x2x4q', namespace: 'shop' };
    const ctdPodNames = { uid: randomUUID(), name: 'worker-0', namespace: 'batch' };
    expected = [...(await dockerPod(rt, dockerPodNames)), ...(await containerdPod(rt, ctdPodNames))];
    // The kubelet's directory per pod (no kubelet here): the pod cgroups' names come from it.
    for (const [p, qos] of [
      [dockerPodNames, 'burstable'],
      [ctdPodNames, 'besteffort'],
    ] as const) {
      mkdirSync(join(rt.hostRoot, 'var/log/pods', `${p.namespace}_${p.name}_${p.uid}`), { recursive: true });
      expected.push({
        id: `${TOP}/kubepods/${qos}/pod${p.uid}`,
        name: '',
        image: '',
        pod: p.name,
        namespace: p.namespace,
        container: '',
        role: 'pod',
        runtime: 'docker',
      });
    }
    for (const hog of expected.filter((e) => e.role === 'hog'))
      await waitFor(() => memoryStat(hog.id, 'total_rss') >= HOG_BYTES, 30_000, `${hog.runtime} hog holding ${HOG_BYTES} bytes`);
    spyglass = await startUnder(setprivArgs(contexts), rt);
  });
  after(() => spyglass?.stop());

  it('the runtimes made what a kubelet makes: cgroups under kubepods, images from the runtime', () => {
    assert.equal(expected.length, 8);
    for (const e of expected.filter((x) => x.role !== 'pod')) {
      assert.equal(e.id, `${TOP}/kubepods/${e.runtime === 'docker' ? 'burstable' : 'besteffort'}/pod${e.id.split('/pod')[1]?.split('/')[0]}/${e.runtimeId}`);
      assert.equal(e.image, IMAGE, `${e.runtime} ${e.role}`);
    }
  });

  it('name, image, pod, namespace and container are the runtime’s, as the DaemonSet’s user', async () => {
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = await spyglass.scrape();
        return expected.every((e) =>
          series(samples, 'container_cpu_usage_seconds_total', e.id).some((s) => s.labels.pod === e.pod && s.labels.image === e.image),
        );
      },
      60_000,
      'every container with its metadata',
    ).catch(() => undefined);
    for (const e of expected) {
      if (series(samples, 'container_cpu_usage_seconds_total', e.id).length !== 1) console.error(spyglass.logs());
      const { labels } = one(samples, 'container_cpu_usage_seconds_total', e.id);
      assert.deepEqual(
        labels,
        { container: e.container, cpu: 'total', id: e.id, image: e.image, name: e.name, namespace: e.namespace, pod: e.pod },
        `${e.runtime} ${e.role}`,
      );
    }
    assert.equal(
      samples.find((s) => s.name === 'spyglass_collector_skipped_total' && s.labels.reason === 'metadata')?.value ?? 0,
      0,
      'no metadata file unreadable',
    );
  });

  it('CPU grows as the burners burn and matches the kernel and the runtime exactly once frozen; memory is the hog’s', async () => {
    const burners = expected.filter((e) => e.role === 'burner');
    const cpu = (samples: Sample[], id: string) => one(samples, 'container_cpu_usage_seconds_total', id).value;
    const kernel = (id: string) => Number(cgroupFile('cpuacct', id, 'cpuacct.usage')) / 1e9;
    // A scrape right after a run that timed out has no container series: take the next whole one.
    const whole = async () => {
      let samples: Sample[] = [];
      await waitFor(
        async () => {
          samples = await spyglass.scrape();
          return burners.every((b) => series(samples, 'container_cpu_usage_seconds_total', b.id).length === 1);
        },
        30_000,
        'a scrape with the burners',
      );
      return samples;
    };
    const first = await whole();
    const kernelAfterFirst = new Map(burners.map((b) => [b.id, kernel(b.id)]));
    await new Promise((r) => setTimeout(r, 11_000));
    const second = await whole();
    for (const b of burners) {
      // The served value is the last run's: moving, and never ahead of the kernel's counter.
      const [s1, s2, k1, k2] = [cpu(first, b.id), cpu(second, b.id), kernelAfterFirst.get(b.id) as number, kernel(b.id)];
      assert.ok(s2 - s1 > 0.02, `${b.runtime} burner: ${s2 - s1} CPU-s in ~11 s`);
      assert.ok(s1 <= k1 && s2 <= k2, `${b.runtime} burner: spyglass ${s1}, ${s2} s; cpuacct.usage ${k1}, ${k2} s`);
    }

    // Frozen (docker pause, ctr task pause: the freezer cgroup), the counters stand still, so
    // spyglass, the kernel and the runtime must agree to the nanosecond and byte.
    const running = expected.filter((e) => e.role === 'burner' || e.role === 'hog');
    for (const e of running) await (e.runtime === 'docker' ? rt.docker('pause', e.runtimeId as string) : rt.ctr('task', 'pause', e.runtimeId as string));
    cleanups.push(async () => {
      for (const e of running)
        await (e.runtime === 'docker' ? rt.docker('unpause', e.runtimeId as string) : rt.ctr('task', 'resume', e.runtimeId as string)).catch(() => undefined);
    });
    const frozenAt = Date.now() / 1000;
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = await spyglass.scrape();
        return running.every((e) => (series(samples, 'container_last_seen', e.id)[0]?.value ?? 0) > frozenAt + 1);
      },
      30_000,
      'a run after the freeze',
    );
    for (const e of running) {
      const kernelCpu = Number(cgroupFile('cpuacct', e.id, 'cpuacct.usage')) / 1e9;
      const runtime =
        e.runtime === 'docker'
          ? await rt.engine(`/containers/${e.runtimeId}/stats?stream=false`) // cgroup v1 answer shape
          : JSON.parse(await rt.ctr('task', 'metrics', '--format', 'json', e.runtimeId as string));
      const runtimeCpu = (e.runtime === 'docker' ? runtime.cpu_stats.cpu_usage.total_usage : runtime.cpu.usage.total) / 1e9;
      const runtimeRss = e.runtime === 'docker' ? runtime.memory_stats.stats.total_rss : runtime.memory.total_rss;
      const got = cpu(samples, e.id);
      assert.ok(Math.abs(got - kernelCpu) < 1e-6, `${e.runtime} ${e.role}: spyglass ${got} s, cpuacct.usage ${kernelCpu} s`);
      assert.ok(Math.abs(got - runtimeCpu) < 1e-6, `${e.runtime} ${e.role}: spyglass ${got} s, runtime ${runtimeCpu} s`);
      const rss = one(samples, 'container_memory_rss', e.id).value;
      assert.equal(rss, memoryStat(e.id, 'total_rss'), `${e.runtime} ${e.role}: rss as memory.stat`);
      assert.equal(rss, runtimeRss, `${e.runtime} ${e.role}: rss as the runtime reports it`);
      const usage = one(samples, 'container_memory_usage_bytes', e.id).value;
      assert.equal(usage, Number(cgroupFile('memory', e.id, 'memory.usage_in_bytes')));
      assert.equal(one(samples, 'container_memory_working_set_bytes', e.id).value, usage - memoryStat(e.id, 'total_inactive_file'));
      if (e.role === 'hog') assert.ok(rss >= HOG_BYTES && rss < HOG_BYTES + (16 << 20), `${e.runtime} hog: rss ${rss} for a ${HOG_BYTES}-byte string`);
      else assert.ok(rss < 8 << 20, `${e.runtime} burner: rss ${rss}`);
      if (e.role === 'burner') {
        // The burner's own account, in clock ticks (USER_HZ 100): utime + stime of its only process.
        const fields = readFileSync(`/proc/${e.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        const ticks = (Number(fields[11]) + Number(fields[12])) / 100;
        assert.ok(Math.abs(got - ticks) < 0.05 * got + 0.1, `${e.runtime} burner: spyglass ${got} s, /proc/${e.pid}/stat ${ticks} s`);
      }
    }
  });

  it('without the DaemonSet’s capability (the old privileges), the runtimes’ files are closed and every image is empty', async () => {
    const none = setprivArgs({ ...contexts, container: { ...contexts.container, capabilities: { drop: ['ALL'] } } });
    const old = await startUnder(none, rt);
    let samples: Sample[] = [];
    const unreadable = () => samples.find((s) => s.name === 'spyglass_collector_skipped_total' && s.labels.reason === 'metadata')?.value ?? 0;
    await waitFor(
      async () => {
        samples = await old.scrape();
        return expected.every((e) => series(samples, 'container_cpu_usage_seconds_total', e.id).length === 1) && unreadable() > 0;
      },
      60_000,
      'every cgroup, and the runtime files counted as unreadable',
    );
    for (const e of expected) assert.equal(one(samples, 'container_cpu_usage_seconds_total', e.id).labels.image, '', `${e.runtime} ${e.role}`);
    await old.stop();
  });

  it('Docker containers known only through the Engine API: a failed call is retried until the image is there', async () => {
    // A node whose Docker state is not on disk (only containerd's, where Docker's containers sit in
    // namespace moby with their ID alone), with docker_host set; the socket is not there at first.
    const apiRoot = join(rt.dir, 'api-root');
    mkdirSync(join(apiRoot, 'run'), { recursive: true });
    symlinkSync(join(rt.dir, 'containerd-state'), join(apiRoot, 'run/containerd'));
    const socket = join(rt.dir, 'api.sock');
    const api = await startUnder('root', rt, { hostRoot: apiRoot, args: [`--collector.container.docker-host=unix://${socket}`] });
    const docker = expected.filter((e) => e.runtime === 'docker' && e.role !== 'pod');
    let samples: Sample[] = [];
    const labelsOf = (e: Expected) => one(samples, 'container_cpu_usage_seconds_total', e.id).labels;
    await waitFor(
      async () => {
        samples = await api.scrape();
        return (
          docker.every((e) => series(samples, 'container_cpu_usage_seconds_total', e.id).length === 1) &&
          samples.some((s) => s.name === 'spyglass_collector_skipped_total' && s.labels.reason === 'metadata' && s.value > 0)
        );
      },
      // A run that times out loses its count, and the API is not asked again for 30 s.
      60_000,
      'the failed call counted',
    );
    for (const e of docker) assert.deepEqual([labelsOf(e).name, labelsOf(e).image], [e.runtimeId, ''], `${e.role}: the bundle's ID only, meanwhile`);
    symlinkSync(join(rt.dir, 'docker.sock'), socket);
    const answeredAt = Date.now();
    await waitFor(
      async () => {
        samples = await api.scrape();
        // A run that timed out serves no container series: wait through it rather than fail.
        return docker.every((e) => series(samples, 'container_cpu_usage_seconds_total', e.id)[0]?.labels.image === e.image);
      },
      60_000,
      'the retry (every 30 s) to find the image',
    );
    for (const e of docker) {
      const { name, image, pod, namespace, container } = labelsOf(e);
      assert.deepEqual(
        { name, image, pod, namespace, container },
        { name: e.name, image: e.image, pod: e.pod, namespace: e.namespace, container: e.container },
      );
    }
    assert.ok(Date.now() - answeredAt < 50_000, 'within a retry period and a run');
    await api.stop();
  });
});
