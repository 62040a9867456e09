// The LD_PRELOAD interposer (see include/sockscope_preload.h). Each hook calls the real function
// found with dlsym(RTLD_NEXT) and, while recording, appends one record through the same writer as
// the Swift socket layer, so both produce identical logs. The program's return values, errno and
// data are never changed: the only difference the kernel sees is MSG_TRUNC added to receives on
// datagram sockets, to learn a datagram's real size (the program still gets what it asked for).
#define _GNU_SOURCE
#include "sockscope_preload.h"

#include "sockscope_log.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

// Set while a hook records, so that the writer's own socket calls (the peer lookup) and anything
// else called from inside a hook go straight to the real functions.
static __thread int t_busy;

#define REAL(name) \
  static __typeof__(&name) real_##name; \
  if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

int sockscope_preload_active(void) { return sockscope_log_is_open(); }

// What the environment asked for, kept until the first recorded call opens the log: processes that
// never use a socket nor print (a shell wrapper such as pyenv's python3 shim) leave no log.
static struct {
  char dir[4096];
  char role[4096]; /* whole: the writer cuts it to fit the log's header and notes that it did */
  uint32_t limit;
  int pending; /* configured, not opened yet */
} g_config;

static void open_pending_log(void) {
  if (!__atomic_exchange_n(&g_config.pending, 0, __ATOMIC_ACQ_REL)) return;
  int err = sockscope_log_open(g_config.dir, g_config.role, g_config.limit);
  if (err != 0 && err != -EEXIST)
    fprintf(stderr, "sockscope: cannot record into %s: %s; running untraced\n", g_config.dir, strerror(-err));
}

// Output printed before the first socket call, kept until then: a process's log is opened by its
// first socket call, so that wrapper processes which only print (shell scripts around python3)
// leave no log, while a server's first message, printed before socket(), is still recorded.
#define EARLY_OUTPUTS 32
#define EARLY_OUTPUT_BYTES 512
static struct {
  pthread_mutex_t lock;
  int count;
  struct {
    sockscope_record record;
    uint32_t length;
    char data[EARLY_OUTPUT_BYTES];
  } items[EARLY_OUTPUTS];
} g_early = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void keep_early_output(int fd, uint64_t t0, const void *buf, size_t len) {
  pthread_mutex_lock(&g_early.lock);
  if (g_early.count < EARLY_OUTPUTS) {
    __typeof__(g_early.items[0]) *item = &g_early.items[g_early.count++];
    memset(&item->record, 0, sizeof item->record);
    item->record.call = SOCKSCOPE_CALL_OUTPUT;
    item->record.fd = fd;
    item->record.tid = sockscope_thread_id();
    item->record.t_ns = t0;
    item->record.ret = (int64_t)len;
    item->record.full_len = len;
    item->length = len < EARLY_OUTPUT_BYTES ? (uint32_t)len : EARLY_OUTPUT_BYTES;
    memcpy(item->data, buf, item->length);
  }
  pthread_mutex_unlock(&g_early.lock);
}

static void write_early_output(void) {
  pthread_mutex_lock(&g_early.lock);
  for (int i = 0; i < g_early.count; i++)
    sockscope_log_append(&g_early.items[i].record, NULL, 0, g_early.items[i].data, g_early.items[i].length);
  g_early.count = 0;
  pthread_mutex_unlock(&g_early.lock);
}

// Whether calls are being looked at: recording is configured (or on) and this is not a call made
// from inside a hook.
static int recording(void) {
  return !t_busy && (sockscope_log_is_open() || __atomic_load_n(&g_config.pending, __ATOMIC_ACQUIRE));
}

// Opens the log at the first call that concerns an AF_UNIX socket. Returns whether it is open.
static int ensure_log(void) {
  if (sockscope_log_is_open()) return 1;
  int was_busy = t_busy;
  t_busy = 1;
  open_pending_log();
  if (sockscope_log_is_open()) write_early_output();
  t_busy = was_busy;
  return sockscope_log_is_open();
}

