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

// send, sendto and write on a socket: one iovec, recorded as sendmsg is (sockscope_record_send).
static void record_send(enum sockscope_call call, int fd, sockscope_fd_info info, const void *buf, size_t len,
                        int flags, const struct sockaddr *addr, socklen_t addr_len, ssize_t ret, int err,
                        uint64_t t0) {
  sockscope_record r;
  sockscope_record_start(&r, call, fd, t0);
  sockscope_record_result(&r, ret, err);
  struct iovec iov = {(void *)buf, len};
  struct msghdr msg = {.msg_name = (void *)addr, .msg_namelen = addr_len, .msg_iov = &iov, .msg_iovlen = 1};
  sockscope_source source;
  sockscope_record_send(&r, info, &msg, flags, sockscope_site(&r, &source));
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
  sockscope_record_start(&r, SOCKSCOPE_CALL_SENDMSG, fd, t0);
  sockscope_record_result(&r, ret, err);
  sockscope_source source;
  sockscope_record_send(&r, info, msg, flags, sockscope_site(&r, &source));
  t_busy = 0;
  errno = err;
  return ret;
}

// recv, recvfrom and read on a socket. On a datagram socket MSG_TRUNC is added so the kernel says
// the datagram's real size; the program gets min(size, its buffer), as without the flag.
static ssize_t receive(enum sockscope_call call, int fd, sockscope_fd_info info, void *buf, size_t len, int flags,
                       struct sockaddr *addr, socklen_t *addr_len,
                       ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *)) {
  int asks_length;
  int kernel_flags = sockscope_receive_flags(info, call, flags, &asks_length);
  sockscope_record r;
  start(&r, call, fd);
  ssize_t n = real(fd, buf, len, kernel_flags, addr, addr_len);
  int err = errno;
  ssize_t ret = sockscope_receive_result(n, asks_length, len);
  t_busy = 1;
  sockscope_record_result(&r, ret, err);
  struct iovec iov = {buf, len};
  struct msghdr msg = {.msg_name = addr, .msg_namelen = addr_len != NULL ? *addr_len : 0, .msg_iov = &iov,
                       .msg_iovlen = 1};
  sockscope_source source;
  sockscope_record_receive(&r, info, &msg, flags, n, sockscope_site(&r, &source));
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

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  ENTER();
  REAL(recvmsg);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_recvmsg(fd, msg, flags);
  size_t total = 0;
  for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) total += msg->msg_iov[i].iov_len;
  int asks_length;
  int kernel_flags = sockscope_receive_flags(info, SOCKSCOPE_CALL_RECVMSG, flags, &asks_length);
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_RECVMSG, fd);
  ssize_t n = real_recvmsg(fd, msg, kernel_flags);
  int err = errno;
  ssize_t ret = sockscope_receive_result(n, asks_length, total);
  t_busy = 1;
  // Descriptors received with SCM_RIGHTS take numbers this interposer did not see being freed.
  if (n >= 0) sockscope_fd_forget_passed(msg);
  sockscope_record_result(&r, ret, err);
  sockscope_source source;
  sockscope_record_receive(&r, info, msg, flags, n, sockscope_site(&r, &source));
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
