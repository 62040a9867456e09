// What a call records, once for both recorders (see include/sockscope_record.h): the descriptor
// cache, the socket identity, and the records of the calls whose rules are easy to get subtly
// different (payload gathering, the MSG_TRUNC rule, addresses, autobind). The interposer and the
// Swift layer each make the real call, set the result, and call these.
#define _GNU_SOURCE
#include "sockscope_record.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

// What is known of a descriptor. The cache keeps what costs several system calls to learn (the
// family, the type, the peer), but for the interposer a number can come to name something else
// without any call it sees: a socket closed inside libc (fclose of an fdopen'ed socket), by
// close_range or closefrom, or by a raw system call, and the number reused by open. So unless the
// caller trusts the cache, every use confirms the cached entry with one fstat: the inode must
// still be the one cached. A file's contents are never recorded as a socket's data, and a new
// socket on an old number is never given the old one's identity.
sockscope_fd_info sockscope_fd_describe(int fd, enum sockscope_trust trust) {
  sockscope_fd_info *slot = sockscope_fd_slot(fd);
  int cached = slot != NULL && (slot->ino != 0 || slot->type == -1);
  if (cached && trust == SOCKSCOPE_TRUST_ALL && slot->ino != 0) return *slot;
  if (cached && trust != SOCKSCOPE_CONFIRM_ALL && slot->type == -1) return *slot;
  uint64_t ino = sockscope_socket_inode(fd);
  if (cached && slot->ino == ino) return *slot;
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
  return info;
}

static void cache(int fd, sockscope_fd_info info) {
  sockscope_fd_info *slot = sockscope_fd_slot(fd);
  if (slot != NULL) *slot = info;
}

sockscope_fd_info sockscope_fd_created(int fd, int domain, int type) {
  sockscope_fd_info info = {.ino = sockscope_socket_inode(fd), .type = type & 0xF, .domain = domain};
  cache(fd, info);
  return info;
}

sockscope_fd_info sockscope_fd_created_pair(const int sv[2], int domain, int type) {
  uint64_t a = sockscope_socket_inode(sv[0]), b = sockscope_socket_inode(sv[1]);
  sockscope_fd_info first = {.ino = a, .peer = b, .type = type & 0xF, .domain = domain};
  sockscope_fd_info second = {.ino = b, .peer = a, .type = type & 0xF, .domain = domain};
  cache(sv[0], first);
  cache(sv[1], second);
  return first;
}

sockscope_fd_info sockscope_fd_accepted(int fd, sockscope_fd_info listener) {
  sockscope_fd_info info = {.ino = sockscope_socket_inode(fd), .type = listener.type, .domain = AF_UNIX};
  info.peer = sockscope_unix_peer_inode(info.ino);
  cache(fd, info);
  return info;
}

sockscope_fd_info sockscope_fd_connected(int fd, sockscope_fd_info info) {
  info.peer = sockscope_unix_peer_inode(info.ino);
  cache(fd, info);
  return info;
}