// Marks logs of earlier images of this process (same pid: it called exec) as closed: their events
// are complete, the process did not die.
static void close_logs_of_earlier_images(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return;
  char prefix[32];
  int n = snprintf(prefix, sizeof prefix, "%d-", (int)getpid());
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL) {
    if (strncmp(entry->d_name, prefix, (size_t)n) != 0) continue;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    sockscope_log_header h;
    if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h && memcmp(h.magic, SOCKSCOPE_LOG_MAGIC, 8) == 0 &&
        h.state == SOCKSCOPE_LOG_OPEN) {
      uint32_t closed = SOCKSCOPE_LOG_CLOSED;
      (void)pwrite(fd, &closed, sizeof closed, offsetof(sockscope_log_header, state));
    }
    close(fd);
  }
  closedir(d);
}

__attribute__((constructor)) static void sockscope_preload_start(void) {
  const char *dir = getenv("SOCKSCOPE_TRACE_DIR");
  if (dir == NULL || dir[0] == 0) return;
  t_busy = 1;
  close_logs_of_earlier_images(dir);
  const char *role = getenv("SOCKSCOPE_ROLE");
  char name[64] = "";
  if (role == NULL || role[0] == 0) {
    FILE *f = fopen("/proc/self/comm", "r");
    if (f != NULL) {
      if (fgets(name, sizeof name, f) != NULL) {
        // The kernel keeps 15 bytes of the name, which can end inside a character: drop that part.
        size_t n = strcspn(name, "\n");
        name[sockscope_utf8_complete(name, n)] = 0;
      }
      fclose(f);
    }
    role = name;
  }
  const char *capture = getenv("SOCKSCOPE_CAPTURE");
  snprintf(g_config.dir, sizeof g_config.dir, "%s", dir);
  snprintf(g_config.role, sizeof g_config.role, "%s", role);
  g_config.limit = capture ? (uint32_t)strtoul(capture, NULL, 10) : SOCKSCOPE_DEFAULT_CAPTURE;
  __atomic_store_n(&g_config.pending, 1, __ATOMIC_RELEASE);
  t_busy = 0;
}

// How far a cached "not an AF_UNIX socket" is believed without asking the kernel again.
enum trust { CONFIRM_ALL, TRUST_NOT_SOCKET };

// What is known of a descriptor. The cache keeps what costs several system calls to learn (the
// family, the type, the peer), but a number can come to name something else without any call this
// interposer sees: a socket closed inside libc (fclose of an fdopen'ed socket), by close_range or
// closefrom, or by a raw system call, and the number reused by open. So every use confirms the
// cached entry with one fstat: the inode must still be the one cached. A file's contents are
// never recorded as a socket's data, and a new socket on an old number is never given the old
// one's identity. With TRUST_NOT_SOCKET (read and write, which are mostly file I/O), an entry
// saying "not an AF_UNIX socket" is believed without the fstat; the hooks on dup, dup2, dup3,
// fcntl (F_DUPFD), close, close_range, closefrom, fclose and SCM_RIGHTS keep such entries from
// going stale.
static sockscope_fd_info describe(int fd, enum trust trust) {
  sockscope_fd_info *slot = sockscope_fd_slot(fd);
  int cached = slot != NULL && (slot->ino != 0 || slot->type == -1);
  if (cached && trust == TRUST_NOT_SOCKET && slot->type == -1) return *slot;
  uint64_t ino = sockscope_socket_inode(fd);
  if (cached && slot->ino == ino) return *slot;
  // The lookups below make socket calls of their own (the peer query): they must pass through.
  int was_busy = t_busy;
  t_busy = 1;
  sockscope_fd_info info = {0};
  info.ino = ino; /* kept for any socket, so that the next use can confirm it */
  if (info.ino == 0) {
    info.type = -1;
  } else {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    info.domain = getsockname(fd, (struct sockaddr *)&ss, &len) == 0 ? ss.ss_family : 0;
    if (info.domain != AF_UNIX) {
      info.type = -1;
    } else {
      info.type = sockscope_socket_type(fd);
      info.peer = sockscope_unix_peer_inode(info.ino);
    }
  }
  if (slot != NULL) *slot = info;
  t_busy = was_busy;
  return info;
}

