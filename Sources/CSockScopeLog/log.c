// The per-process log writer: the file, its mapping and its space (opening, growing, reserving,
// closing, fork). Records are written by log_records.c. Layout and guarantees: include/sockscope_log.h.
#define _GNU_SOURCE
#include "sockscope_log.h"
#include "log_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// Growth policy: start small (most runs are a few hundred events), double up to 64 MiB steps.
#define INITIAL_CAPACITY (1u << 20)
#define MAX_GROWTH_STEP (64u << 20)
// Space is reserved (its pages populated) this much at a time, ahead of the records: the cost per
// page is the same in any size of piece, and a small piece keeps the pause it puts into the one
// call that crosses into it short (a 32 MiB growth populated at once held one send for tens of ms).
#define RESERVE_STEP (256u << 10)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

// The log keeps no descriptor while the program runs. A descriptor is a number in the program's
// table: a program that dup2s onto it, closes every descriptor (close_range, closefrom, a loop)
// and reopens files, or changes its flags with fcntl would have had its own file truncated or
// overwritten by the log's writes, or the log cut (issue 15). The shared mapping keeps the file
// alive by itself; growing and trimming reach the file by its absolute path, after checking that
// the path still names the same file (device and inode).
struct sockscope_log_writer g_sockscope_log = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t g_register_once = PTHREAD_ONCE_INIT;
int g_sockscope_log_sources = 1;
static __thread int32_t t_cached_tid;

int32_t sockscope_thread_id(void) {
  if (t_cached_tid == 0) t_cached_tid = (int32_t)syscall(SYS_gettid);
  return t_cached_tid;
}

uint64_t sockscope_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}


static void copy_string(char *dst, size_t cap, const char *src) {
  if (src == NULL) src = "";
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  memset(dst + n, 0, cap - n);
}

size_t sockscope_utf8_prefix(const char *text, size_t limit) {
  size_t n = strnlen(text, limit + 1);
  if (n <= limit) return n;
  n = limit;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that was cut.
  while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) n--;
  return n;
}

size_t sockscope_utf8_complete(const char *text, size_t length) {
  // Find the last character's lead byte (at most 3 continuation bytes back) and its length.
  size_t lead = length;
  while (lead > 0 && length - lead < 4 && ((unsigned char)text[lead - 1] & 0xC0) == 0x80) lead--;
  if (lead == 0) return length;
  unsigned char first = (unsigned char)text[lead - 1];
  size_t need = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1;
  return length - (lead - 1) < need ? lead - 1 : length;
}

// Stores `role` in the header's field, cut at a character boundary when it does not fit, and
// notes its full length so that the reader can say it was cut.
static void store_role(char *dst, uint32_t *full_length, const char *role) {
  if (role == NULL) role = "";
  size_t full = strlen(role);
  size_t n = sockscope_utf8_prefix(role, SOCKSCOPE_ROLE_MAX);
  memcpy(dst, role, n);
  memset(dst + n, 0, SOCKSCOPE_ROLE_MAX + 1 - n);
  *full_length = n < full ? (uint32_t)(full > UINT32_MAX ? UINT32_MAX : full) : 0;
}

static void at_fork_prepare(void) { pthread_mutex_lock(&g_sockscope_log.lock); }
static void at_fork_parent(void) { pthread_mutex_unlock(&g_sockscope_log.lock); }
static void at_fork_child(void) {
  pthread_mutex_unlock(&g_sockscope_log.lock);
  t_cached_tid = 0; /* the forking thread is a new thread (and process) in the child */
  // The child shares the parent's mapping; writing to it would interleave two processes' records.
  if (__atomic_load_n(&g_sockscope_log.open, __ATOMIC_ACQUIRE)) (void)sockscope_log_reopen_after_fork();
}

static void register_handlers(void) {
  atexit(sockscope_log_close);
  pthread_atfork(at_fork_prepare, at_fork_parent, at_fork_child);
}

