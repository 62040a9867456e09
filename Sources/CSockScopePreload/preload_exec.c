// Hooks on exec: execve, execv, execvp, execvpe, execl, execlp, execle, fexecve, execveat. glibc's
// exec functions call its internal __execve, not execve through the PLT, so each is hooked itself.
//
// An exec that succeeds does not return, so the call is recorded BEFORE it runs, as having
// succeeded (duration 0), and settled in place (sockscope_log_settle) when it returns an error.
// The record lists every AF_UNIX socket descriptor the process holds at that moment, each with its
// inode and whether it is close-on-exec: that is read from the kernel (F_GETFD) when the exec is
// made, so it is exact however the flag was set or cleared (SOCK_CLOEXEC, accept4, F_DUPFD_CLOEXEC,
// dup3, MSG_CMSG_CLOEXEC, fcntl(F_SETFD), ioctl(FIOCLEX/FIONCLEX) as Python's os.set_inheritable
// uses). The new program loads this interposer again (LD_PRELOAD is kept) and writes a log of its
// own, `<pid>-<start>.sslog` with a new start: the earlier image's log is never overwritten.
//
// Recorded only by the process that opened the log: a vfork child (posix_spawn, Python's
// subprocess) shares its parent's memory and log until its exec, and must not write there.
#define _GNU_SOURCE
#include "preload_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/// Which exec function the program called (`a0` of the record).
enum exec_variant {
  EXEC_EXECVE = 1,
  EXEC_EXECV = 2,
  EXEC_EXECVP = 3,
  EXEC_EXECVPE = 4,
  EXEC_EXECL = 5,
  EXEC_EXECLP = 6,
  EXEC_EXECLE = 7,
  EXEC_FEXECVE = 8,
  EXEC_EXECVEAT = 9,
};

// The AF_UNIX socket descriptors open now, from /proc/self/fd (read with raw system calls and a
// buffer on the stack: after fork in a threaded program only async-signal-safe calls are safe).
static uint32_t socket_descriptors(sockscope_item *items, uint32_t cap, uint32_t *lost) {
  int dir = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  uint32_t count = 0;
  char buf[4096];
  long n;
  while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
    for (long at = 0; at < n;) {
      struct dirent64 *d = (struct dirent64 *)(buf + at);
      at += d->d_reclen;
      if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
      int fd = 0;
      for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++) fd = fd * 10 + (*c - '0');
      if (fd == dir) continue;
      sockscope_fd_info info;
      if (!unix_socket(fd, &info, CONFIRM_ALL)) continue;
      long flags = syscall(SYS_fcntl, fd, F_GETFD);
      if (flags < 0) continue;
      if (count < cap)
        items[count++] = (sockscope_item){SOCKSCOPE_ITEM_EXEC_FD, fd, (int64_t)info.ino, (flags & FD_CLOEXEC) ? 1 : 0};
      else
        (*lost)++;
    }
  }
  syscall(SYS_close, dir);
  return count;
}

// Records the exec about to be made; returns its sequence number + 1 (0 when not recorded).
static uint64_t record_exec(enum exec_variant variant, const char *path, int fd, int flags) {
  if (!recording() || !sockscope_log_is_open() || !sockscope_log_owned()) return 0;
  int saved = errno;
  t_busy = 1;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_EXECVE, -1);
  r.flags |= SOCKSCOPE_FLAG_SETTLED_LATER; // room for the outcome, put in by settle()
  r.a0 = variant;
  r.a1 = fd;
  r.a2 = flags;
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t lost = 0;
  uint32_t count = socket_descriptors(items, SOCKSCOPE_MAX_ITEMS, &lost);
  r.items_lost = lost;
  uint32_t path_len = path != NULL ? (uint32_t)strnlen(path, 4096) : 0;
  // Written as having succeeded, untimed (an exec that succeeds never returns to be timed); a
  // failure is settled in place by settle().
  r.ret = 0;
  r.err = 0;
  r.dur_ns = 0;
  sockscope_source source;
  sockscope_log_append_full(&r, path, path_len, NULL, 0, sockscope_site(&r, &source), items, count);
  // Stored only when the append filled in the size.
  uint64_t token = r.size != 0 ? r.seq + 1 : 0;
  t_busy = 0;
  errno = saved;
  return token;
}

// The exec returned: it failed. Its record gets the error and the time it took.
static void settle(uint64_t token, uint64_t t0, int ret, int err) {
  if (token == 0) return;
  t_busy = 1;
  (void)sockscope_log_settle(token - 1, SOCKSCOPE_CALL_EXECVE, ret, err, sockscope_now_ns() - t0);
  t_busy = 0;
  errno = err;
}