// Whether `fd` is an AF_UNIX socket now; fills `info`.
static int unix_socket(int fd, sockscope_fd_info *info, enum trust trust) {
  *info = describe(fd, trust);
  return info->type > 0;
}

static void start(sockscope_record *r, enum sockscope_call call, int fd) {
  memset(r, 0, sizeof *r);
  r->call = (uint16_t)call;
  r->fd = fd;
  r->tid = sockscope_thread_id();
  r->t_ns = sockscope_now_ns();
}

static void identify(sockscope_record *r, sockscope_fd_info info) {
  r->sock_ino = info.ino;
  r->peer_ino = info.peer;
  if (info.type == SOCK_DGRAM || info.type == SOCK_SEQPACKET) r->flags |= SOCKSCOPE_FLAG_DATAGRAM;
}

static void commit(sockscope_record *r, long ret, int err, const void *addr, uint32_t addr_len, const void *data,
                   size_t data_len) {
  r->dur_ns = sockscope_now_ns() - r->t_ns;
  r->ret = ret;
  r->err = ret < 0 ? err : 0;
  sockscope_log_append(r, addr, addr_len, data, (uint32_t)(data_len > UINT32_MAX ? UINT32_MAX : data_len));
}

// The sun_path bytes of an AF_UNIX address (abstract names keep their leading NUL).
static uint32_t unix_path(const struct sockaddr *addr, socklen_t len, const char **path) {
  size_t offset = offsetof(struct sockaddr_un, sun_path);
  if (addr == NULL || len <= offset || addr->sa_family != AF_UNIX) return 0;
  const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
  size_t n = len - offset;
  if (n > sizeof un->sun_path) n = sizeof un->sun_path;
  if (un->sun_path[0] != 0) n = strnlen(un->sun_path, n);
  *path = un->sun_path;
  return (uint32_t)n;
}

int socket(int domain, int type, int protocol) {
  REAL(socket);
  if (!recording() || domain != AF_UNIX || !ensure_log()) return real_socket(domain, type, protocol);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SOCKET, -1);
  int fd = real_socket(domain, type, protocol);
  int err = errno;
  if (fd >= 0) {
    sockscope_fd_info info = {.ino = sockscope_socket_inode(fd), .type = type & 0xF, .domain = domain};
    sockscope_fd_info *slot = sockscope_fd_slot(fd);
    if (slot != NULL) *slot = info;
    identify(&r, info);
    r.fd = fd;
  }
  r.a0 = domain;
  r.a1 = type;
  r.a2 = protocol;
  commit(&r, fd, err, NULL, 0, NULL, 0);
  t_busy = 0;
  errno = err;
  return fd;
}

int socketpair(int domain, int type, int protocol, int sv[2]) {
  REAL(socketpair);
  if (!recording() || domain != AF_UNIX || !ensure_log()) return real_socketpair(domain, type, protocol, sv);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SOCKETPAIR, -1);
  int ret = real_socketpair(domain, type, protocol, sv);
  int err = errno;
  if (ret == 0) {
    uint64_t a = sockscope_socket_inode(sv[0]), b = sockscope_socket_inode(sv[1]);
    sockscope_fd_info ia = {.ino = a, .peer = b, .type = type & 0xF, .domain = domain};
    sockscope_fd_info ib = {.ino = b, .peer = a, .type = type & 0xF, .domain = domain};
    if (sockscope_fd_slot(sv[0])) *sockscope_fd_slot(sv[0]) = ia;
    if (sockscope_fd_slot(sv[1])) *sockscope_fd_slot(sv[1]) = ib;
    r.fd = sv[0];
    r.a3 = sv[1];
    r.sock_ino = a;
    r.peer_ino = b;
  }
  r.a0 = domain;
  r.a1 = type;
  r.a2 = protocol;
  commit(&r, ret, err, NULL, 0, NULL, 0);
  t_busy = 0;
  errno = err;
  return ret;
}

