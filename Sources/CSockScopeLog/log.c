// The per-process log writer. Layout and guarantees: include/sockscope_log.h.
#define _GNU_SOURCE
#include "sockscope_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// Growth policy: start small (most runs are a few hundred events), double up to 64 MiB steps.
#define INITIAL_CAPACITY (1u << 20)
#define MAX_GROWTH_STEP (64u << 20)
// Where the log's descriptor is moved: below the usual 1024 soft limit, above what programs use.
#define HIGH_DESCRIPTOR 767

static struct {
  pthread_mutex_t lock;
  int open; /* read without the lock by sockscope_log_is_open: accessed atomically */
  int fd;
  uint8_t *base;
  size_t capacity;
  size_t used;
  uint64_t seq;
  uint32_t capture_limit;
  char dir[4096];
  char path[4200];
  char role[64];
} g_log = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static pthread_once_t g_register_once = PTHREAD_ONCE_INIT;
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

static sockscope_log_header *header(void) { return (sockscope_log_header *)g_log.base; }

static void copy_string(char *dst, size_t cap, const char *src) {
  if (src == NULL) src = "";
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  memset(dst + n, 0, cap - n);
}

static void at_fork_prepare(void) { pthread_mutex_lock(&g_log.lock); }
static void at_fork_parent(void) { pthread_mutex_unlock(&g_log.lock); }
static void at_fork_child(void) {
  pthread_mutex_unlock(&g_log.lock);
  t_cached_tid = 0; /* the forking thread is a new thread (and process) in the child */
  // The child shares the parent's mapping; writing to it would interleave two processes' records.
  if (__atomic_load_n(&g_log.open, __ATOMIC_ACQUIRE)) (void)sockscope_log_reopen_after_fork();
}

static void register_handlers(void) {
  atexit(sockscope_log_close);
  pthread_atfork(at_fork_prepare, at_fork_parent, at_fork_child);
}

// Writes zeros over [offset, offset + length) of the log. A page of a mapped file costs far less
// at its first store when the page cache already holds it: on ext4 a store into space that
// posix_fallocate left "unwritten" faulted once per 4 KiB page and converted the extent, and that
// was most of recording's cost (13 400 page faults for 200 000 datagrams; now 2 600, and the
// traced pair went from 0.78 to 0.85 of the untraced one's speed). Blocks stay reserved, so a full
// disk is still an error here, never a SIGBUS at the store.
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

// Called with the lock held and no log open.
static int open_locked(void) {
  int pid = getpid();
  uint64_t start = sockscope_now_ns();
  int n = snprintf(g_log.path, sizeof g_log.path, "%s/%d-%llu.sslog", g_log.dir, pid,
                   (unsigned long long)start);
  if (n < 0 || (size_t)n >= sizeof g_log.path) return -ENAMETOOLONG;

  int fd = open(g_log.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  // Park the log's descriptor high, so the traced program's own descriptors get the numbers they
  // would get untraced (a socket is fd 3 in both).
  int high = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_DESCRIPTOR);
  if (high >= 0) {
    close(fd);
    fd = high;
  }
  // Reserve real blocks now: a write into an unreserved page of a full filesystem raises SIGBUS.
  int err = posix_fallocate(fd, 0, INITIAL_CAPACITY);
  if (err == 0) err = -zero_fill(fd, 0, INITIAL_CAPACITY);
  if (err != 0) {
    close(fd);
    unlink(g_log.path);
    return -err;
  }
  void *base = mmap(NULL, INITIAL_CAPACITY, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    err = errno;
    close(fd);
    unlink(g_log.path);
    return -err;
  }
  g_log.fd = fd;
  g_log.base = base;
  g_log.capacity = INITIAL_CAPACITY;
  g_log.used = SOCKSCOPE_LOG_HEADER_SIZE;
  g_log.seq = 0;

  sockscope_log_header *h = header();
  memcpy(h->magic, SOCKSCOPE_LOG_MAGIC, 8);
  h->version = SOCKSCOPE_LOG_VERSION;
  h->header_size = SOCKSCOPE_LOG_HEADER_SIZE;
  h->pid = pid;
  h->ppid = getppid();
  h->start_mono_ns = start;
  h->start_real_ns = realtime_ns();
  h->capture_limit = g_log.capture_limit;
  h->dropped = 0;
  copy_string(h->role, sizeof h->role, g_log.role);
  ssize_t len = readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
  h->exe[len > 0 ? len : 0] = 0;
  __atomic_store_n(&h->state, SOCKSCOPE_LOG_OPEN, __ATOMIC_RELEASE);
  __atomic_store_n(&g_log.open, 1, __ATOMIC_RELEASE);
  return 0;
}

