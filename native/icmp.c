/*
 * ICMP echo sockets for the probe collector. Node's dgram only speaks UDP, so this opens the
 * socket itself and lets libuv watch it (uv_poll), keeping the event loop free while a probe
 * waits. Two kinds, as blackbox_exporter tries them:
 *   "dgram": an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP[V6]); allowed when the
 *            process's group is inside net.ipv4.ping_group_range. The kernel picks the echo
 *            identifier (the socket's bound "port") and hands this socket only its own replies.
 *   "raw":   SOCK_RAW; needs CAP_NET_RAW. Sees every ICMP packet; IPv4 ones with their IP header.
 *
 * open(family 4|6, kind, sourceAddress|"", ttl, dontFragment, onReply) -> socket
 *   Throws an Error with .code (EACCES, EPERM, ...) and .syscall.
 * identifier(socket) -> the echo identifier replies carry (dgram: the kernel's; raw: 0, caller picks)
 * send(socket, address, identifier, sequence, payload: Buffer) -> undefined; throws like open.
 * close(socket)
 * onReply(from, identifier, sequence, hopLimit (-1 unknown), payload: Buffer, rttNanoseconds)
 *   is called for every echo reply the socket receives. The round trip runs from just before
 *   sendto to the kernel's receive timestamp (SO_TIMESTAMPNS), so a busy event loop does not
 *   lengthen it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY 0
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define MAX_PACKET 65536

typedef struct {
  uv_poll_t poll;
  int fd;
  int family;
  int raw;
  int closed;     /* close() called: no more callbacks */
  int released;   /* libuv done with the handle */
  int finalized;  /* JS dropped the external */
  struct timespec sent_at;
  napi_env env;
  napi_ref on_reply;
  napi_async_context async_context;
} icmp_socket;

static unsigned char packet[MAX_PACKET];

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  napi_value message, code, error, name;
  char text[160];
  snprintf(text, sizeof text, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, strerrorname_np(err) ? strerrorname_np(err) : "EIO", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, error, "syscall", name);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_usage(napi_env env, const char *usage) {
  napi_throw_type_error(env, NULL, usage);
  return NULL;
}