// bind and connect: the same record, with the socket file's inode once it exists.
static int name_call(enum sockscope_call call, int fd, const struct sockaddr *addr, socklen_t len,
                     int (*real)(int, const struct sockaddr *, socklen_t)) {
  const char *path = NULL;
  uint32_t path_len = unix_path(addr, len, &path);
  if (!recording() || path_len == 0 || !ensure_log()) return real(fd, addr, len);
  t_busy = 1;
  sockscope_record r;
  start(&r, call, fd);
  int ret = real(fd, addr, len);
  int err = errno;
  sockscope_fd_info info = describe(fd, CONFIRM_ALL);
  if (ret == 0 && call == SOCKSCOPE_CALL_CONNECT) {
    info.peer = sockscope_unix_peer_inode(info.ino);
    if (sockscope_fd_slot(fd)) *sockscope_fd_slot(fd) = info;
  }
  identify(&r, info);
  r.a0 = len;
  r.a1 = AF_UNIX;
  if (ret == 0 && path[0] != 0) {
    char copy[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
    memcpy(copy, path, path_len);
    copy[path_len] = 0;
    r.path_ino = sockscope_socket_path_inode(copy);
  }
  commit(&r, ret, err, path, path_len, NULL, 0);
  t_busy = 0;
  errno = err;
  return ret;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  REAL(bind);
  return name_call(SOCKSCOPE_CALL_BIND, fd, addr, len, real_bind);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  REAL(connect);
  return name_call(SOCKSCOPE_CALL_CONNECT, fd, addr, len, real_connect);
}

int listen(int fd, int backlog) {
  REAL(listen);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_listen(fd, backlog);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_LISTEN, fd);
  int ret = real_listen(fd, backlog);
  int err = errno;
  identify(&r, info);
  r.a0 = backlog;
  commit(&r, ret, err, NULL, 0, NULL, 0);
  t_busy = 0;
  errno = err;
  return ret;
}

static int accept_call(enum sockscope_call call, int fd, sockscope_fd_info listener, struct sockaddr *addr,
                       socklen_t *len, int flags, int ret, int err, uint64_t t0) {
  sockscope_record r;
  start(&r, call, fd);
  r.t_ns = t0;
  identify(&r, listener);
  r.a0 = flags;
  const char *path = NULL;
  uint32_t path_len = 0;
  if (ret >= 0) {
    sockscope_fd_info info = {.ino = sockscope_socket_inode(ret), .type = listener.type, .domain = AF_UNIX};
    info.peer = sockscope_unix_peer_inode(info.ino);
    if (sockscope_fd_slot(ret)) *sockscope_fd_slot(ret) = info;
    r.a1 = (int64_t)info.ino;
    r.a2 = (int64_t)info.peer;
    r.a3 = AF_UNIX;
    if (addr != NULL && len != NULL) path_len = unix_path(addr, *len, &path);
  }
  commit(&r, ret, err, path, path_len, NULL, 0);
  return ret;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  REAL(accept);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_accept(fd, addr, len);
  uint64_t t0 = sockscope_now_ns();
  int ret = real_accept(fd, addr, len);
  int err = errno;
  t_busy = 1;
  accept_call(SOCKSCOPE_CALL_ACCEPT, fd, info, addr, len, 0, ret, err, t0);
  t_busy = 0;
  errno = err;
  return ret;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  REAL(accept4);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log())
    return real_accept4(fd, addr, len, flags);
  uint64_t t0 = sockscope_now_ns();
  int ret = real_accept4(fd, addr, len, flags);
  int err = errno;
  t_busy = 1;
  accept_call(SOCKSCOPE_CALL_ACCEPT4, fd, info, addr, len, flags, ret, err, t0);
  t_busy = 0;
  errno = err;
  return ret;
}

