// Hooks that move data: send, sendto, sendmsg, write, recv, recvfrom, recvmsg, read. The program's
// return values, errno and data are never changed: the only difference the kernel sees is
// MSG_TRUNC added to receives on datagram sockets, to learn a datagram's real size (the program
// still gets what it asked for).
#define _GNU_SOURCE
#include "preload_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

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
  ENTER();
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
  ENTER();
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
  ENTER();
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
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t lost;
  uint32_t count = sockscope_control_items(msg, items, SOCKSCOPE_MAX_ITEMS, &lost);
  r.items_lost = lost;
  sockscope_commit_items(&r, ret, err, path, path_len, data, n, items, count);
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
  ENTER();
  if (!real_recvfrom_p) real_recvfrom_p = (__typeof__(real_recvfrom_p))dlsym(RTLD_NEXT, "recvfrom");
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log())
    return real_recvfrom_p(fd, buf, len, flags, addr, addr_len);
  return receive(SOCKSCOPE_CALL_RECVFROM, fd, info, buf, len, flags, addr, addr_len, recvfrom_adapter);
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
  ENTER();
  if (!real_recvfrom_p) real_recvfrom_p = (__typeof__(real_recvfrom_p))dlsym(RTLD_NEXT, "recvfrom");
  REAL(recv);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_recv(fd, buf, len, flags);
  return receive(SOCKSCOPE_CALL_RECV, fd, info, buf, len, flags, NULL, NULL, recvfrom_adapter);
}

ssize_t read(int fd, void *buf, size_t len) {
  ENTER();
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
  ENTER();
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
  // The descriptors the kernel installed in this process, with what they refer to.
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t lost = 0;
  uint32_t count = n >= 0 ? sockscope_control_items(msg, items, SOCKSCOPE_MAX_ITEMS, &lost) : 0;
  r.items_lost = lost;
  sockscope_commit_items(&r, ret, err, path, path_len, data, kept, items, count);
  t_busy = 0;
  errno = err;
  return ret;
}

ssize_t write(int fd, const void *buf, size_t len) {
  ENTER();
  REAL(write);
  if (!t_busy && !sockscope_log_is_open() && (fd == 1 || fd == 2) &&
      sockscope_log_pending()) {
    uint64_t t0 = sockscope_now_ns();
    ssize_t ret = real_write(fd, buf, len);
    int err = errno;
    if (ret > 0) sockscope_keep_early_output(fd, t0, buf, (size_t)ret);
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
