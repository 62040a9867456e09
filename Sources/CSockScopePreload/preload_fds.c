// Hooks on descriptors: close, unlink, dup, dup2, dup3, fcntl (F_DUPFD), close_range, closefrom,
// fclose, fork, _exit. They keep the descriptor cache true and record what concerns a socket.
#define _GNU_SOURCE
#include "preload_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int close(int fd) {
  ENTER();
  REAL(close);
  sockscope_forget_watches(fd);
  if (!recording()) {
    sockscope_fd_forget(fd);
    return real_close(fd);
  }
  sockscope_fd_info info = describe(fd, CONFIRM_ALL);
  // A vfork child (a program's own vfork, before its exec) shares its parent's memory and log:
  // its close would be written as the parent's, which still holds the socket.
  int relevant = info.type > 0 && sockscope_own_process() && ensure_log();
  t_busy = 1;
  sockscope_fd_forget(fd);
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_CLOSE, fd);
  int ret = real_close(fd);
  int err = errno;
  if (relevant) {
    sockscope_source source;
    sockscope_record_on_socket(&r, info, 0, sockscope_settle(&r, ret, err, &source));
  }
  t_busy = 0;
  errno = err;
  return ret;
}

int unlink(const char *path) {
  ENTER();
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

// Records dup, dup2, dup3 and fcntl(F_DUPFD*) when `old` is an AF_UNIX socket: `fd` the old
// descriptor, `ret` the new one (which the cache then knows as the same socket); a0 the number
// asked for (dup2, dup3) or the command (fcntl), a1 the flags (dup3) or the lowest number (fcntl).
static void record_dup(enum sockscope_call call, int old, int64_t a0, int64_t a1, int ret, int err, uint64_t t0) {
  sockscope_fd_info info;
  // A vfork child (posix_spawn's file actions, a program's own vfork before its exec) shares its
  // parent's memory and log: its dup2 would be written as the parent's.
  if (!recording() || !unix_socket(ret >= 0 ? ret : old, &info, CONFIRM_ALL) || !sockscope_own_process() ||
      !ensure_log())
    return;
  t_busy = 1;
  sockscope_record r;
  start(&r, call, old);
  r.t_ns = t0;
  identify(&r, info);
  r.a0 = a0;
  r.a1 = a1;
  commit(&r, ret, err, NULL, 0, NULL, 0);
  t_busy = 0;
}

// A descriptor made or closed by these calls is no longer what the cache says. (describe confirms
// every socket entry anyway; forgetting here keeps "not a socket" entries true for read and write.)
// errno is left as the real call set it: forgetting touches only the cache.
int dup(int old) {
  ENTER();
  REAL(dup);
  uint64_t t0 = sockscope_now_ns();
  int ret = real_dup(old);
  int err = errno;
  if (ret >= 0) sockscope_fd_forget(ret);
  record_dup(SOCKSCOPE_CALL_DUP, old, 0, 0, ret, err, t0);
  errno = err;
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
  if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) return (*slot)(fd, cmd, arg);
  uint64_t t0 = sockscope_now_ns();
  int ret = (*slot)(fd, cmd, arg);
  int err = errno;
  if (ret >= 0) sockscope_fd_forget(ret);
  record_dup(SOCKSCOPE_CALL_FCNTL, fd, cmd, (int64_t)(intptr_t)arg, ret, err, t0);
  errno = err;
  return ret;
}

int fcntl(int fd, int cmd, ...) {
  ENTER();
  va_list ap;
  va_start(ap, cmd);
  int ret = forward_fcntl("fcntl", fd, cmd, ap);
  va_end(ap);
  return ret;
}

int fcntl64(int fd, int cmd, ...) {
  ENTER();
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
  ENTER();
  REAL(dup2);
  uint64_t t0 = sockscope_now_ns();
  int ret = real_dup2(old, new);
  int err = errno;
  if (ret >= 0 && ret != old) sockscope_fd_forget(new);
  record_dup(SOCKSCOPE_CALL_DUP2, old, new, 0, ret, err, t0);
  errno = err;
  return ret;
}

int dup3(int old, int new, int flags) {
  ENTER();
  REAL(dup3);
  uint64_t t0 = sockscope_now_ns();
  int ret = real_dup3(old, new, flags);
  int err = errno;
  if (ret >= 0) sockscope_fd_forget(new);
  record_dup(SOCKSCOPE_CALL_DUP3, old, new, flags, ret, err, t0);
  errno = err;
  return ret;
}

// fork in the parent, once the process has a log: ret is the child's pid. (The child reopens a
// log of its own in the writer's atfork handler.)
pid_t fork(void) {
  ENTER();
  REAL(fork);
  if (!recording() || !sockscope_log_is_open()) return real_fork();
  uint64_t t0 = sockscope_now_ns();
  pid_t ret = real_fork();
  int err = errno;
  if (ret != 0) {
    t_busy = 1;
    sockscope_record r;
    start(&r, SOCKSCOPE_CALL_FORK, -1);
    r.t_ns = t0;
    commit(&r, ret, err, NULL, 0, NULL, 0);
    t_busy = 0;
  }
  errno = err;
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