// The inode of the socket file a successful send to `path` reached (0 for an abstract name), so
// that the merge can find the bound socket by the file, not by the path's spelling.
static uint64_t destination_inode(const char *path, uint32_t path_len, ssize_t ret) {
  if (ret < 0 || path_len == 0 || path[0] == 0) return 0;
  char copy[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  memcpy(copy, path, path_len);
  copy[path_len] = 0;
  return sockscope_socket_path_inode(copy);
}

// send, sendto and write on a socket.
static void record_send(enum sockscope_call call, int fd, sockscope_fd_info info, const void *buf, size_t len,
                        int flags, const struct sockaddr *addr, socklen_t addr_len, ssize_t ret, int err,
                        uint64_t t0) {
  sockscope_record r;
  start(&r, call, fd);
  r.t_ns = t0;
  identify(&r, info);
  r.a0 = (int64_t)len;
  r.a1 = flags;
  const char *path = NULL;
  uint32_t path_len = unix_path(addr, addr_len, &path);
  if (path_len) r.a3 = AF_UNIX;
  r.path_ino = destination_inode(path, path_len, ret);
  r.full_len = ret > 0 ? (uint64_t)ret : 0;
  commit(&r, ret, err, path, path_len, buf, ret > 0 ? (size_t)ret : 0);
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
  REAL(send);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_send(fd, buf, len, flags);
  uint64_t t0 = sockscope_now_ns();
  ssize_t ret = real_send(fd, buf, len, flags);
  int err = errno;
  t_busy = 1;
  record_send(SOCKSCOPE_CALL_SEND, fd, info, buf, len, flags, NULL, 0, ret, err, t0);
  t_busy = 0;
  errno = err;
  return ret;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t addr_len) {
  REAL(sendto);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log())
    return real_sendto(fd, buf, len, flags, addr, addr_len);
  uint64_t t0 = sockscope_now_ns();
  ssize_t ret = real_sendto(fd, buf, len, flags, addr, addr_len);
  int err = errno;
  t_busy = 1;
  record_send(SOCKSCOPE_CALL_SENDTO, fd, info, buf, len, flags, addr, addr_len, ret, err, t0);
  t_busy = 0;
  errno = err;
  return ret;
}

// The first bytes of an iovec array, for the payload.
static size_t gather(const struct msghdr *msg, char *out, size_t cap, size_t limit) {
  size_t n = 0;
  for (size_t i = 0; msg && i < (size_t)msg->msg_iovlen && n < cap && n < limit; i++) {
    size_t take = msg->msg_iov[i].iov_len;
    if (take > cap - n) take = cap - n;
    if (take > limit - n) take = limit - n;
    memcpy(out + n, msg->msg_iov[i].iov_base, take);
    n += take;
  }
  return n;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  REAL(sendmsg);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_sendmsg(fd, msg, flags);
  uint64_t t0 = sockscope_now_ns();
  ssize_t ret = real_sendmsg(fd, msg, flags);
  int err = errno;
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SENDMSG, fd);
  r.t_ns = t0;
  identify(&r, info);
  size_t total = 0;
  for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) total += msg->msg_iov[i].iov_len;
  r.a0 = (int64_t)total;
  r.a1 = flags;
  r.a2 = (int64_t)msg->msg_iovlen;
  r.a3 = (int64_t)msg->msg_controllen;
  r.full_len = ret > 0 ? (uint64_t)ret : 0;
  char data[65536];
  size_t n = ret > 0 ? gather(msg, data, sizeof data, (size_t)ret) : 0;
  const char *path = NULL;
  uint32_t path_len = unix_path(msg->msg_name, msg->msg_namelen, &path);
  r.path_ino = destination_inode(path, path_len, ret);
  commit(&r, ret, err, path, path_len, data, n);
  t_busy = 0;
  errno = err;
  return ret;
}

