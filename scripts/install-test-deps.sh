#!/usr/bin/env bash
# Installs what the tests and benchmarks use besides npm packages (run as root):
#   prometheus (server + promtool), prometheus-node-exporter (reference), wrk (benchmark),
#   util-linux (unshare, for the PID 1 test), procps (pgrep) and bindfs (a FUSE mount to hang, for
#   the hung-statfs test), iproute2 (veth pairs for the kept-open sysfs test), and a C toolchain
#   (make, g++) so that `npm ci` builds the timex addon; for the probe tests openssl (a test CA),
#   dnsmasq (a real DNS server) and prometheus-blackbox-exporter (the reference prober); for the
#   bundled rules prometheus-alertmanager (amtool and a real Alertmanager); for secure serving
#   apache2-utils (htpasswd writes the $2y$ bcrypt hashes users put in web configs); for the
#   deploy files kubectl (its built-in kustomize; the image this runs on ships it, Debian's
#   kubernetes-client is the fallback) and systemd (systemd-analyze verify/security; and, with
#   dbus-daemon, a real systemd and system bus for the systemd collector's tests); for remote
#   write victoria-metrics (a second real receiver besides prometheus's own); for the container
#   collector on real runtimes (test/container-runtimes.test.ts) docker.io (dockerd and its CLI),
#   containerd (and ctr), runc, busybox-static (the one binary of the test image, as no registry is
#   reachable), and gcc with libcap2-bin (setcap) to build the DaemonSet's capability wrapper
#   native/ambient-caps.c and give it its file capability as the Dockerfile does; chromium, the
#   headless browser the landing-page test drives through playwright-core.
set -euo pipefail
need=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-node-exporter >/dev/null || need+=(prometheus-node-exporter)
command -v wrk >/dev/null || need+=(wrk)
command -v unshare >/dev/null || need+=(util-linux)
command -v pgrep >/dev/null || need+=(procps)
command -v bindfs >/dev/null || need+=(bindfs)
command -v ip >/dev/null || need+=(iproute2)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
command -v openssl >/dev/null || need+=(openssl)
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
command -v prometheus-blackbox-exporter >/dev/null || need+=(prometheus-blackbox-exporter)
command -v amtool >/dev/null && command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v kubectl >/dev/null || need+=(kubernetes-client)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v dbus-daemon >/dev/null || need+=(dbus-daemon)
command -v victoria-metrics >/dev/null || need+=(victoria-metrics)
command -v dockerd >/dev/null || need+=(docker.io)
command -v containerd >/dev/null && command -v ctr >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v cc >/dev/null || need+=(gcc)
command -v setcap >/dev/null || need+=(libcap2-bin)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
promtool --version | head -1