static uint16_t checksum(const unsigned char *data, size_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)(data[i] << 8 | data[i + 1]);
  if (length & 1) sum += (uint32_t)(data[length - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static int parse_address(int family, const char *text, struct sockaddr_storage *out, socklen_t *length) {
  memset(out, 0, sizeof *out);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    a->sin_family = AF_INET;
    *length = sizeof *a;
    return inet_pton(AF_INET, text, &a->sin_addr) == 1;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
  a->sin6_family = AF_INET6;
  *length = sizeof *a;
  return inet_pton(AF_INET6, text, &a->sin6_addr) == 1;
}

static double elapsed_ns(const struct timespec *from, const struct timespec *to) {
  return (double)(to->tv_sec - from->tv_sec) * 1e9 + (double)(to->tv_nsec - from->tv_nsec);
}

static void deliver(icmp_socket *s, const char *from, int identifier, int sequence, int hop_limit, const unsigned char *payload, size_t payload_length, double rtt_ns) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver, argv[6], result;
  napi_get_reference_value(env, s->on_reply, &callback);
  napi_get_global(env, &receiver); /* make_callback needs an object */
  napi_create_string_utf8(env, from, NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_int32(env, identifier, &argv[1]);
  napi_create_int32(env, sequence, &argv[2]);
  napi_create_int32(env, hop_limit, &argv[3]);
  napi_create_buffer_copy(env, payload_length, payload, NULL, &argv[4]);
  napi_create_double(env, rtt_ns, &argv[5]);
  if (napi_make_callback(env, s->async_context, receiver, callback, 6, argv, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

/* Reads every queued packet; passes on the echo replies. */
static void on_readable(uv_poll_t *handle, int status, int events) {
  icmp_socket *s = (icmp_socket *)handle->data;
  (void)events;
  if (status < 0) return;
  while (!s->closed) {
    struct sockaddr_storage peer;
    char control[256];
    struct iovec iov = { packet, sizeof packet };
    struct msghdr msg = { &peer, sizeof peer, &iov, 1, control, sizeof control, 0 };
    ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    if (n < 0) return; /* EAGAIN when drained; other errors end this round, the probe times out */
    struct timespec received;
    int have_timestamp = 0;
    int hop_limit = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        memcpy(&received, CMSG_DATA(c), sizeof received);
        have_timestamp = 1;
      } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) || (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
        memcpy(&hop_limit, CMSG_DATA(c), sizeof hop_limit);
      }
    }
    if (!have_timestamp) clock_gettime(CLOCK_REALTIME, &received);
    const unsigned char *icmp = packet;
    size_t length = (size_t)n;
    if (s->raw && s->family == 4) {
      if (length < 20) continue;
      size_t header = (size_t)(packet[0] & 0x0f) * 4;
      if (header < 20 || length < header) continue;
      hop_limit = packet[8];
      icmp += header;
      length -= header;
    }
    if (length < 8 || icmp[0] != (s->family == 4 ? ICMP_ECHO_REPLY : ICMP6_ECHO_REPLY) || icmp[1] != 0) continue;
    char from[INET6_ADDRSTRLEN] = "";
    if (peer.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, from, sizeof from);
    else if (peer.ss_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, from, sizeof from);
    deliver(s, from, icmp[4] << 8 | icmp[5], icmp[6] << 8 | icmp[7], hop_limit, icmp + 8, length - 8, elapsed_ns(&s->sent_at, &received));
  }
}

/* The struct lives until both libuv and the JS external are done with it. */
static void release_handle(uv_handle_t *handle) {
  icmp_socket *s = (icmp_socket *)handle->data;
  close(s->fd);
  s->released = 1;
  if (s->finalized) free(s);
}

static void close_socket(icmp_socket *s) {
  if (s->closed) return;
  s->closed = 1;
  napi_delete_reference(s->env, s->on_reply);
  napi_async_destroy(s->env, s->async_context);
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, release_handle);
}

static void finalize_socket(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  icmp_socket *s = (icmp_socket *)data;
  close_socket(s);
  s->finalized = 1;
  if (s->released) free(s);
}

static icmp_socket *socket_argument(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return NULL;
  napi_get_value_external(env, value, &data);
  return (icmp_socket *)data;
}

static int set_options(int fd, int family, int raw, int ttl, int dont_fragment) {
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) return -1;
  if (family == 4) {
    if (!raw && setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on) < 0) return -1;
    if (ttl > 0 && setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) < 0) return -1;
    int pmtu = dont_fragment ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
    if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu) < 0) return -1;
  } else {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) < 0) return -1;
    if (ttl > 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) < 0) return -1;
    if (dont_fragment && setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &on, sizeof on) < 0) return -1;
  }
  return 0;
}

static napi_value open_socket(napi_env env, napi_callback_info info) {
  const char *usage = "open(family: 4 | 6, kind: 'dgram' | 'raw', sourceAddress: string, ttl: number, dontFragment: boolean, onReply: Function)";
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t family, ttl;
  char kind[8], source[INET6_ADDRSTRLEN];
  size_t kind_length, source_length;
  bool dont_fragment;
  napi_valuetype callback_type;
  if (argc < 6 || napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6) ||
      napi_get_value_string_utf8(env, argv[1], kind, sizeof kind, &kind_length) != napi_ok ||
      napi_get_value_string_utf8(env, argv[2], source, sizeof source, &source_length) != napi_ok ||
      napi_get_value_int32(env, argv[3], &ttl) != napi_ok || napi_get_value_bool(env, argv[4], &dont_fragment) != napi_ok ||
      napi_typeof(env, argv[5], &callback_type) != napi_ok || callback_type != napi_function) {
    return throw_usage(env, usage);
  }
  int raw = strcmp(kind, "raw") == 0;
  if (!raw && strcmp(kind, "dgram") != 0) return throw_usage(env, usage);

  struct sockaddr_storage bind_address;
  socklen_t bind_length;
  if (!parse_address(family, source_length ? source : (family == 4 ? "0.0.0.0" : "::"), &bind_address, &bind_length)) {
    return throw_usage(env, "open: sourceAddress is not an address of the family");
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, (raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (set_options(fd, family, raw, ttl, dont_fragment) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt", err);
  }
  /* A ping socket gets its echo identifier when bound; a raw one is bound only to pick a source. */
  if ((!raw || source_length) && bind(fd, (struct sockaddr *)&bind_address, bind_length) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }

  icmp_socket *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, "open", ENOMEM);
  }
  s->fd = fd;
  s->family = family;
  s->raw = raw;
  s->env = env;
  uv_loop_t *loop;
  napi_value resource, resource_name;
  napi_get_uv_event_loop(env, &loop);
  int err = uv_poll_init(loop, &s->poll, fd);
  if (err == 0) {
    s->poll.data = s;
    err = uv_poll_start(&s->poll, UV_READABLE, on_readable);
    if (err < 0) uv_close((uv_handle_t *)&s->poll, NULL);
  }
  if (err < 0) {
    close(fd);
    free(s);
    return throw_errno(env, "uv_poll", -err);
  }
  napi_create_reference(env, argv[5], 1, &s->on_reply);
  napi_create_string_utf8(env, "spyglass:icmp", NAPI_AUTO_LENGTH, &resource_name);
  napi_create_object(env, &resource);
  napi_async_init(env, resource, resource_name, &s->async_context);
  napi_value external;
  napi_create_external(env, s, finalize_socket, NULL, &external);
  return external;
}