// recv, recvfrom and read on a socket. On a datagram socket MSG_TRUNC is added so the kernel says
// the datagram's real size; the program gets min(size, its buffer), as without the flag.
static ssize_t receive(enum sockscope_call call, int fd, sockscope_fd_info info, void *buf, size_t len, int flags,
                       struct sockaddr *addr, socklen_t *addr_len,
                       ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *)) {
  int datagram = info.type == SOCK_DGRAM || info.type == SOCK_SEQPACKET;
  int asks_length = datagram && !(flags & MSG_TRUNC) && call != SOCKSCOPE_CALL_READ;
  sockscope_record r;
  start(&r, call, fd);
  ssize_t n = real(fd, buf, len, asks_length ? flags | MSG_TRUNC : flags, addr, addr_len);
  int err = errno;
  ssize_t ret = (asks_length && n > (ssize_t)len) ? (ssize_t)len : n;
  t_busy = 1;
  identify(&r, info);
  r.a0 = (int64_t)len;
  r.a1 = flags;
  r.full_len = n > 0 ? (uint64_t)n : 0;
  const char *path = NULL;
  uint32_t path_len = (n >= 0 && addr_len != NULL) ? unix_path(addr, *addr_len, &path) : 0;
  commit(&r, ret, err, path, path_len, buf, ret > 0 ? (size_t)ret : 0);
  t_busy = 0;
  errno = err;
  return ret;
}

static ssize_t (*real_recvfrom_p)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static ssize_t (*real_read_p)(int, void *, size_t);

static ssize_t recvfrom_adapter(int fd, void *buf, size_t len, int flags, struct sockaddr *a, socklen_t *l) {
  return real_recvfrom_p(fd, buf, len, flags, a, l);
}

static ssize_t read_adapter(int fd, void *buf, size_t len, int flags, struct sockaddr *a, socklen_t *l) {
  (void)flags, (void)a, (void)l;
  return real_read_p(fd, buf, len);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *addr_len) {
  if (!real_recvfrom_p) real_recvfrom_p = (__typeof__(real_recvfrom_p))dlsym(RTLD_NEXT, "recvfrom");
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log())
    return real_recvfrom_p(fd, buf, len, flags, addr, addr_len);
  return receive(SOCKSCOPE_CALL_RECVFROM, fd, info, buf, len, flags, addr, addr_len, recvfrom_adapter);
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
  if (!real_recvfrom_p) real_recvfrom_p = (__typeof__(real_recvfrom_p))dlsym(RTLD_NEXT, "recvfrom");
  REAL(recv);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_recv(fd, buf, len, flags);
  return receive(SOCKSCOPE_CALL_RECV, fd, info, buf, len, flags, NULL, NULL, recvfrom_adapter);
}

ssize_t read(int fd, void *buf, size_t len) {
  if (!real_read_p) real_read_p = (__typeof__(real_read_p))dlsym(RTLD_NEXT, "read");
  if (!recording()) return real_read_p(fd, buf, len);
  sockscope_fd_info info;
  if (!unix_socket(fd, &info, TRUST_NOT_SOCKET) || !ensure_log()) return real_read_p(fd, buf, len);
  return receive(SOCKSCOPE_CALL_READ, fd, info, buf, len, 0, NULL, NULL, read_adapter);
}

