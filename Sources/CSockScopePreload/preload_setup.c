// Hooks that create, name, connect and end sockets: socket, socketpair, bind, connect, listen,
// accept, accept4, shutdown, getsockopt.
#define _GNU_SOURCE
#include "preload_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
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
  if (fd >= 0) {
    identify(&r, sockscope_fd_created(fd, domain, type));
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
  ENTER();
  REAL(socketpair);
  if (!recording() || domain != AF_UNIX || !ensure_log()) return real_socketpair(domain, type, protocol, sv);
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SOCKETPAIR, -1);
  int ret = real_socketpair(domain, type, protocol, sv);
  int err = errno;
  if (ret == 0) {
    sockscope_fd_info first = sockscope_fd_created_pair(sv, domain, type);
    r.fd = sv[0];
    r.a3 = sv[1];
    r.sock_ino = first.ino;
    r.peer_ino = first.peer;
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
  identify(&r, info);
  r.a0 = how;
  commit(&r, ret, err, NULL, 0, NULL, 0);
  t_busy = 0;
  errno = err;
  return ret;
}

// getsockopt on a socket: a0 level, a1 option, a2 the value when it is one int, a3 the length
// returned; SO_PEERCRED's answer as a credentials item.
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
  identify(&r, info);
  r.a0 = level;
  r.a1 = option;
  socklen_t got = ret == 0 && length != NULL ? *length : 0;
  r.a3 = got;
  sockscope_item item;
  uint32_t count = 0;
  if (ret == 0 && value != NULL && level == SOL_SOCKET && option == SO_PEERCRED && got >= sizeof(struct ucred)) {
    struct ucred cred;
    memcpy(&cred, value, sizeof cred);
    item = (sockscope_item){SOCKSCOPE_ITEM_CREDS, cred.pid, cred.uid, cred.gid};
    count = 1;
  } else if (ret == 0 && value != NULL && got == sizeof(int)) {
    int v;
    memcpy(&v, value, sizeof v);
    r.a2 = v;
  }
  sockscope_commit_items(&r, ret, err, NULL, 0, NULL, 0, &item, count);
  t_busy = 0;
  errno = err;
  return ret;
}
