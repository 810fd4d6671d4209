#!/usr/bin/env bash
# Runs the /metrics serving benchmark; prints a markdown report (also in bench/results/latest.md).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk prometheus-node-exporter; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing: apt-get install -y wrk prometheus-node-exporter" >&2; exit 1; }
done
node dist/bench/serve-bench.js