// Descriptors received with SCM_RIGHTS take numbers this interposer did not see being freed.
static void forget_passed_descriptors(const struct msghdr *msg) {
  if (msg->msg_control == NULL || msg->msg_controllen < sizeof(struct cmsghdr)) return;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char *data = CMSG_DATA(c);
    for (size_t i = 0; i < count; i++) {
      int passed;
      memcpy(&passed, data + i * sizeof(int), sizeof passed);
      sockscope_fd_forget(passed);
    }
  }
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  REAL(recvmsg);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_recvmsg(fd, msg, flags);
  int datagram = info.type == SOCK_DGRAM || info.type == SOCK_SEQPACKET;
  int asks_length = datagram && !(flags & MSG_TRUNC);
  size_t total = 0;
  for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) total += msg->msg_iov[i].iov_len;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_RECVMSG, fd);
  ssize_t n = real_recvmsg(fd, msg, asks_length ? flags | MSG_TRUNC : flags);
  int err = errno;
  ssize_t ret = (asks_length && n > (ssize_t)total) ? (ssize_t)total : n;
  t_busy = 1;
  if (n >= 0) forget_passed_descriptors(msg);
  identify(&r, info);
  r.a0 = (int64_t)total;
  r.a1 = flags;
  r.a2 = n >= 0 ? msg->msg_flags : 0;
  r.a3 = (int64_t)msg->msg_controllen;
  r.full_len = n > 0 ? (uint64_t)n : 0;
  char data[65536];
  size_t kept = ret > 0 ? gather(msg, data, sizeof data, (size_t)ret) : 0;
  const char *path = NULL;
  uint32_t path_len = n >= 0 ? unix_path(msg->msg_name, msg->msg_namelen, &path) : 0;
  commit(&r, ret, err, path, path_len, data, kept);
  t_busy = 0;
  errno = err;
  return ret;
}

ssize_t write(int fd, const void *buf, size_t len) {
  REAL(write);
  if (!t_busy && !sockscope_log_is_open() && (fd == 1 || fd == 2) &&
      __atomic_load_n(&g_config.pending, __ATOMIC_ACQUIRE)) {
    uint64_t t0 = sockscope_now_ns();
    ssize_t ret = real_write(fd, buf, len);
    int err = errno;
    if (ret > 0) keep_early_output(fd, t0, buf, (size_t)ret);
    errno = err;
    return ret;
  }
  if (!recording()) return real_write(fd, buf, len);
  sockscope_fd_info info;
  int socket = unix_socket(fd, &info, TRUST_NOT_SOCKET) && ensure_log();
  if (!socket && !sockscope_log_is_open()) return real_write(fd, buf, len);
  t_busy = 1;
  uint64_t t0 = sockscope_now_ns();
  ssize_t ret = real_write(fd, buf, len);
  int err = errno;
  if (socket) {
    record_send(SOCKSCOPE_CALL_WRITE, fd, info, buf, len, 0, NULL, 0, ret, err, t0);
  } else if ((fd == 1 || fd == 2) && ret > 0) {
    // What the program printed, so a player can show its console.
    sockscope_record r;
    start(&r, SOCKSCOPE_CALL_OUTPUT, fd);
    r.t_ns = t0;
    r.full_len = (uint64_t)ret;
    commit(&r, ret, err, NULL, 0, buf, (size_t)ret);
  }
  t_busy = 0;
  errno = err;
  return ret;
}

int shutdown(int fd, int how) {
  REAL(shutdown);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_shutdown(fd, how);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SHUTDOWN, fd);
  int ret = real_shutdown(fd, how);
  int err = errno;
  identify(&r, info);
  r.a0 = how;
  commit(&r, ret, err, NULL, 0, NULL, 0);
  t_busy = 0;
  errno = err;
  return ret;
}

int close(int fd) {
  REAL(close);
  if (!recording()) {
    sockscope_fd_forget(fd);
    return real_close(fd);
  }
  sockscope_fd_info info = describe(fd, CONFIRM_ALL);
  int relevant = info.type > 0 && ensure_log();
  t_busy = 1;
  sockscope_fd_forget(fd);
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_CLOSE, fd);
  int ret = real_close(fd);
  int err = errno;
  if (relevant) {
    identify(&r, info);
    commit(&r, ret, err, NULL, 0, NULL, 0);
  }
  t_busy = 0;
  errno = err;
  return ret;
}

