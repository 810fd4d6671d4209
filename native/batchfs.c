/*
 * Batched directory reads for the container collector, which reads ~12 files in each of ~1,500
 * cgroup directories per run on a busy node. Node has no openat(2), so each fs.openSync walks the
 * whole cgroup path again, each of open/read/close is a separate call into the runtime, and
 * readdirSync makes an object per entry when only the few subdirectories matter.
 *
 * readFilesAt(dir, names) → one entry per name: the file's text, or its errno as a number (every
 * entry is the directory's errno when the directory cannot be opened).
 * subdirectories(dir) → { names, leaf, inodes }: the directories in dir and, for each, whether its
 * link count (2) says it has no subdirectories of its own, so a tree walk need not list it, and its
 * inode number, which tells one made again under the same name from the one before; or dir's errno
 * as a number. kernfs (cgroupfs) and tmpfs keep a directory's link count at 2 plus its
 * subdirectories; on a filesystem that does not (btrfs reports 1), nothing is called a leaf.
 * openDirectory(dir) → an O_PATH descriptor of dir to pass instead of its path to readFilesAt,
 * which then neither walks the path nor opens and closes the directory again; or -errno (-EMFILE past
 * this thread's share of RLIMIT_NOFILE). closeDirectory(fd) closes one; descriptors another
 * thread or module opened are refused, and those still held when the thread ends are closed.
 * openWatches() → an inotify descriptor (or -errno), held like those and closed with
 * closeWatches(watches); watchDirectory(watches, dir) → the watch descriptor (wd) that reports
 * subdirectories made, removed or moved in dir, and dir itself removed or moved where the
 * filesystem says so (tmpfs does, cgroupfs does not), or -errno (ENOSPC past
 * fs.inotify.max_user_watches);
 * unwatchDirectory(watches, wd); changedDirectories(watches) → the wds with such events since the
 * last call (a wd may repeat), or null when the kernel's queue overflowed and any may have changed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <node_api.h>

#define MAX_DIR_PATH 4096
#define MAX_NAME 256
#define WHOLE_FILE_SHORT_READ 2048
#define HELD_DIRECTORY 1
#define HELD_WATCHES 2

/*
 * What one thread (napi env) keeps: its read buffer, and the descriptors it holds (held[fd] is
 * HELD_DIRECTORY or HELD_WATCHES for those it opened).
 */
typedef struct {
  char *buffer;
  size_t buffer_size;
  unsigned char *held;
  size_t held_size;
  size_t count;
  size_t budget;
} Handles;

static void close_held(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Handles *h = data;
  for (size_t fd = 0; fd < h->held_size; fd++) if (h->held[fd]) close((int)fd);
  free(h->buffer);
  free(h->held);
  free(h);
}

static Handles *handles_of(napi_env env) {
  Handles *h = NULL;
  napi_get_instance_data(env, (void **)&h);
  return h;
}

static bool is_held(Handles *h, int64_t fd, unsigned char kind) {
  return h && fd >= 0 && (size_t)fd < h->held_size && h->held[fd] == kind;
}


/* Reads fd to EOF into the thread's buffer; returns the length, or -errno. */
static ssize_t read_all(Handles *h, int fd) {
  size_t length = 0;
  for (;;) {
    if (length == h->buffer_size) {
      size_t bigger = h->buffer_size ? h->buffer_size * 2 : 16384;
      char *grown = realloc(h->buffer, bigger);
      if (!grown) return -ENOMEM;
      h->buffer = grown;
      h->buffer_size = bigger;
    }
    ssize_t n = read(fd, h->buffer + length, h->buffer_size - length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) return (ssize_t)length;
    length += (size_t)n;
    /*
     * A first read this short is the whole file, which saves the read that would return 0 (a
     * quarter of the system calls per file). A regular file reads short only at its end; a kernfs
     * seq_file returns less than asked only at its end or when the next record would overflow its
     * page-sized buffer, i.e. after more than PAGE_SIZE minus one record, far above this.
     */
    if (length == (size_t)n && length < WHOLE_FILE_SHORT_READ) return (ssize_t)length;
  }
}

