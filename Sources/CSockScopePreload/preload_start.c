// The start of a program: when the interposer loads into a new process image (its constructor),
// the AF_UNIX socket descriptors the program already holds. However the program was started —
// an exec the hooks recorded, an exec in a vfork child (posix_spawn, Python's subprocess, where
// the hook cannot record), an exec made before the old program's first socket call — the new
// program's first record then lists every socket it got: fd, inode, close-on-exec flag, type.
// With no socket held, nothing is written and no log is opened (as before); nor with only the
// sockets the recording began with (below).
//
// Also here: the scan of the descriptors (shared with the exec hooks), and whether this is the
// process that loaded this image or a fork of it (a vfork child shares the memory of its parent
// and must not open or write a log).
#define _GNU_SOURCE
#include "preload_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// The process this image runs in: set when it loads, and in a forked child by the atfork handler.
// A vfork child runs no atfork handler, so its pid differs from this (shared) value.
static pid_t g_image_pid;

static void note_forked_child(void) { g_image_pid = (pid_t)syscall(SYS_getpid); }

int sockscope_own_process(void) { return g_image_pid != 0 && (pid_t)syscall(SYS_getpid) == g_image_pid; }

// The AF_UNIX socket descriptors open now, from /proc/self/fd, read with raw system calls and a
// buffer on the stack (after fork in a threaded program only async-signal-safe calls are safe;
// getsockopt goes straight to the kernel, not through this interposer's hook). Returns the
// number of items written, or -1 when the descriptors cannot be listed.
int sockscope_held_sockets(enum sockscope_item_kind kind, sockscope_item *items, uint32_t cap, uint32_t *lost) {
  int dir = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
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
      struct stat st;
      if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
      int domain = 0, type = 0;
      socklen_t len = sizeof domain;
      if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) continue;
      len = sizeof type;
      if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) type = 0;
      long flags = syscall(SYS_fcntl, fd, F_GETFD);
      if (flags < 0) continue;
      int64_t cloexec = (flags & FD_CLOEXEC) ? 1 : 0;
      int64_t z = kind == SOCKSCOPE_ITEM_HELD_FD ? ((int64_t)type << 1) | cloexec : cloexec;
      if (count < cap)
        items[count++] = (sockscope_item){kind, fd, (int64_t)st.st_ino, z};
      else
        (*lost)++;
    }
  }
  syscall(SYS_close, dir);
  return (int)count;
}

// The sockets the recording began with: those the first recorded process held when it started
// (the test runner's, a terminal's, a service manager's). They came from outside the run, so they
// alone open no log; they are listed with the others when a log is open anyway. The first process
// finds SOCKSCOPE_OUTSIDE unset and sets it to their inodes (comma-separated; empty when none),
// and its programs and children inherit that with the rest of the environment.
#define OUTSIDE_MAX SOCKSCOPE_MAX_ITEMS
static uint64_t g_outside[OUTSIDE_MAX];
static int g_outside_count;

static void note_outside(const sockscope_item *items, int count) {
  char list[OUTSIDE_MAX * 21 + 1];
  size_t at = 0;
  list[0] = 0;
  for (int i = 0; i < count && g_outside_count < OUTSIDE_MAX; i++) {
    g_outside[g_outside_count++] = (uint64_t)items[i].y;
    int n = snprintf(list + at, sizeof list - at, "%s%llu", at > 0 ? "," : "", (unsigned long long)items[i].y);
    if (n > 0 && (size_t)n < sizeof list - at) at += (size_t)n;
  }
  setenv("SOCKSCOPE_OUTSIDE", list, 1);
}

static void read_outside(const char *list) {
  for (const char *c = list; *c != 0 && g_outside_count < OUTSIDE_MAX;) {
    char *end;
    unsigned long long ino = strtoull(c, &end, 10);
    if (end == c) break;
    g_outside[g_outside_count++] = ino;
    c = *end == ',' ? end + 1 : end;
  }
}

int sockscope_holds_inside_socket(const sockscope_item *items, int count, uint32_t lost) {
  if (lost > 0) return 1;
  for (int i = 0; i < count; i++) {
    int outside = 0;
    for (int k = 0; k < g_outside_count && !outside; k++) outside = g_outside[k] == (uint64_t)items[i].y;
    if (!outside) return 1;
  }
  return 0;
}

// Called by the interposer's constructor once recording is configured.
void sockscope_record_program_start(void) {
  g_image_pid = (pid_t)syscall(SYS_getpid);
  pthread_atfork(NULL, NULL, note_forked_child);
  if (!recording()) return;
  int saved = errno;
  t_busy = 1;
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t lost = 0;
  int count = sockscope_held_sockets(SOCKSCOPE_ITEM_HELD_FD, items, SOCKSCOPE_MAX_ITEMS, &lost);
  const char *outside = getenv("SOCKSCOPE_OUTSIDE");
  if (outside == NULL) {
    note_outside(items, count > 0 ? count : 0); // the first process: what it holds is outside
  } else {
    read_outside(outside);
    // A log is opened for this record only when the program holds a socket from inside the run.
    if (count >= 0 && sockscope_holds_inside_socket(items, count, lost) && ensure_log()) {
      sockscope_record r;
      start(&r, SOCKSCOPE_CALL_PROGRAM_START, -1);
      r.items_lost = lost;
      // The program: what /proc/self/exe names (also in the log's header; here it stays with the
      // record when a process runs several programs, one log each).
      char exe[512];
      ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
      uint32_t exe_len = len > 0 ? (uint32_t)len : 0;
      sockscope_log_append_full(&r, exe, exe_len, NULL, 0, NULL, items, (uint32_t)count);
    }
  }
  t_busy = 0;
  errno = saved;
}