// Whether `path` still names the log file (not a file put in its place, nor a link to one).
static int path_is_log(void) {
  struct stat st;
  return lstat(g_sockscope_log.path, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == g_sockscope_log.dev && st.st_ino == g_sockscope_log.ino;
}

// The largest size the process may make a file (RLIMIT_FSIZE, `ulimit -f`). Making the log longer
// than that would raise SIGXFSZ, which kills the recorded program where unrecorded it would not
// have met the limit: the log stops growing there instead, and the events that do not fit are
// counted as lost (EFBIG).
static size_t file_size_limit(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > SIZE_MAX)
    return SIZE_MAX;
  return (size_t)limit.rlim_cur;
}

// Writes zeros over [offset, offset + length) of the file open as `fd` (the fallback below).
static int zero_fill(int fd, size_t offset, size_t length) {
  static const uint8_t zeros[65536];
  while (length > 0) {
    size_t n = length < sizeof zeros ? length : sizeof zeros;
    ssize_t w = pwrite(fd, zeros, n, (off_t)offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    offset += (size_t)w;
    length -= (size_t)w;
  }
  return 0;
}

// Reserves the file's blocks behind [offset, offset + length) of the mapping, so that a store there
// can never raise SIGBUS on a full disk. MADV_POPULATE_WRITE takes each page's write fault now,
// where the file system reserves its block (ext4's delayed allocation) or fails; a failure is an
// error here (EFAULT: "a SIGBUS would have been raised"), never a signal later. It also puts every
// page in the page cache up front, so a store into a fresh page costs no fault on the hot path
// (on ext4 those faults were most of recording's cost; see docs/performance.md). Kernels before
// 5.14 lack it: there the blocks are reserved with posix_fallocate and zero-filled with pwrite
// through a descriptor held only for those calls.
// Populating pages that are holes makes ext4 read each in and zero it (readahead), which costs
// more CPU than writing the zeros with pwrite first (measured: docs/performance-notes.md). That
// was tried and dropped: a descriptor held for the pwrite, every 256 KiB, is a number another
// thread of the program can dup2 onto or close meanwhile, and the zeros then went into the
// program's own file (a review reproduced it in 5 of 8 runs). The fallback above has the same
// window, on kernels before 5.14 only.
static int reserve(size_t offset, size_t length) {
  if (madvise(g_sockscope_log.base + offset, length, MADV_POPULATE_WRITE) == 0) return 0;
  if (errno == EFAULT) return -ENOSPC;
  if (errno != EINVAL) return -errno;
  int fd = open(g_sockscope_log.path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  int err = fstat(fd, &st) != 0 ? errno : (st.st_dev != g_sockscope_log.dev || st.st_ino != g_sockscope_log.ino) ? ESTALE : 0;
  if (err == 0) err = posix_fallocate(fd, (off_t)offset, (off_t)length);
  if (err == 0) err = -zero_fill(fd, offset, length);
  close(fd);
  return -err;
}

// Asks for the mapping's pages in large page-cache folios (MADV_HUGEPAGE on the file mapping):
// populating then zeroes and maps a folio at a time instead of faulting each 4 KiB page, and
// unmapping at the end is cheaper too. Measured on ext4, Linux 6.18: about 1.3 µs a page against
// 2.6–3.9 in a probe, and 4.5–12 ms of madvise against 14–17.5 for the echo server's 14 MB log. Set
// from the first mapping: set only after the first growth, the echo server's populating got slower
// (19–20 ms). Only a hint: without transparent huge pages it fails or does nothing, and the log
// works as before.
static void ask_for_large_folios(void *base, size_t length) { (void)madvise(base, length, MADV_HUGEPAGE); }

// Makes the log's absolute path from `g_sockscope_log.dir`, so that a program that changes directory still
// finds it. Returns 0 or -errno.
static int make_path(int pid, uint64_t start) {
  char cwd[4096];
  const char *prefix = "";
  const char *slash = "";
  if (g_sockscope_log.dir[0] != '/') {
    if (getcwd(cwd, sizeof cwd) == NULL) return -errno;
    prefix = cwd;
    slash = "/";
  }
  int n = snprintf(g_sockscope_log.path, sizeof g_sockscope_log.path, "%s%s%s/%d-%llu.sslog", prefix, slash, g_sockscope_log.dir, pid,
                   (unsigned long long)start);
  if (n < 0 || (size_t)n >= sizeof g_sockscope_log.path) return -ENAMETOOLONG;
  return 0;
}

// Whether `fd` still holds the file `made` describes (device and inode).
static int still_holds(int fd, const struct stat *made) {
  struct stat held;
  return fstat(fd, &held) == 0 && held.st_dev == made->st_dev && held.st_ino == made->st_ino;
}

// Makes the log file at `g_sockscope_log.path` (a name no file has), sizes it and maps it. The
// descriptor lives only until the file is mapped, a few calls inside the first socket call, and
// nothing is changed through it: it is a number in the program's table, which another thread of
// the program can take at any moment (dup2 onto it; close it and open a file that gets it). So the
// file is sized through its path, and the descriptor is believed, and closed, only while fstat
// says it still holds the file the path names. (Measured with a thread that dup2s its own file
// onto the next free number: ftruncate through the descriptor grew that file to 1 MiB in 3 runs of
// 20, or the recording stopped with EBADF.) What stays open is the gap between the last check and
// the close, one system call wide: a number taken there would be closed. Returns 0, -EAGAIN when
// the number was taken (the program's file untouched, nothing of this log left), or -errno.
static int map_new_log(void **base) {
  const char *path = g_sockscope_log.path;
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  // What the path names now is the file just made (O_EXCL): its identity is the log's.
  struct stat made;
  if (lstat(path, &made) != 0 || !S_ISREG(made.st_mode)) return -ESTALE; /* fd: not known to be ours */
  g_sockscope_log.dev = made.st_dev;
  g_sockscope_log.ino = made.st_ino;
  int err = 0;
  *base = MAP_FAILED;
  if (!still_holds(fd, &made)) {
    err = -EAGAIN;
  } else if (INITIAL_CAPACITY > file_size_limit()) {
    err = -EFBIG; /* a log could not even start (see file_size_limit) */
  } else if (truncate(path, INITIAL_CAPACITY) != 0) {
    err = -errno;
  } else {
    *base = mmap(NULL, INITIAL_CAPACITY, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (*base == MAP_FAILED) err = -errno;
  }
  // The mapping is this log's only if the descriptor held the log until after mmap: it cannot
  // come back to the log once taken (nothing else holds the log open).
  if (still_holds(fd, &made))
    close(fd);
  else
    err = -EAGAIN;
  if (err != 0) {
    if (*base != MAP_FAILED) munmap(*base, INITIAL_CAPACITY);
    *base = MAP_FAILED;
    if (path_is_log()) unlink(path);
  }
  return err;
}

// Called with the lock held and no log open.
static int open_locked(void) {
  int pid = getpid();
  uint64_t start = 0;
  void *base = MAP_FAILED;
  int err = -EAGAIN;
  // A number taken by another thread costs this attempt only: the next makes a file of a new name.
  for (int attempt = 0; attempt < 4 && err == -EAGAIN; attempt++) {
    start = sockscope_now_ns();
    err = make_path(pid, start);
    if (err == 0) err = map_new_log(&base);
  }
  if (err != 0) return err == -EAGAIN ? -EBUSY : err;
  ask_for_large_folios(base, INITIAL_CAPACITY);
  g_sockscope_log.base = base;
  g_sockscope_log.capacity = INITIAL_CAPACITY;
  g_sockscope_log.reserved = 0;
  err = -reserve(0, RESERVE_STEP);
  if (err == 0) g_sockscope_log.reserved = RESERVE_STEP;
  if (err != 0) {
    munmap(base, INITIAL_CAPACITY);
    g_sockscope_log.base = NULL;
    if (path_is_log()) unlink(g_sockscope_log.path);
    return -err;
  }
  g_sockscope_log.used = SOCKSCOPE_LOG_HEADER_SIZE;
  g_sockscope_log.seq = 0;
  sockscope_names_reset(); /* ids are per log: a new log (after fork) defines its own */
  g_sockscope_log.pid = pid;

  sockscope_log_header *h = sockscope_log_header_locked();
  memcpy(h->magic, SOCKSCOPE_LOG_MAGIC, 8);
  h->version = SOCKSCOPE_LOG_VERSION;
  h->header_size = SOCKSCOPE_LOG_HEADER_SIZE;
  h->pid = pid;
  h->ppid = getppid();
  h->start_mono_ns = start;
  h->start_real_ns = realtime_ns();
  h->capture_limit = g_sockscope_log.capture_limit;
  h->dropped = 0;
  store_role(h->role, &h->role_length, g_sockscope_log.role);
  ssize_t len = readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
  h->exe[len > 0 ? len : 0] = 0;
  __atomic_store_n(&h->state, SOCKSCOPE_LOG_OPEN, __ATOMIC_RELEASE);
  __atomic_store_n(&g_sockscope_log.open, 1, __ATOMIC_RELEASE);
  return 0;
}

int sockscope_log_sources(void) { return g_sockscope_log_sources; }

int sockscope_log_open(const char *dir, const char *role, uint32_t capture_limit) {
  pthread_once(&g_register_once, register_handlers);
  const char *sources = getenv("SOCKSCOPE_SOURCE");
  g_sockscope_log_sources = !(sources != NULL && strcmp(sources, "0") == 0);
  pthread_mutex_lock(&g_sockscope_log.lock);
  int result;
  if (g_sockscope_log.base != NULL) {
    result = -EEXIST;
  } else if (strlen(dir) >= sizeof g_sockscope_log.dir) {
    result = -ENAMETOOLONG;
  } else {
    copy_string(g_sockscope_log.dir, sizeof g_sockscope_log.dir, dir);
    copy_string(g_sockscope_log.role, sizeof g_sockscope_log.role, role);
    g_sockscope_log.capture_limit = capture_limit;
    result = open_locked();
  }
  pthread_mutex_unlock(&g_sockscope_log.lock);
  return result;
}

int sockscope_log_reopen_after_fork(void) {
  // The lock is not taken: this runs in the child's atfork handler, where it is already free and
  // no other thread exists.
  if (g_sockscope_log.base != NULL) munmap(g_sockscope_log.base, g_sockscope_log.capacity);
  g_sockscope_log.base = NULL;
  __atomic_store_n(&g_sockscope_log.open, 0, __ATOMIC_RELEASE);
  return open_locked();
}

int sockscope_log_is_open(void) { return __atomic_load_n(&g_sockscope_log.open, __ATOMIC_ACQUIRE); }

uint32_t sockscope_log_capture_limit(void) {
  return sockscope_log_is_open() ? g_sockscope_log.capture_limit : 0;
}

const char *sockscope_log_path(void) { return sockscope_log_is_open() ? g_sockscope_log.path : NULL; }

void sockscope_log_set_role(const char *role) {
  pthread_mutex_lock(&g_sockscope_log.lock);
  copy_string(g_sockscope_log.role, sizeof g_sockscope_log.role, role);
  sockscope_log_header *h = sockscope_log_header_locked();
  if (h != NULL) store_role(h->role, &h->role_length, g_sockscope_log.role);
  pthread_mutex_unlock(&g_sockscope_log.lock);
}

// Called with the lock held. Makes the file and its mapping `need` bytes longer at least: the file
// grows through its path (checked to be still the log) and the mapping follows it. The new part
// is not reserved yet (reserve_more_locked does that): nothing is stored there until it is.
static int grow_locked(size_t need) {
  size_t step = g_sockscope_log.capacity < MAX_GROWTH_STEP ? g_sockscope_log.capacity : MAX_GROWTH_STEP;
  if (step < need) step = (need + 4095) & ~(size_t)4095;
  size_t old_capacity = g_sockscope_log.capacity;
  size_t new_capacity = old_capacity + step;
  size_t limit = file_size_limit();
  if (new_capacity > limit) new_capacity = limit & ~(size_t)4095;
  if (new_capacity < old_capacity + need) return -EFBIG;
  if (!path_is_log()) return -ESTALE;
  if (truncate(g_sockscope_log.path, (off_t)new_capacity) != 0) return -errno;
  void *base = mremap(g_sockscope_log.base, old_capacity, new_capacity, MREMAP_MAYMOVE);
  if (base != MAP_FAILED) {
    g_sockscope_log.base = base;
    g_sockscope_log.capacity = new_capacity;
    ask_for_large_folios(g_sockscope_log.base, g_sockscope_log.capacity);
    return 0;
  }
  int err = -errno;
  if (path_is_log()) (void)truncate(g_sockscope_log.path, (off_t)old_capacity);
  return err;
}

// Called with the lock held. Reserves the log up to `end` bytes at least, RESERVE_STEP at a time,
// growing the file when the reserved part reaches its end. On failure (a full disk: ENOSPC) what
// was reserved stays so and nothing is stored beyond it.
static int reserve_more_locked(size_t end) {
  while (g_sockscope_log.reserved < end) {
    if (g_sockscope_log.reserved == g_sockscope_log.capacity) {
      int err = grow_locked(end - g_sockscope_log.capacity);
      if (err != 0) return err;
    }
    size_t piece = g_sockscope_log.capacity - g_sockscope_log.reserved;
    size_t wanted = (end - g_sockscope_log.reserved + RESERVE_STEP - 1) / RESERVE_STEP * RESERVE_STEP;
    if (piece > wanted) piece = wanted;
    int err = reserve(g_sockscope_log.reserved, piece);
    if (err != 0) return err;
    g_sockscope_log.reserved += piece;
  }
  return 0;
}

// Called with the lock held when `size` more bytes do not fit in what is reserved (the check is
// sockscope_log_room_locked's): reserves more, or counts the event in `dropped` and returns -errno.
int sockscope_log_reserve_room_locked(size_t size) {
  int err = reserve_more_locked(g_sockscope_log.used + size);
  if (err != 0) {
    sockscope_log_header *h = sockscope_log_header_locked();
    if (h->dropped++ == 0) h->dropped_errno = -err;
  }
  return err;
}

int sockscope_log_owned(void) { return sockscope_log_is_open() && getpid() == g_sockscope_log.pid; }

void sockscope_log_close(void) {
  pthread_mutex_lock(&g_sockscope_log.lock);
  // A vfork child (posix_spawn, Python's subprocess) shares its parent's memory until it execs; when
  // the exec fails it leaves through _exit, which must not close the parent's log.
  if (g_sockscope_log.base != NULL && getpid() == g_sockscope_log.pid) {
    __atomic_store_n(&sockscope_log_header_locked()->state, SOCKSCOPE_LOG_CLOSED, __ATOMIC_RELEASE);
    munmap(g_sockscope_log.base, g_sockscope_log.capacity);
    g_sockscope_log.base = NULL;
    // Drop the reserved but unused tail so the file's size is its content (the reader stops at
    // zeros anyway, so a log moved away meanwhile is still whole).
    if (path_is_log() && truncate(g_sockscope_log.path, (off_t)g_sockscope_log.used) != 0) {
    }
    __atomic_store_n(&g_sockscope_log.open, 0, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&g_sockscope_log.lock);
}