static napi_value number(napi_env env, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  return v;
}

/* The directory argument into path (MAX_DIR_PATH bytes); false unless it is a string. */
static bool path_argument(napi_env env, napi_value value, char *path, size_t *length) {
  return napi_get_value_string_utf8(env, value, path, MAX_DIR_PATH, length) == napi_ok;
}

/* The (dir: string) argument; false, with a TypeError thrown naming usage, unless it is that. */
static bool path_only(napi_env env, napi_callback_info info, const char *usage, char *path, size_t *length) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1 && path_argument(env, argv[0], path, length)) return true;
  napi_throw_type_error(env, NULL, usage);
  return false;
}

/*
 * A directory argument: a path into dir (MAX_DIR_PATH bytes), *fd -1; or a descriptor from
 * openDirectory into *fd. false unless it is a string or a descriptor this thread holds.
 */
static bool dir_argument(napi_env env, napi_value value, char *dir, size_t *dir_length, int *fd) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_number) {
    int64_t n;
    if (napi_get_value_int64(env, value, &n) != napi_ok || !is_held(handles_of(env), n, HELD_DIRECTORY)) return false;
    *fd = (int)n;
    *dir_length = 0;
    dir[0] = '\0';
    return true;
  }
  *fd = -1;
  return path_argument(env, value, dir, dir_length);
}

/* The (dir: string | fd, names: string[]) arguments; false, with a TypeError thrown naming usage, unless they are that. */
static bool dir_and_names(napi_env env, napi_callback_info info, const char *usage, char *dir, size_t *dir_length, int *fd, napi_value *names) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_array = false;
  if (argc < 2 || !dir_argument(env, argv[0], dir, dir_length, fd) || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  *names = argv[1];
  return true;
}

/* names[i] into name (MAX_NAME bytes); false unless it is one path component. */
static bool name_at(napi_env env, napi_value names, uint32_t i, char *name) {
  napi_value element;
  size_t length;
  napi_get_element(env, names, i, &element);
  return napi_get_value_string_utf8(env, element, name, MAX_NAME, &length) == napi_ok && length < MAX_NAME - 1 && !strchr(name, '/');
}

static napi_value read_files_at(napi_env env, napi_callback_info info) {
  char dir[MAX_DIR_PATH];
  size_t dir_length;
  napi_value names;
  int held;
  if (!dir_and_names(env, info, "readFilesAt(dir: string | fd, names: string[])", dir, &dir_length, &held, &names)) return NULL;
  Handles *h = handles_of(env);
  int dirfd = !h || dir_length >= sizeof dir - 1 ? -1 : held >= 0 ? held : open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int dir_errno = !h ? ENOMEM : dir_length >= sizeof dir - 1 ? ENAMETOOLONG : errno;

  uint32_t count;
  napi_get_array_length(env, names, &count);
  napi_value results;
  napi_create_array_with_length(env, count, &results);
  for (uint32_t i = 0; i < count; i++) {
    char name[MAX_NAME];
    napi_value result;
    if (dirfd < 0) {
      result = number(env, dir_errno);
    } else if (!name_at(env, names, i, name)) {
      result = number(env, EINVAL);
    } else {
      int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        result = number(env, errno);
      } else {
        ssize_t length = read_all(h, fd);
        close(fd);
        if (length < 0) result = number(env, (int)-length);
        else napi_create_string_utf8(env, h->buffer, (size_t)length, &result);
      }
    }
    napi_set_element(env, results, i, result);
  }
  if (dirfd >= 0 && held < 0) close(dirfd);
  return results;
}

