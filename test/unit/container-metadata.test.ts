import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PathIdentity } from '../../collectors/container/identity.js';
import { METADATA_RETRY_MS, MetadataStore, type MetadataOptions } from '../../collectors/container/metadata-store.js';
import { runtimeFixture, writeJson } from '../helpers/cgroup-tree.js';

const ID = 'e'.repeat(64);
const live = new Map<string, PathIdentity>([[`/kubepods/pod1/${ID}`, { containerId: ID, podLevel: false }]]);

function options(rootfs: string, extra: Partial<MetadataOptions> = {}): MetadataOptions & { skipped: string[] } {
  const skipped: string[] = [];
  return {
    rootfs,
    dockerTimeoutMs: 500,
    signal: new AbortController().signal,
    skip: (reason, detail) => skipped.push(`${reason}: ${detail}`),
    skipped,
    ...extra,
  };
}

function withRootfs(run: (rootfs: string) => Promise<void>): Promise<void> {
  const rootfs = mkdtempSync(join(tmpdir(), 'spyglass-metadata-'));
  return run(rootfs).finally(() => rmSync(rootfs, { recursive: true, force: true }));
}

describe('container metadata: looked up again until complete', () => {
  it('metadata found only from the kubelet log names (no image) is completed once the runtime files are readable', () =>
    withRootfs(async (rootfs) => {
      mkdirSync(join(rootfs, 'var/log/containers'), { recursive: true });
      symlinkSync('/var/log/pods/x/y/0.log', join(rootfs, `var/log/containers/api-5c9d8-xyz12_backend_sidecar-${ID}.log`));
      const store = new MetadataStore();
      const opts = options(rootfs);
      await store.refresh(live, opts, 0);
      assert.deepEqual(
        { ...store.container(ID) },
        { name: '', image: '', pod: 'api-5c9d8-xyz12', namespace: 'backend', container: 'sidecar', id: ID, ownsNetwork: false, labels: {} },
      );
      writeJson({ rootfs }, `var/lib/docker/containers/${ID}/config.v2.json`, runtimeFixture('docker-config.v2.json', { CONTAINER_ID: ID }));
      await store.refresh(live, opts, METADATA_RETRY_MS - 1);
      assert.equal(store.container(ID)?.image, '', 'not before the retry is due');
      await store.refresh(live, opts, METADATA_RETRY_MS);
      assert.equal(store.container(ID)?.image, 'registry.example.com/api:2.4.1');
      assert.equal(store.container(ID)?.pod, 'api-5c9d8-xyz12');
      assert.deepEqual(opts.skipped, []);
    }));

  it('a failed Docker API call leaves the image empty only until the API answers again', () =>
    withRootfs(async (rootfs) => {
      mkdirSync(join(rootfs, 'var/log/containers'), { recursive: true });
      symlinkSync('/var/log/pods/x/y/0.log', join(rootfs, `var/log/containers/cache-0_default_redis-${ID}.log`));
      const socket = join(rootfs, 'docker.sock');
      let up = false;
      const server = http.createServer((req, res) => {
        if (!up) return void res.writeHead(500).end('{"message":"daemon starting"}');
        res.end(JSON.stringify(runtimeFixture('docker-inspect.json', { CONTAINER_ID: ID })));
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      try {
        const store = new MetadataStore();
        const opts = options(rootfs, { dockerHost: `unix://${socket}` });
        await store.refresh(live, opts, 0);
        assert.equal(store.container(ID)?.image, '', 'the log names only, meanwhile');
        assert.equal(store.container(ID)?.pod, 'cache-0');
        assert.equal(opts.skipped.length, 1, 'the failure is counted');
        up = true;
        await store.refresh(live, opts, METADATA_RETRY_MS);
        assert.equal(store.container(ID)?.image, 'redis:7-alpine');
        await store.refresh(live, opts, 10 * METADATA_RETRY_MS);
        assert.equal(opts.skipped.length, 1, 'complete metadata is not looked up again');
      } finally {
        server.close();
      }
    }));
});

describe('container metadata: Docker containers under the cgroupfs driver', () => {
  // Docker runs its containers through containerd (namespace `moby`): the bundle is there too, with
  // an OCI spec that knows only the ID. Docker's own record, with name and image, must win.
  const mobyBundle = (rootfs: string) =>
    writeJson({ rootfs }, `run/containerd/io.containerd.runtime.v2.task/moby/${ID}/config.json`, { ociVersion: '1.0.2', annotations: {} });

  it("Docker's config.v2.json wins over containerd's bundle of the same container", () =>
    withRootfs(async (rootfs) => {
      mobyBundle(rootfs);
      writeJson({ rootfs }, `var/lib/docker/containers/${ID}/config.v2.json`, runtimeFixture('docker-config.v2.json', { CONTAINER_ID: ID }));
      const store = new MetadataStore();
      const opts = options(rootfs);
      await store.refresh(live, opts, 0);
      assert.equal(store.container(ID)?.image, 'registry.example.com/api:2.4.1');
      assert.notEqual(store.container(ID)?.name, ID, "Docker's name, not the containerd ID");
      assert.deepEqual(opts.skipped, []);
    }));

  it('the Docker API is asked when only the bundle is readable', () =>
    withRootfs(async (rootfs) => {
      mobyBundle(rootfs);
      const socket = join(rootfs, 'docker.sock');
      const server = http.createServer((req, res) => res.end(JSON.stringify(runtimeFixture('docker-inspect.json', { CONTAINER_ID: ID }))));
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      try {
        const store = new MetadataStore();
        await store.refresh(live, options(rootfs, { dockerHost: `unix://${socket}` }), 0);
        assert.equal(store.container(ID)?.image, 'redis:7-alpine');
      } finally {
        server.close();
      }
    }));
});
