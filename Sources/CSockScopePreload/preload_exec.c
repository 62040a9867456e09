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
// subprocess) shares its parent's memory and log until its exec, and must not write there. What
// such a child's new program holds is recorded when that program starts (preload_start.c).
#define _GNU_SOURCE
#include "preload_internal.h"

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

// Records the exec about to be made; returns its sequence number + 1 (0 when not recorded). A
// process whose log is not open yet (no socket call so far) opens it here when it holds AF_UNIX
// sockets other than those the recording began with: the exec hands them to the new program. A vfork child never does (its memory, and the
// log's state in it, are its parent's).
static uint64_t record_exec(enum exec_variant variant, const char *path, int fd, int flags) {
  if (!recording() || !sockscope_own_process()) return 0;
  if (sockscope_log_is_open() && !sockscope_log_owned()) return 0;
  int saved = errno;
  t_busy = 1;
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t lost = 0;
  int count = sockscope_held_sockets(SOCKSCOPE_ITEM_EXEC_FD, items, SOCKSCOPE_MAX_ITEMS, &lost);
  uint64_t token = 0;
  if (sockscope_log_is_open() || (count >= 0 && sockscope_holds_inside_socket(items, count, lost) && ensure_log())) {
    sockscope_record r;
    start(&r, SOCKSCOPE_CALL_EXECVE, -1);
    r.flags |= SOCKSCOPE_FLAG_SETTLED_LATER; // room for the outcome, put in by settle()
    r.a0 = variant;
    r.a1 = fd;
    r.a2 = flags;
    r.items_lost = lost;
    uint32_t path_len = path != NULL ? (uint32_t)strnlen(path, 4096) : 0;
    // Written as having succeeded, untimed (an exec that succeeds never returns to be timed); a
    // failure is settled in place by settle().
    r.ret = 0;
    r.err = 0;
    r.dur_ns = 0;
    sockscope_source source;
    sockscope_log_append_full(&r, path, path_len, NULL, 0, sockscope_site(&r, &source), items,
                              count > 0 ? (uint32_t)count : 0);
    // Stored only when the append filled in the size.
    token = r.size != 0 ? r.seq + 1 : 0;
  }
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
  int saved_errno = errno; /* main finds errno as unrecorded (see sockscope_preload_start) */
  real_execve = (__typeof__(&execve))dlsym(RTLD_NEXT, "execve");
  real_execv = (__typeof__(&execv))dlsym(RTLD_NEXT, "execv");
  real_execvp = (__typeof__(&execvp))dlsym(RTLD_NEXT, "execvp");
  real_execvpe = (__typeof__(&execvpe))dlsym(RTLD_NEXT, "execvpe");
  real_fexecve = (__typeof__(&fexecve))dlsym(RTLD_NEXT, "fexecve");
  real_execveat = (__typeof__(&execveat))dlsym(RTLD_NEXT, "execveat");
  errno = saved_errno;
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
// and passed to the vector form glibc's own execl uses. The va_list goes to the helpers by
// address, so that execle can read the environment after the NULL.
static size_t count_args(va_list *ap) {
  size_t count = 1;
  while (va_arg(*ap, char *) != NULL) count++;
  return count;
}

static void gather_args(char **argv, const char *arg, va_list *ap) {
  argv[0] = (char *)arg;
  for (size_t i = 1; (argv[i] = va_arg(*ap, char *)) != NULL; i++) {
  }
}

// Declares `argv`, filled from `arg` and the arguments after it; `ap` is left just past the NULL.
#define LIST_ARGV(arg, argv, ap) \
  va_list ap; \
  va_start(ap, arg); \
  char *argv[count_args(&ap) + 1]; \
  va_end(ap); \
  va_start(ap, arg); \
  gather_args(argv, arg, &ap)

int execl(const char *path, const char *arg, ...) {
  ENTER();
  REAL_EXEC(execv);
  LIST_ARGV(arg, argv, ap);
  va_end(ap);
  EXEC_BODY(EXEC_EXECL, path, -1, 0, real_execv(path, argv));
}

int execlp(const char *file, const char *arg, ...) {
  ENTER();
  REAL_EXEC(execvp);
  LIST_ARGV(arg, argv, ap);
  va_end(ap);
  EXEC_BODY(EXEC_EXECLP, file, -1, 0, real_execvp(file, argv));
}

int execle(const char *path, const char *arg, ...) {
  ENTER();
  REAL_EXEC(execve);
  LIST_ARGV(arg, argv, ap);
  char *const *envp = va_arg(ap, char *const *);
  va_end(ap);
  EXEC_BODY(EXEC_EXECLE, path, -1, 0, real_execve(path, argv, envp));
}