static napi_value subdirectories(napi_env env, napi_callback_info info) {
  char path[MAX_DIR_PATH];
  size_t path_length;
  if (!path_only(env, info, "subdirectories(dir: string)", path, &path_length)) return NULL;
  if (path_length >= sizeof path - 1) return number(env, ENAMETOOLONG);
  DIR *dir = opendir(path);
  if (!dir) return number(env, errno);
  napi_value names, leaves, inodes;
  napi_create_array(env, &names);
  napi_create_array(env, &leaves);
  napi_create_array(env, &inodes);
  uint32_t count = 0;
  int failed = 0;
  for (;;) {
    errno = 0; /* readdir returns NULL at the end and on errors alike; only errno tells them apart */
    struct dirent *entry = readdir(dir);
    if (!entry) {
      failed = errno;
      break;
    }
    if (entry->d_name[0] == '.' && (entry->d_name[1] == '\0' || (entry->d_name[1] == '.' && entry->d_name[2] == '\0'))) continue;
    if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) continue;
    struct stat st;
    bool known = fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (entry->d_type == DT_UNKNOWN && !(known && S_ISDIR(st.st_mode))) continue;
    napi_value name, leaf, inode;
    napi_create_string_utf8(env, entry->d_name, NAPI_AUTO_LENGTH, &name);
    napi_get_boolean(env, known && st.st_nlink == 2, &leaf);
    napi_create_double(env, (double)entry->d_ino, &inode);
    napi_set_element(env, names, count, name);
    napi_set_element(env, inodes, count, inode);
    napi_set_element(env, leaves, count++, leaf);
  }
  closedir(dir);
  if (failed) return number(env, failed);
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "names", names);
  napi_set_named_property(env, result, "leaf", leaves);
  napi_set_named_property(env, result, "inodes", inodes);
  return result;
}

/* Records fd as held (kind HELD_DIRECTORY or HELD_WATCHES); returns fd, or -errno after closing it. */
static int hold(Handles *h, int fd, unsigned char kind) {
  if ((size_t)fd >= h->held_size) {
    size_t bigger = (size_t)fd * 2 + 64;
    unsigned char *grown = realloc(h->held, bigger);
    if (!grown) {
      close(fd);
      return -ENOMEM;
    }
    memset(grown + h->held_size, 0, bigger - h->held_size);
    h->held = grown;
    h->held_size = bigger;
  }
  h->held[fd] = kind;
  h->count++;
  return fd;
}

static napi_value open_directory(napi_env env, napi_callback_info info) {
  char path[MAX_DIR_PATH];
  size_t path_length;
  if (!path_only(env, info, "openDirectory(dir: string)", path, &path_length)) return NULL;
  if (path_length >= sizeof path - 1) return number(env, -ENAMETOOLONG);
  Handles *h = handles_of(env);
  if (!h || h->count >= h->budget) return number(env, -EMFILE);
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return number(env, fd < 0 ? -errno : hold(h, fd, HELD_DIRECTORY));
}

/* The (fd: number) argument when it is a descriptor this thread holds as kind; else -1, with a TypeError thrown naming usage. */
static int held_argument(napi_env env, napi_value value, unsigned char kind, const char *usage) {
  int64_t fd;
  if (napi_get_value_int64(env, value, &fd) != napi_ok || !is_held(handles_of(env), fd, kind)) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  return (int)fd;
}

static napi_value release(napi_env env, napi_callback_info info, unsigned char kind, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = held_argument(env, argv[0], kind, usage); /* a missing argument is undefined */
  if (fd < 0) return NULL;
  Handles *h = handles_of(env);
  h->held[fd] = 0;
  h->count--;
  close(fd);
  return NULL;
}

static napi_value close_directory(napi_env env, napi_callback_info info) {
  return release(env, info, HELD_DIRECTORY, "closeDirectory(fd): not a descriptor from openDirectory");
}

static napi_value open_watches(napi_env env, napi_callback_info info) {
  (void)info;
  Handles *h = handles_of(env);
  if (!h || h->count >= h->budget) return number(env, -EMFILE);
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  return number(env, fd < 0 ? -errno : hold(h, fd, HELD_WATCHES));
}