// The real functions, found when the interposer loads: a vfork child (posix_spawn, Python's
// subprocess) calls exec while its parent is suspended, and must not be the first to call dlsym,
// which takes the loader's locks.
static __typeof__(&execve) real_execve;
static __typeof__(&execv) real_execv;
static __typeof__(&execvp) real_execvp;
static __typeof__(&execvpe) real_execvpe;
static __typeof__(&fexecve) real_fexecve;
static __typeof__(&execveat) real_execveat;

__attribute__((constructor)) static void find_real_exec(void) {
  real_execve = (__typeof__(&execve))dlsym(RTLD_NEXT, "execve");
  real_execv = (__typeof__(&execv))dlsym(RTLD_NEXT, "execv");
  real_execvp = (__typeof__(&execvp))dlsym(RTLD_NEXT, "execvp");
  real_execvpe = (__typeof__(&execvpe))dlsym(RTLD_NEXT, "execvpe");
  real_fexecve = (__typeof__(&fexecve))dlsym(RTLD_NEXT, "fexecve");
  real_execveat = (__typeof__(&execveat))dlsym(RTLD_NEXT, "execveat");
}

// Should a call come before the constructor ran (another library's constructor), it is found then.
#define REAL_EXEC(name) \
  if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

#define EXEC_BODY(variant, path, fd, flags, call) \
  uint64_t t0 = sockscope_now_ns(); \
  uint64_t token = record_exec(variant, path, fd, flags); \
  int ret = call; \
  settle(token, t0, ret, errno); \
  return ret

int execve(const char *path, char *const argv[], char *const envp[]) {
  ENTER();
  REAL_EXEC(execve);
  EXEC_BODY(EXEC_EXECVE, path, -1, 0, real_execve(path, argv, envp));
}

int execv(const char *path, char *const argv[]) {
  ENTER();
  REAL_EXEC(execv);
  EXEC_BODY(EXEC_EXECV, path, -1, 0, real_execv(path, argv));
}

int execvp(const char *file, char *const argv[]) {
  ENTER();
  REAL_EXEC(execvp);
  EXEC_BODY(EXEC_EXECVP, file, -1, 0, real_execvp(file, argv));
}

int execvpe(const char *file, char *const argv[], char *const envp[]) {
  ENTER();
  REAL_EXEC(execvpe);
  EXEC_BODY(EXEC_EXECVPE, file, -1, 0, real_execvpe(file, argv, envp));
}

int fexecve(int fd, char *const argv[], char *const envp[]) {
  ENTER();
  REAL_EXEC(fexecve);
  EXEC_BODY(EXEC_FEXECVE, NULL, fd, 0, real_fexecve(fd, argv, envp));
}

int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags) {
  ENTER();
  REAL_EXEC(execveat);
  EXEC_BODY(EXEC_EXECVEAT, path, dirfd, flags, real_execveat(dirfd, path, argv, envp, flags));
}

// The list forms: the arguments up to the terminating NULL, gathered into an array on the stack
// and passed to the vector form glibc's own execl uses.
#define COUNT_ARGS(first, count) \
  do { \
    va_list cp; \
    va_start(cp, first); \
    for (count = 1; va_arg(cp, char *) != NULL; count++) { \
    } \
    va_end(cp); \
  } while (0)

int execl(const char *path, const char *arg, ...) {
  ENTER();
  REAL_EXEC(execv);
  size_t count;
  COUNT_ARGS(arg, count);
  char *argv[count + 1];
  va_list ap;
  va_start(ap, arg);
  argv[0] = (char *)arg;
  for (size_t i = 1; i <= count; i++) argv[i] = va_arg(ap, char *);
  va_end(ap);
  EXEC_BODY(EXEC_EXECL, path, -1, 0, real_execv(path, argv));
}

int execlp(const char *file, const char *arg, ...) {
  ENTER();
  REAL_EXEC(execvp);
  size_t count;
  COUNT_ARGS(arg, count);
  char *argv[count + 1];
  va_list ap;
  va_start(ap, arg);
  argv[0] = (char *)arg;
  for (size_t i = 1; i <= count; i++) argv[i] = va_arg(ap, char *);
  va_end(ap);
  EXEC_BODY(EXEC_EXECLP, file, -1, 0, real_execvp(file, argv));
}

int execle(const char *path, const char *arg, ...) {
  ENTER();
  REAL_EXEC(execve);
  size_t count;
  COUNT_ARGS(arg, count);
  char *argv[count + 1];
  va_list ap;
  va_start(ap, arg);
  argv[0] = (char *)arg;
  for (size_t i = 1; i <= count; i++) argv[i] = va_arg(ap, char *);
  char *const *envp = va_arg(ap, char *const *);
  va_end(ap);
  EXEC_BODY(EXEC_EXECLE, path, -1, 0, real_execve(path, argv, envp));
}
