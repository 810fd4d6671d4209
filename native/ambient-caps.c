/*
 * ambient-caps PROGRAM [ARG]...: passes the capabilities this process holds on to PROGRAM, then
 * execs it. Kubernetes has no ambient capabilities (kubernetes/enhancements#2757): a container
 * that runs as a non-root user loses the capabilities its securityContext adds at execve
 * (kubernetes/kubernetes#56374), unless the executable carries file capabilities. This small
 * executable carries `cap_dac_read_search=p` in the image (Dockerfile) and raises what it was
 * given (its permitted set: the file's, cut to the container's bounding set) into the inheritable
 * and ambient sets, which survive the execve of node (capabilities(7), "Ambient capability set").
 * Without the capability in the bounding set (`drop: [ALL]` alone, `docker run` defaults) it gets
 * none and execs PROGRAM without any: the file capability has no effective bit, so execve does not
 * fail. Used by the DaemonSet (deploy/src/kubernetes.ts, docs/security.md).
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PROGRAM [ARG]...\n", argv[0]);
    return 2;
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  /* A failure is said, not fatal: PROGRAM then runs without the capability (spyglass counts what it cannot read). */
  if (syscall(SYS_capget, &header, data) != 0) {
    fprintf(stderr, "%s: capget: %s; starting %s without capabilities\n", argv[0], strerror(errno), argv[1]);
  } else {
    /* Without CAP_SETPCAP a process may still copy its permitted set into its inheritable one. */
    for (int i = 0; i < 2; i++) data[i].inheritable |= data[i].permitted;
    if (syscall(SYS_capset, &header, data) != 0) {
      fprintf(stderr, "%s: capset: %s; starting %s without capabilities\n", argv[0], strerror(errno), argv[1]);
    } else {
      for (unsigned cap = 0; cap < 64; cap++)
        if ((data[cap / 32].permitted & (1u << (cap % 32))) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
          fprintf(stderr, "%s: raising capability %u: %s\n", argv[0], cap, strerror(errno));
    }
  }
  execv(argv[1], argv + 1);
  fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno));
  return 127;
}