static napi_value close_watches(napi_env env, napi_callback_info info) {
  return release(env, info, HELD_WATCHES, "closeWatches(watches): not a descriptor from openWatches");
}

/*
 * What makes a directory's listing stale: a subdirectory made, removed or renamed in or out (cgroups
 * are made and removed with mkdir and rmdir, which notify on kernfs as anywhere), or the directory
 * itself removed or moved. Files written in it (a test's tmpfs tree) are not watched.
 */
#define WATCHED_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
#define SELF_EVENTS (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)

static napi_value watch_directory(napi_env env, napi_callback_info info) {
  const char *usage = "watchDirectory(watches: number, dir: string)";
  size_t argc = 2;
  napi_value argv[2];
  char path[MAX_DIR_PATH];
  size_t path_length;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = held_argument(env, argv[0], HELD_WATCHES, usage);
  if (fd < 0) return NULL;
  if (!path_argument(env, argv[1], path, &path_length)) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (path_length >= sizeof path - 1) return number(env, -ENAMETOOLONG);
  int wd = inotify_add_watch(fd, path, WATCHED_EVENTS);
  return number(env, wd < 0 ? -errno : wd);
}

static napi_value unwatch_directory(napi_env env, napi_callback_info info) {
  const char *usage = "unwatchDirectory(watches: number, wd: number)";
  size_t argc = 2;
  napi_value argv[2];
  int32_t wd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (napi_get_value_int32(env, argv[1], &wd) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  int fd = held_argument(env, argv[0], HELD_WATCHES, usage);
  if (fd >= 0) inotify_rm_watch(fd, wd); /* EINVAL when the directory went and took its watch: nothing to undo */
  return NULL;
}

static napi_value changed_directories(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = held_argument(env, argv[0], HELD_WATCHES, "changedDirectories(watches: number)");
  if (fd < 0) return NULL;
  napi_value changed;
  napi_create_array(env, &changed);
  uint32_t count = 0;
  bool overflowed = false;
  char events[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t n = read(fd, events, sizeof events);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) overflowed = true; /* cannot tell what was missed */
    if (n <= 0) break;
    for (char *at = events; at < events + n;) {
      const struct inotify_event *e = (const struct inotify_event *)at;
      at += sizeof *e + e->len;
      if (e->mask & IN_Q_OVERFLOW) overflowed = true;
      else if ((e->mask & SELF_EVENTS) || (e->mask & IN_ISDIR)) napi_set_element(env, changed, count++, number(env, e->wd));
    }
  }
  if (overflowed) napi_get_null(env, &changed);
  return changed;
}

/*
 * A thread holds directory descriptors up to half the soft RLIMIT_NOFILE (Node raises it to the hard
 * limit at start-up), the other half staying for sockets and files: the 6,000 to 7,500 of 1,000 v1
 * containers (one per hierarchy) fit in a pod's usual 1,048,576 or a systemd service's 524,288 many
 * times over; past the budget directories are read by path.
 */
static size_t descriptor_budget(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 65536;
  return limit.rlim_cur / 2;
}

static napi_value init(napi_env env, napi_value exports) {
  Handles *h = calloc(1, sizeof *h);
  if (h) {
    h->budget = descriptor_budget();
    napi_set_instance_data(env, h, close_held, NULL);
  }
  static const struct {
    const char *name;
    napi_callback call;
  } functions[] = {
      {"openDirectory", open_directory},
      {"closeDirectory", close_directory},
      {"openWatches", open_watches},
      {"closeWatches", close_watches},
      {"watchDirectory", watch_directory},
      {"unwatchDirectory", unwatch_directory},
      {"changedDirectories", changed_directories},
      {"readFilesAt", read_files_at},
      {"subdirectories", subdirectories},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].call, NULL, &fn);
    napi_set_named_property(env, exports, functions[i].name, fn);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
