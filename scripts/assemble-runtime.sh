#!/usr/bin/env bash
# Assembles the runtime tree the container image runs (and that a VM install uses) in DEST:
# the packed app (`npm pack`: only the files package.json lists) with production dependencies
# installed from package-lock.json, native addons built. Needs a built checkout (`npm run build`)
# and, for the addons, a C/C++ toolchain. Usage: scripts/assemble-runtime.sh DEST
set -euo pipefail
dest=${1:?usage: $0 DEST}
src=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/dist/src/cli.js" ] || { echo "$0: build first (npm run build)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$src" && npm pack --silent --pack-destination "$work" | tail -1)
mkdir -p "$dest"
tar -xzf "$work/$tarball" -C "$dest" --strip-components=1
cp "$src/package-lock.json" "$dest/"
cd "$dest"
# The addons are built by spyglass's own install script, which npm ci runs; dev dependencies stay out.
npm ci --omit=dev --no-audit --no-fund --loglevel=error
# Compiler intermediates are not needed at run time.
rm -rf build/Release/obj.target build/Release/.deps build/Makefile build/*.mk build/config.gypi
# The DaemonSet's entry point, which hands its capability on to node (native/ambient-caps.c); the
# Dockerfile gives it its file capability. Not a Node addon: a plain executable, no node-gyp.
mkdir -p build/Release
cc -O2 -Wall -Wextra -o build/Release/ambient-caps "$src/native/ambient-caps.c"
# Readable by the unprivileged user that runs it, writable by nobody but the owner.
chmod -R u+rwX,go+rX,go-w "$dest"
