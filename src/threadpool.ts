/**
 * libuv's threadpool (default 4 threads) serves async file system calls, DNS lookups and zlib.
 * A hung mount pins one thread per stuck statfs (see collectors/host/statfs-guard.ts); with more
 * threads, a few dead mounts cannot starve the rest. Must run before the pool is first used.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