static napi_value identifier(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  icmp_socket *s = argc == 1 ? socket_argument(env, argv[0]) : NULL;
  if (!s || s->closed) return throw_usage(env, "identifier(socket): an open socket");
  int id = 0;
  if (!s->raw) {
    struct sockaddr_storage local;
    socklen_t length = sizeof local;
    if (getsockname(s->fd, (struct sockaddr *)&local, &length) < 0) return throw_errno(env, "getsockname", errno);
    id = ntohs(local.ss_family == AF_INET ? ((struct sockaddr_in *)&local)->sin_port : ((struct sockaddr_in6 *)&local)->sin6_port);
  }
  napi_create_int32(env, id, &result);
  return result;
}

static napi_value send_echo(napi_env env, napi_callback_info info) {
  const char *usage = "send(socket, address: string, identifier: number, sequence: number, payload: Buffer)";
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  icmp_socket *s = argc == 5 ? socket_argument(env, argv[0]) : NULL;
  char address[INET6_ADDRSTRLEN];
  size_t address_length;
  int32_t id, sequence;
  void *payload;
  size_t payload_length;
  bool is_buffer = false;
  if (!s || s->closed || napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_length) != napi_ok ||
      napi_get_value_int32(env, argv[2], &id) != napi_ok || napi_get_value_int32(env, argv[3], &sequence) != napi_ok ||
      napi_is_buffer(env, argv[4], &is_buffer) != napi_ok || !is_buffer) {
    return throw_usage(env, usage);
  }
  napi_get_buffer_info(env, argv[4], &payload, &payload_length);
  if (payload_length > MAX_PACKET - 8 - 60) return throw_usage(env, "send: payload too large");
  struct sockaddr_storage to;
  socklen_t to_length;
  if (!parse_address(s->family, address, &to, &to_length)) return throw_usage(env, "send: address is not an address of the socket's family");

  unsigned char *echo = packet;
  size_t length = 8 + payload_length;
  echo[0] = s->family == 4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
  echo[1] = 0;
  echo[2] = echo[3] = 0;
  echo[4] = (unsigned char)(id >> 8);
  echo[5] = (unsigned char)id;
  echo[6] = (unsigned char)(sequence >> 8);
  echo[7] = (unsigned char)sequence;
  memcpy(echo + 8, payload, payload_length);
  if (s->family == 4) { /* ICMPv6 checksums are the kernel's (they cover a pseudo-header) */
    uint16_t sum = checksum(echo, length);
    echo[2] = (unsigned char)(sum >> 8);
    echo[3] = (unsigned char)sum;
  }
  clock_gettime(CLOCK_REALTIME, &s->sent_at);
  if (sendto(s->fd, echo, length, 0, (struct sockaddr *)&to, to_length) < 0) return throw_errno(env, "sendto", errno);
  return NULL;
}

static napi_value close_echo_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  icmp_socket *s = argc == 1 ? socket_argument(env, argv[0]) : NULL;
  if (!s) return throw_usage(env, "close(socket)");
  close_socket(s);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    { "open", NULL, open_socket, NULL, NULL, NULL, napi_default, NULL },
    { "identifier", NULL, identifier, NULL, NULL, NULL, napi_default, NULL },
    { "send", NULL, send_echo, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, close_echo_socket, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