int sockscope_log_open(const char *dir, const char *role, uint32_t capture_limit) {
  pthread_once(&g_register_once, register_handlers);
  pthread_mutex_lock(&g_log.lock);
  int result;
  if (g_log.base != NULL) {
    result = -EEXIST;
  } else if (strlen(dir) >= sizeof g_log.dir) {
    result = -ENAMETOOLONG;
  } else {
    copy_string(g_log.dir, sizeof g_log.dir, dir);
    copy_string(g_log.role, sizeof g_log.role, role);
    g_log.capture_limit = capture_limit;
    result = open_locked();
  }
  pthread_mutex_unlock(&g_log.lock);
  return result;
}

int sockscope_log_reopen_after_fork(void) {
  // The lock is not taken: this runs in the child's atfork handler, where it is already free and
  // no other thread exists.
  if (g_log.base != NULL) munmap(g_log.base, g_log.capacity);
  if (g_log.fd >= 0) close(g_log.fd);
  g_log.base = NULL;
  g_log.fd = -1;
  __atomic_store_n(&g_log.open, 0, __ATOMIC_RELEASE);
  return open_locked();
}

int sockscope_log_is_open(void) { return __atomic_load_n(&g_log.open, __ATOMIC_ACQUIRE); }

uint32_t sockscope_log_capture_limit(void) {
  return sockscope_log_is_open() ? g_log.capture_limit : 0;
}

const char *sockscope_log_path(void) { return sockscope_log_is_open() ? g_log.path : NULL; }

void sockscope_log_set_role(const char *role) {
  pthread_mutex_lock(&g_log.lock);
  copy_string(g_log.role, sizeof g_log.role, role);
  if (g_log.base != NULL) copy_string(header()->role, sizeof header()->role, role);
  pthread_mutex_unlock(&g_log.lock);
}

// Called with the lock held. Makes room for `need` more bytes.
static int grow_locked(size_t need) {
  size_t step = g_log.capacity < MAX_GROWTH_STEP ? g_log.capacity : MAX_GROWTH_STEP;
  if (step < need) step = (need + 4095) & ~(size_t)4095;
  size_t new_capacity = g_log.capacity + step;
  int err = posix_fallocate(g_log.fd, (off_t)g_log.capacity, (off_t)step);
  if (err != 0) return -err;
  err = zero_fill(g_log.fd, g_log.capacity, step);
  if (err != 0) return err;
  void *base = mremap(g_log.base, g_log.capacity, new_capacity, MREMAP_MAYMOVE);
  if (base == MAP_FAILED) return -errno;
  g_log.base = base;
  g_log.capacity = new_capacity;
  return 0;
}

int sockscope_log_append(sockscope_record *rec, const void *addr, uint32_t addr_len, const void *data,
                         uint32_t data_len) {
  if (!sockscope_log_is_open()) return -EBADF;
  if (data_len > g_log.capture_limit) data_len = g_log.capture_limit;
  if (addr == NULL) addr_len = 0;
  if (data == NULL) data_len = 0;
  size_t body = sizeof(sockscope_record) + addr_len + data_len;
  size_t size = (body + 7) & ~(size_t)7;

  pthread_mutex_lock(&g_log.lock);
  if (g_log.base == NULL) {
    pthread_mutex_unlock(&g_log.lock);
    return -EBADF;
  }
  if (g_log.used + size > g_log.capacity) {
    int err = grow_locked(g_log.used + size - g_log.capacity);
    if (err != 0) {
      header()->dropped += 1;
      pthread_mutex_unlock(&g_log.lock);
      return err;
    }
  }
  uint8_t *at = g_log.base + g_log.used;
  rec->magic = 0;
  rec->size = (uint32_t)size;
  rec->seq = g_log.seq++;
  rec->addr_len = addr_len;
  rec->data_len = data_len;
  memcpy(at, rec, sizeof *rec);
  if (addr_len) memcpy(at + sizeof *rec, addr, addr_len);
  if (data_len) memcpy(at + sizeof *rec + addr_len, data, data_len);
  memset(at + body, 0, size - body);
  // The commit point: a reader that sees the magic sees everything written above.
  __atomic_store_n((uint32_t *)at, SOCKSCOPE_RECORD_MAGIC, __ATOMIC_RELEASE);
  g_log.used += size;
  pthread_mutex_unlock(&g_log.lock);
  return 0;
}

void sockscope_log_close(void) {
  pthread_mutex_lock(&g_log.lock);
  if (g_log.base != NULL) {
    __atomic_store_n(&header()->state, SOCKSCOPE_LOG_CLOSED, __ATOMIC_RELEASE);
    munmap(g_log.base, g_log.capacity);
    // Drop the reserved but unused tail so the file's size is its content.
    if (ftruncate(g_log.fd, (off_t)g_log.used) != 0) { /* the reader stops at zeros anyway */
    }
    close(g_log.fd);
    g_log.base = NULL;
    g_log.fd = -1;
    __atomic_store_n(&g_log.open, 0, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&g_log.lock);
}