int unlink(const char *path) {
  REAL(unlink);
  // Recorded once the process has a log: a program that only removes files is not traced.
  if (!recording() || !sockscope_log_is_open()) return real_unlink(path);
  t_busy = 1;
  uint64_t ino = sockscope_path_inode(path);
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_UNLINK, -1);
  int ret = real_unlink(path);
  int err = errno;
  r.path_ino = ino;
  commit(&r, ret, err, path, (uint32_t)strlen(path), NULL, 0);
  t_busy = 0;
  errno = err;
  return ret;
}

// A descriptor made or closed by these calls is no longer what the cache says. (describe confirms
// every socket entry anyway; forgetting here keeps "not a socket" entries true for read and write.)
// errno is left as the real call set it: forgetting touches only the cache.
int dup(int old) {
  REAL(dup);
  int ret = real_dup(old);
  if (ret >= 0) sockscope_fd_forget(ret);
  return ret;
}

// fcntl is variadic: its third argument is read as a pointer-sized word and passed on, as glibc's
// own fcntl does, which carries an int or a pointer alike.
static int forward_fcntl(const char *name, int fd, int cmd, va_list ap) {
  static int (*real_fcntl_p)(int, int, ...);
  static int (*real_fcntl64_p)(int, int, ...);
  int (**slot)(int, int, ...) = name[5] == 0 ? &real_fcntl_p : &real_fcntl64_p;
  if (!*slot) *slot = (int (*)(int, int, ...))dlsym(RTLD_NEXT, name);
  void *arg = va_arg(ap, void *);
  int ret = (*slot)(fd, cmd, arg);
  if (ret >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) sockscope_fd_forget(ret);
  return ret;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  int ret = forward_fcntl("fcntl", fd, cmd, ap);
  va_end(ap);
  return ret;
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  int ret = forward_fcntl("fcntl64", fd, cmd, ap);
  va_end(ap);
  return ret;
}

int close_range(unsigned int first, unsigned int last, int flags) {
  REAL(close_range);
  int ret = real_close_range(first, last, flags);
  if (ret == 0 && !(flags & CLOSE_RANGE_CLOEXEC)) sockscope_fd_forget_range(first, last);
  return ret;
}

void closefrom(int lowest) {
  REAL(closefrom);
  real_closefrom(lowest);
  if (lowest >= 0) sockscope_fd_forget_range((unsigned)lowest, ~0u);
}

int fclose(FILE *stream) {
  REAL(fclose);
  int fd = stream != NULL ? fileno(stream) : -1;
  int ret = real_fclose(stream);
  if (fd >= 0) sockscope_fd_forget(fd);
  return ret;
}

int dup2(int old, int new) {
  REAL(dup2);
  int ret = real_dup2(old, new);
  if (ret >= 0) sockscope_fd_forget(new);
  return ret;
}

int dup3(int old, int new, int flags) {
  REAL(dup3);
  int ret = real_dup3(old, new, flags);
  if (ret >= 0) sockscope_fd_forget(new);
  return ret;
}

// _exit skips atexit, where the log is closed; a forked child commonly leaves this way (Python's
// os._exit). Closing here keeps its log from looking cut short.
void _exit(int status) {
  static void (*real__exit)(int);
  if (!real__exit) real__exit = (void (*)(int))dlsym(RTLD_NEXT, "_exit");
  sockscope_log_close();
  real__exit(status);
  __builtin_unreachable();
}

void _Exit(int status) {
  static void (*real__Exit)(int);
  if (!real__Exit) real__Exit = (void (*)(int))dlsym(RTLD_NEXT, "_Exit");
  sockscope_log_close();
  real__Exit(status);
  __builtin_unreachable();
}
