// Hooks that create, name, connect, inspect and end sockets: socket, socketpair, bind, connect,
// listen, accept, accept4, shutdown, getsockopt, setsockopt, getsockname, getpeername.
#define _GNU_SOURCE
#include "preload_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

int socket(int domain, int type, int protocol) {
  ENTER();
  REAL(socket);
  if (!recording() || domain != AF_UNIX || !ensure_log()) return real_socket(domain, type, protocol);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SOCKET, -1);
  int fd = real_socket(domain, type, protocol);
  int err = errno;
  sockscope_source source;
  sockscope_record_socket(&r, domain, type, protocol, sockscope_settle(&r, fd, err, &source));
  t_busy = 0;
  errno = err;
  return fd;
}

int socketpair(int domain, int type, int protocol, int sv[2]) {
  ENTER();
  REAL(socketpair);
  if (!recording() || domain != AF_UNIX || !ensure_log()) return real_socketpair(domain, type, protocol, sv);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SOCKETPAIR, -1);
  int ret = real_socketpair(domain, type, protocol, sv);
  int err = errno;
  sockscope_source source;
  sockscope_record_socketpair(&r, sv, domain, type, protocol, sockscope_settle(&r, ret, err, &source));
  t_busy = 0;
  errno = err;
  return ret;
}

// bind and connect: the same record, with the socket file's inode once it exists.
static int name_call(enum sockscope_call call, int fd, const struct sockaddr *addr, socklen_t len,
                     int (*real)(int, const struct sockaddr *, socklen_t)) {
  const char *path = NULL;
  uint32_t path_len = sockscope_unix_path(addr, len, &path);
  // An AF_UNIX address with no name at all (addrlen 2, the family alone) is a bind that asks the
  // kernel to choose an abstract name (autobind): recorded too, with no address bytes.
  int family_only = addr != NULL && len == sizeof(sa_family_t) && addr->sa_family == AF_UNIX;
  if (!recording() || (path_len == 0 && !family_only) || !ensure_log()) return real(fd, addr, len);
  t_busy = 1;
  sockscope_record r;
  start(&r, call, fd);
  int ret = real(fd, addr, len);
  int err = errno;
  sockscope_fd_info info = describe(fd, CONFIRM_ALL);
  if (ret == 0 && call == SOCKSCOPE_CALL_CONNECT) info = sockscope_fd_connected(fd, info);
  sockscope_record_result(&r, ret, err);
  sockscope_source source;
  sockscope_record_name(&r, info, addr, len, sockscope_site(&r, &source));
  t_busy = 0;
  errno = err;
  return ret;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  ENTER();
  REAL(bind);
  return name_call(SOCKSCOPE_CALL_BIND, fd, addr, len, real_bind);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  ENTER();
  REAL(connect);
  return name_call(SOCKSCOPE_CALL_CONNECT, fd, addr, len, real_connect);
}

int listen(int fd, int backlog) {
  ENTER();
  REAL(listen);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_listen(fd, backlog);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_LISTEN, fd);
  int ret = real_listen(fd, backlog);
  int err = errno;
  sockscope_source source;
  sockscope_record_on_socket(&r, info, backlog, sockscope_settle(&r, ret, err, &source));
  t_busy = 0;
  errno = err;
  return ret;
}

static int accept_call(enum sockscope_call call, int fd, sockscope_fd_info listener, struct sockaddr *addr,
                       socklen_t *len, int flags, int ret, int err, uint64_t t0) {
  sockscope_record r;
  sockscope_record_start(&r, call, fd, t0);
  sockscope_record_result(&r, ret, err);
  sockscope_source source;
  uint32_t addr_len = addr != NULL && len != NULL ? *len : 0;
  sockscope_record_accept(&r, listener, addr, addr_len, flags, sockscope_site(&r, &source));
  return ret;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  ENTER();
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
  ENTER();
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

int shutdown(int fd, int how) {
  ENTER();
  REAL(shutdown);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real_shutdown(fd, how);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SHUTDOWN, fd);
  int ret = real_shutdown(fd, how);
  int err = errno;
  sockscope_source source;
  sockscope_record_on_socket(&r, info, how, sockscope_settle(&r, ret, err, &source));
  t_busy = 0;
  errno = err;
  return ret;
}

// getsockopt on a socket: a0 level, a1 option, a2 the value when it is one int, a3 the length
// returned; SO_PEERCRED's answer as a credentials item (sockscope_record_getsockopt).
int getsockopt(int fd, int level, int option, void *value, socklen_t *length) {
  ENTER();
  REAL(getsockopt);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log())
    return real_getsockopt(fd, level, option, value, length);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_GETSOCKOPT, fd);
  int ret = real_getsockopt(fd, level, option, value, length);
  int err = errno;
  socklen_t got = ret == 0 && length != NULL ? *length : 0;
  sockscope_source source;
  sockscope_record_getsockopt(&r, info, level, option, value, got, sockscope_settle(&r, ret, err, &source));
  t_busy = 0;
  errno = err;
  return ret;
}

// setsockopt on a socket: a0 level, a1 option, a2 the value when it is one int, a3 the length
// given (sockscope_record_setsockopt). What SO_SNDBUF a program sets limits its stream sends.
int setsockopt(int fd, int level, int option, const void *value, socklen_t length) {
  ENTER();
  REAL(setsockopt);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log())
    return real_setsockopt(fd, level, option, value, length);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SETSOCKOPT, fd);
  int ret = real_setsockopt(fd, level, option, value, length);
  int err = errno;
  sockscope_source source;
  sockscope_record_setsockopt(&r, info, level, option, value, length, sockscope_settle(&r, ret, err, &source));
  t_busy = 0;
  errno = err;
  return ret;
}

// getsockname and getpeername on a socket: a0 AF_UNIX and the name returned
// (sockscope_record_sockname).
static int name_query(enum sockscope_call call, int fd, struct sockaddr *addr, socklen_t *len,
                      int (*real)(int, struct sockaddr *, socklen_t *)) {
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, CONFIRM_ALL) || !ensure_log()) return real(fd, addr, len);
  t_busy = 1;
  sockscope_record r;
  start(&r, call, fd);
  // The program's length is read without touching it: a bad pointer must give the program
  // EFAULT from the kernel, as unrecorded, not a crash here. When it cannot be read, no name is
  // recorded (say less).
  socklen_t capacity = 0;
  if (len != NULL) {
    int saved = errno;
    struct iovec local = {&capacity, sizeof capacity}, remote = {len, sizeof capacity};
    if (syscall(SYS_process_vm_readv, getpid(), &local, 1UL, &remote, 1UL, 0UL) != (long)sizeof capacity)
      capacity = 0;
    errno = saved;
  }
  int ret = real(fd, addr, len);
  int err = errno;
  // The kernel returns the name's full length even when it did not fit: only what fit is read.
  uint32_t got = ret == 0 && len != NULL ? (*len < capacity ? *len : capacity) : 0;
  sockscope_source source;
  sockscope_record_sockname(&r, info, addr, got, sockscope_settle(&r, ret, err, &source));
  t_busy = 0;
  errno = err;
  return ret;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
  ENTER();
  REAL(getsockname);
  return name_query(SOCKSCOPE_CALL_GETSOCKNAME, fd, addr, len, real_getsockname);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len) {
  ENTER();
  REAL(getpeername);
  return name_query(SOCKSCOPE_CALL_GETPEERNAME, fd, addr, len, real_getpeername);
}