void sockscope_fd_forget_passed(const struct msghdr *msg) {
  if (msg == NULL || msg->msg_control == NULL || msg->msg_controllen < sizeof(struct cmsghdr)) return;
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

void sockscope_record_start(sockscope_record *r, enum sockscope_call call, int fd, uint64_t t_ns) {
  memset(r, 0, sizeof *r);
  r->call = (uint16_t)call;
  r->fd = fd;
  r->tid = sockscope_thread_id();
  r->t_ns = t_ns;
}

void sockscope_record_identify(sockscope_record *r, sockscope_fd_info info) {
  r->sock_ino = info.ino;
  r->peer_ino = info.peer;
  if (info.type == SOCK_DGRAM || info.type == SOCK_SEQPACKET) r->flags |= SOCKSCOPE_FLAG_DATAGRAM;
}

void sockscope_record_result(sockscope_record *r, long ret, int err) {
  r->dur_ns = sockscope_now_ns() - r->t_ns;
  r->ret = ret;
  r->err = ret < 0 ? err : 0;
}

uint32_t sockscope_unix_path(const struct sockaddr *addr, uint32_t len, const char **path) {
  size_t offset = offsetof(struct sockaddr_un, sun_path);
  if (addr == NULL || len <= offset || addr->sa_family != AF_UNIX) return 0;
  const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
  size_t n = len - offset;
  if (n > sizeof un->sun_path) n = sizeof un->sun_path;
  if (un->sun_path[0] != 0) n = strnlen(un->sun_path, n);
  *path = un->sun_path;
  return (uint32_t)n;
}

// The inode of the socket file a call that succeeded reached at `path` (0 for an abstract name),
// so that the merge finds the bound socket by the file, not by the path's spelling. stat follows
// symbolic links, as the kernel's unix_find_bsd does.
static uint64_t file_inode(const char *path, uint32_t path_len, long ret) {
  if (ret < 0 || path_len == 0 || path[0] == 0) return 0;
  char copy[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  memcpy(copy, path, path_len);
  copy[path_len] = 0;
  return sockscope_socket_path_inode(copy);
}

// The payload: the first `count` bytes of the iovecs (no more than they hold, nor than the log
// keeps). One iovec is read in place; several are copied into `stack` (`stack_size` bytes) or, for
// a capture limit beyond it, into `*heap`, which the caller frees.
static const void *gather(const struct msghdr *msg, size_t count, char *stack, size_t stack_size, char **heap,
                          size_t *kept) {
  *kept = 0;
  *heap = NULL;
  size_t limit = sockscope_log_capture_limit();
  if (count > limit) count = limit;
  if (msg == NULL || msg->msg_iov == NULL || msg->msg_iovlen == 0 || count == 0) return NULL;
  if (msg->msg_iovlen == 1 || msg->msg_iov[0].iov_len >= count) {
    *kept = count < msg->msg_iov[0].iov_len ? count : msg->msg_iov[0].iov_len;
    return msg->msg_iov[0].iov_base;
  }
  char *out = stack;
  if (count > stack_size) {
    out = *heap = malloc(count);
    if (out == NULL) {
      out = stack;
      count = stack_size;
    }
  }
  size_t n = 0;
  for (size_t i = 0; i < (size_t)msg->msg_iovlen && n < count; i++) {
    size_t take = msg->msg_iov[i].iov_len;
    if (take > count - n) take = count - n;
    memcpy(out + n, msg->msg_iov[i].iov_base, take);
    n += take;
  }
  *kept = n;
  return out;
}

static size_t offered(const struct msghdr *msg) {
  size_t total = 0;
  for (size_t i = 0; msg->msg_iov != NULL && i < (size_t)msg->msg_iovlen; i++) total += msg->msg_iov[i].iov_len;
  return total;
}

// Appends with the payload gathered from `msg` (`count` bytes at most) and `msg`'s control data.
static __attribute__((noinline)) int append_gathered(sockscope_record *r, const struct msghdr *msg, size_t count,
                                                     const char *path, uint32_t path_len, int with_items,
                                                     const sockscope_source *source) {
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t lost = 0;
  uint32_t n = with_items ? sockscope_control_items(msg, items, SOCKSCOPE_MAX_ITEMS, &lost) : 0;
  r->items_lost = lost;
  char stack[4096];
  char *heap;
  size_t kept;
  const void *data = gather(msg, count, stack, sizeof stack, &heap, &kept);
  int result = sockscope_log_append_full(r, path, path_len, data, (uint32_t)kept, source, items, n);
  free(heap);
  return result;
}

// The same; a payload in one buffer with no control data (send, recv: the hot path) is read in
// place, without the stack the general case needs. A message without a control buffer has no
// items to read (sockscope_control_items finds none), so a receive takes this path too.
static int append(sockscope_record *r, const struct msghdr *msg, size_t count, const char *path, uint32_t path_len,
                  int with_items, const sockscope_source *source) {
  if ((with_items && msg->msg_control != NULL) || msg->msg_iovlen != 1 || msg->msg_iov == NULL)
    return append_gathered(r, msg, count, path, path_len, with_items, source);
  if (with_items) r->items_lost = 0;
  size_t limit = sockscope_log_capture_limit();
  if (count > limit) count = limit;
  if (count > msg->msg_iov[0].iov_len) count = msg->msg_iov[0].iov_len;
  return sockscope_log_append_full(r, path, path_len, count ? msg->msg_iov[0].iov_base : NULL, (uint32_t)count,
                                   source, NULL, 0);
}

int sockscope_record_send(sockscope_record *r, sockscope_fd_info info, const struct msghdr *msg, int flags,
                          const sockscope_source *source) {
  sockscope_record_identify(r, info);
  long ret = (long)r->ret;
  r->a0 = (int64_t)offered(msg);
  r->a1 = flags;
  const char *path = NULL;
  uint32_t path_len = sockscope_unix_path(msg->msg_name, msg->msg_namelen, &path);
  if (r->call == SOCKSCOPE_CALL_SENDMSG) {
    r->a2 = (int64_t)msg->msg_iovlen;
    r->a3 = (int64_t)msg->msg_controllen;
  } else if (path_len > 0) {
    r->a3 = AF_UNIX;
  }
  r->path_ino = file_inode(path, path_len, ret);
  r->full_len = ret > 0 ? (uint64_t)ret : 0;
  return append(r, msg, ret > 0 ? (size_t)ret : 0, path, path_len, r->call == SOCKSCOPE_CALL_SENDMSG, source);
}

int sockscope_receive_flags(sockscope_fd_info info, enum sockscope_call call, int flags, int *asks_length) {
  int datagram = info.type == SOCK_DGRAM || info.type == SOCK_SEQPACKET;
  *asks_length = datagram && !(flags & MSG_TRUNC) && call != SOCKSCOPE_CALL_READ;
  return *asks_length ? flags | MSG_TRUNC : flags;
}

long sockscope_receive_result(long n, int asks_length, size_t capacity) {
  return (asks_length && n > 0 && (size_t)n > capacity) ? (long)capacity : n;
}

int sockscope_record_receive(sockscope_record *r, sockscope_fd_info info, const struct msghdr *msg, int flags,
                             long kernel_n, const sockscope_source *source) {
  sockscope_record_identify(r, info);
  long ret = (long)r->ret;
  r->a0 = (int64_t)offered(msg);
  r->a1 = flags;
  r->a2 = kernel_n >= 0 ? msg->msg_flags : 0;
  r->a3 = kernel_n >= 0 ? (int64_t)msg->msg_controllen : 0; /* the length the kernel returned */
  r->full_len = kernel_n > 0 ? (uint64_t)kernel_n : 0;
  const char *path = NULL;
  uint32_t path_len = kernel_n >= 0 ? sockscope_unix_path(msg->msg_name, msg->msg_namelen, &path) : 0;
  // The payload is what the buffer holds: with MSG_TRUNC the program's own, `ret` can exceed it.
  return append(r, msg, ret > 0 ? (size_t)ret : 0, path, path_len, kernel_n >= 0, source);
}

int sockscope_record_name(sockscope_record *r, sockscope_fd_info info, const struct sockaddr *addr, uint32_t len,
                          const sockscope_source *source) {
  sockscope_record_identify(r, info);
  r->a0 = len;
  r->a1 = AF_UNIX;
  const char *path = NULL;
  uint32_t path_len = sockscope_unix_path(addr, len, &path);
  int family_only = addr != NULL && len == sizeof(sa_family_t) && addr->sa_family == AF_UNIX;
  char chosen[sizeof(((struct sockaddr_un *)0)->sun_path)];
  if (r->ret == 0 && family_only && r->call == SOCKSCOPE_CALL_BIND) {
    // Autobind: the abstract name the kernel chose, so that the trace can follow datagrams sent
    // to it. One getsockname, made straight to the kernel so that an interposer does not see it.
    struct sockaddr_un name;
    socklen_t name_len = sizeof name;
    if (syscall(SYS_getsockname, r->fd, (struct sockaddr *)&name, &name_len) == 0) {
      const char *p = NULL;
      uint32_t n = sockscope_unix_path((const struct sockaddr *)&name, name_len, &p);
      if (n > 0 && n <= sizeof chosen) {
        memcpy(chosen, p, n);
        path = chosen;
        path_len = n;
      }
    }
  }
  r->path_ino = r->ret == 0 ? file_inode(path, path_len, 0) : 0;
  return sockscope_log_append_full(r, path_len > 0 ? path : "", path_len, NULL, 0, source, NULL, 0);
}

int sockscope_record_accept(sockscope_record *r, sockscope_fd_info listener, const struct sockaddr *addr,
                            uint32_t addr_len, int flags, const sockscope_source *source) {
  sockscope_record_identify(r, listener);
  r->a0 = flags;
  const char *path = NULL;
  uint32_t path_len = 0;
  if (r->ret >= 0) {
    sockscope_fd_info info = sockscope_fd_accepted((int)r->ret, listener);
    r->a1 = (int64_t)info.ino;
    r->a2 = (int64_t)info.peer;
    r->a3 = AF_UNIX;
    path_len = sockscope_unix_path(addr, addr_len, &path);
  }
  return sockscope_log_append_full(r, path, path_len, NULL, 0, source, NULL, 0);
}

// The calls whose records are fixed fields (no payload): written here once, so that the two
// recorders cannot fill them differently.

int sockscope_record_socket(sockscope_record *r, int domain, int type, int protocol,
                            const sockscope_source *source) {
  if (r->ret >= 0) {
    sockscope_record_identify(r, sockscope_fd_created((int)r->ret, domain, type));
    r->fd = (int32_t)r->ret;
  }
  r->a0 = domain;
  r->a1 = type;
  r->a2 = protocol;
  return sockscope_log_append_full(r, NULL, 0, NULL, 0, source, NULL, 0);
}

int sockscope_record_socketpair(sockscope_record *r, const int sv[2], int domain, int type, int protocol,
                                const sockscope_source *source) {
  if (r->ret == 0) {
    sockscope_fd_info first = sockscope_fd_created_pair(sv, domain, type);
    r->fd = sv[0];
    r->a3 = sv[1];
    r->sock_ino = first.ino;
    r->peer_ino = first.peer;
  }
  r->a0 = domain;
  r->a1 = type;
  r->a2 = protocol;
  return sockscope_log_append_full(r, NULL, 0, NULL, 0, source, NULL, 0);
}

int sockscope_record_on_socket(sockscope_record *r, sockscope_fd_info info, int64_t arg,
                               const sockscope_source *source) {
  sockscope_record_identify(r, info);
  r->a0 = arg;
  return sockscope_log_append_full(r, NULL, 0, NULL, 0, source, NULL, 0);
}

int sockscope_record_sockname(sockscope_record *r, sockscope_fd_info info, const struct sockaddr *addr,
                              uint32_t len, const sockscope_source *source) {
  sockscope_record_identify(r, info);
  r->a0 = AF_UNIX;
  const char *path = NULL;
  uint32_t path_len = r->ret == 0 ? sockscope_unix_path(addr, len, &path) : 0;
  return sockscope_log_append_full(r, path, path_len, NULL, 0, source, NULL, 0);
}

// One int's worth of option value, or 0 when `value` is not one int.
static int int_value(const void *value, uint32_t length, int64_t *out) {
  if (value == NULL || length != sizeof(int)) return 0;
  int v;
  memcpy(&v, value, sizeof v);
  *out = v;
  return 1;
}

int sockscope_record_setsockopt(sockscope_record *r, sockscope_fd_info info, int level, int option,
                                const void *value, uint32_t length, const sockscope_source *source) {
  sockscope_record_identify(r, info);
  r->a0 = level;
  r->a1 = option;
  // Read only when the kernel accepted it (and so read it): a failed call's pointer may be bad
  // (EFAULT), and reading it here would crash a program that runs fine unrecorded.
  if (r->ret == 0) (void)int_value(value, length, &r->a2);
  r->a3 = length;
  return sockscope_log_append_full(r, NULL, 0, NULL, 0, source, NULL, 0);
}

int sockscope_record_getsockopt(sockscope_record *r, sockscope_fd_info info, int level, int option,
                                const void *value, uint32_t got, const sockscope_source *source) {
  sockscope_record_identify(r, info);
  r->a0 = level;
  r->a1 = option;
  if (r->ret != 0) got = 0;
  r->a3 = got;
  sockscope_item item;
  uint32_t count = 0;
  if (value != NULL && level == SOL_SOCKET && option == SO_PEERCRED && got >= sizeof(struct ucred)) {
    struct ucred cred;
    memcpy(&cred, value, sizeof cred);
    item = (sockscope_item){SOCKSCOPE_ITEM_CREDS, cred.pid, cred.uid, cred.gid};
    count = 1;
  } else {
    (void)int_value(value, got, &r->a2);
  }
  return sockscope_log_append_full(r, NULL, 0, NULL, 0, source, &item, count);
}
