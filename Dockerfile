# spyglass container image: built with dev dependencies, run with production ones only.
#   docker build -t registry.example.com/spyglass:0.1.0 .
#   docker run --rm -p 9473:9473 registry.example.com/spyglass:0.1.0
# The runtime stage holds exactly what scripts/assemble-runtime.sh assembles (tested without
# Docker by test/runtime-tree.test.ts). Node and the addons' glibc match: both stages are Debian 12.

FROM node:20-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits reuse this layer. --ignore-scripts: the addons are built
# later, inside the packed tree, by scripts/assemble-runtime.sh.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json binding.gyp README.md ./
COPY native native
COPY src src
COPY collectors collectors
COPY alerts alerts
COPY dashboards dashboards
COPY deploy deploy
COPY examples examples
COPY docs docs
COPY scripts scripts
RUN npm run build && scripts/assemble-runtime.sh /app
# The DaemonSet runs node through this wrapper so that the CAP_DAC_READ_SEARCH its securityContext
# adds reaches a non-root process (native/ambient-caps.c, docs/security.md). Permitted only, no
# effective bit: where the capability is not granted (the sidecar, plain `docker run`) it is inert.
# BuildKit (Docker's builder since 23.0) keeps the security.capability xattr through COPY --from.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libcap2-bin \
  && setcap cap_dac_read_search=p /app/build/Release/ambient-caps && getcap /app/build/Release/ambient-caps

# Distroless: no shell, no package manager; user nonroot (65532).
FROM gcr.io/distroless/nodejs20-debian12:nonroot
COPY --from=build /app /app
WORKDIR /app
USER 65532:65532
EXPOSE 9473
# Exec form, node itself as PID 1: spyglass handles SIGTERM/SIGINT (graceful stop) and SIGHUP
# (reload) itself, so no init is needed (tested as PID 1 in test/pid1.test.ts and runtime-tree).
# --v8-pool-size=1: see "One V8 helper thread" in README.md.
ENTRYPOINT ["/nodejs/bin/node", "--v8-pool-size=1", "/app/dist/src/cli.js"]
CMD ["serve"]
# For `docker run` only; Kubernetes uses the probes in deploy/kubernetes. Plain HTTP: with a
# --web.config.file that turns TLS on, drop this or override it.
HEALTHCHECK --interval=30s --timeout=3s CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:9473/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
