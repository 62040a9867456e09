// The LD_PRELOAD interposer (see include/sockscope_preload.h), its configuration and record path.
// Each hook calls the real function found with dlsym(RTLD_NEXT) and, while recording, appends one
// record through the same writer as the Swift socket layer, so both produce identical logs. The program's return values, errno and
// data are never changed: the only difference the kernel sees is MSG_TRUNC added to receives on
// datagram sockets, to learn a datagram's real size (the program still gets what it asked for).
#define _GNU_SOURCE
#include "sockscope_preload.h"

#include "preload_internal.h"
#include "sockscope_log.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

__thread int t_busy;
__thread const void *t_caller;

int sockscope_preload_active(void) { return sockscope_log_is_open(); }

// What the environment asked for, kept until the first recorded call opens the log: processes that
// never use a socket nor print (a shell wrapper such as pyenv's python3 shim) leave no log.
static struct {
  char dir[4096];
  char role[4096]; /* whole: the writer cuts it to fit the log's header and notes that it did */
  uint32_t limit;
  int pending; /* configured, not opened yet */
} g_config;

static void write_early_output(void);

// Held while the log opens. Calls of other threads that come meanwhile wait for it, instead of
// finding the log neither pending nor open and going unrecorded (threads that start together lost
// their first calls that way).
static pthread_mutex_t g_open_lock = PTHREAD_MUTEX_INITIALIZER;

static void open_pending_log(void) {
  if (!__atomic_load_n(&g_config.pending, __ATOMIC_ACQUIRE)) return;
  pthread_mutex_lock(&g_open_lock);
  if (__atomic_load_n(&g_config.pending, __ATOMIC_ACQUIRE)) {
    int err = sockscope_log_open(g_config.dir, g_config.role, g_config.limit);
    if (err != 0 && err != -EEXIST)
      fprintf(stderr, "sockscope: cannot record into %s: %s; running untraced\n", g_config.dir, strerror(-err));
    if (sockscope_log_is_open()) write_early_output();
    __atomic_store_n(&g_config.pending, 0, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&g_open_lock);
}

// A child forked while another thread was opening the log must not find the lock held.
static void reset_open_lock(void) { pthread_mutex_init(&g_open_lock, NULL); }

// Output printed before the first socket call, kept until then: a process's log is opened by its
// first socket call, so that wrapper processes which only print (shell scripts around python3)
// leave no log, while a server's first message, printed before socket(), is still recorded.
#define EARLY_OUTPUTS 32
#define EARLY_OUTPUT_BYTES 512
static struct {
  pthread_mutex_t lock;
  int count;
  struct {
    sockscope_record record;
    uint32_t length;
    char data[EARLY_OUTPUT_BYTES];
  } items[EARLY_OUTPUTS];
} g_early = {.lock = PTHREAD_MUTEX_INITIALIZER};

void sockscope_keep_early_output(int fd, uint64_t t0, const void *buf, size_t len) {
  pthread_mutex_lock(&g_early.lock);
  if (g_early.count < EARLY_OUTPUTS) {
    __typeof__(g_early.items[0]) *item = &g_early.items[g_early.count++];
    memset(&item->record, 0, sizeof item->record);
    item->record.call = SOCKSCOPE_CALL_OUTPUT;
    item->record.fd = fd;
    item->record.tid = sockscope_thread_id();
    item->record.t_ns = t0;
    item->record.ret = (int64_t)len;
    item->record.full_len = len;
    item->length = len < EARLY_OUTPUT_BYTES ? (uint32_t)len : EARLY_OUTPUT_BYTES;
    memcpy(item->data, buf, item->length);
  }
  pthread_mutex_unlock(&g_early.lock);
}

static void write_early_output(void) {
  pthread_mutex_lock(&g_early.lock);
  for (int i = 0; i < g_early.count; i++)
    sockscope_log_append(&g_early.items[i].record, NULL, 0, g_early.items[i].data, g_early.items[i].length);
  g_early.count = 0;
  pthread_mutex_unlock(&g_early.lock);
}

// Whether calls are being looked at: recording is configured (or on) and this is not a call made
// from inside a hook.
int sockscope_recording(void) {
  return !t_busy && (sockscope_log_is_open() || __atomic_load_n(&g_config.pending, __ATOMIC_ACQUIRE));
}

// Opens the log at the first call that concerns an AF_UNIX socket. Returns whether it is open.
int sockscope_ensure_log(void) {
  if (sockscope_log_is_open()) return 1;
  int was_busy = t_busy;
  t_busy = 1;
  open_pending_log();
  t_busy = was_busy;
  return sockscope_log_is_open();
}

// Marks logs of earlier images of this process (same pid: it called exec) as closed: their events
// are complete, the process did not die.
static void close_logs_of_earlier_images(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return;
  char prefix[32];
  int n = snprintf(prefix, sizeof prefix, "%d-", (int)getpid());
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL) {
    if (strncmp(entry->d_name, prefix, (size_t)n) != 0) continue;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    sockscope_log_header h;
    if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h && memcmp(h.magic, SOCKSCOPE_LOG_MAGIC, 8) == 0 &&
        h.state == SOCKSCOPE_LOG_OPEN) {
      uint32_t closed = SOCKSCOPE_LOG_CLOSED;
      (void)pwrite(fd, &closed, sizeof closed, offsetof(sockscope_log_header, state));
    }
    close(fd);
  }
  closedir(d);
}

static void start_recording(void) {
  const char *dir = getenv("SOCKSCOPE_TRACE_DIR");
  if (dir == NULL || dir[0] == 0) return;
  t_busy = 1;
  close_logs_of_earlier_images(dir);
  const char *role = getenv("SOCKSCOPE_ROLE");
  char name[64] = "";
  if (role == NULL || role[0] == 0) {
    FILE *f = fopen("/proc/self/comm", "r");
    if (f != NULL) {
      if (fgets(name, sizeof name, f) != NULL) {
        // The kernel keeps 15 bytes of the name, which can end inside a character: drop that part.
        size_t n = strcspn(name, "\n");
        name[sockscope_utf8_complete(name, n)] = 0;
      }
      fclose(f);
    }
    role = name;
  }
  const char *capture = getenv("SOCKSCOPE_CAPTURE");
  snprintf(g_config.dir, sizeof g_config.dir, "%s", dir);
  snprintf(g_config.role, sizeof g_config.role, "%s", role);
  g_config.limit = capture ? (uint32_t)strtoul(capture, NULL, 10) : SOCKSCOPE_DEFAULT_CAPTURE;
  pthread_atfork(NULL, NULL, reset_open_lock);
  __atomic_store_n(&g_config.pending, 1, __ATOMIC_RELEASE);
  t_busy = 0;
  sockscope_record_program_start();
}

// A recorded program's main must find errno as it would unrecorded: this constructor opens and
// reads files (earlier logs, /proc/self/comm, /proc/self/fd), and one that fails would leave its
// errno to a program that prints or tests errno before any call of its own failed.
__attribute__((constructor)) static void sockscope_preload_start(void) {
  int saved_errno = errno;
  start_recording();
  errno = saved_errno;
}

int sockscope_log_pending(void) { return __atomic_load_n(&g_config.pending, __ATOMIC_ACQUIRE); }

// What is known of a descriptor (sockscope_fd_describe, shared with the Swift layer, says how far
// the cache is believed). With TRUST_NOT_SOCKET (read and write, which are mostly file I/O), an
// entry saying "not an AF_UNIX socket" is believed without the fstat; the hooks on dup, dup2, dup3,
// fcntl (F_DUPFD), close, close_range, closefrom, fclose and SCM_RIGHTS keep such entries from
// going stale. The lookups make socket calls of their own (the peer query): they pass through.
sockscope_fd_info sockscope_describe(int fd, enum trust trust) {
  int was_busy = t_busy;
  t_busy = 1;
  sockscope_fd_info info = sockscope_fd_describe(fd, (enum sockscope_trust)trust);
  t_busy = was_busy;
  return info;
}

// Whether `fd` is an AF_UNIX socket now; fills `info`.
int sockscope_unix_socket(int fd, sockscope_fd_info *info, enum trust trust) {
  *info = describe(fd, trust);
  return info->type > 0;
}

void sockscope_start(sockscope_record *r, enum sockscope_call call, int fd) {
  sockscope_record_start(r, call, fd, sockscope_now_ns());
}

const sockscope_source *sockscope_site(const sockscope_record *r, sockscope_source *source) {
  // What a program prints has no call site worth the cost: print's write comes from the runtime.
  if (r->call == SOCKSCOPE_CALL_OUTPUT || !sockscope_log_sources()) return NULL;
  sockscope_call_site(source, (enum sockscope_call)r->call);
  return source;
}

void sockscope_commit_items(sockscope_record *r, long ret, int err, const void *addr, uint32_t addr_len,
                            const void *data, size_t data_len, const sockscope_item *items, uint32_t count) {
  sockscope_record_result(r, ret, err);
  sockscope_source source;
  sockscope_log_append_full(r, addr, addr_len, data, (uint32_t)(data_len > UINT32_MAX ? UINT32_MAX : data_len),
                            sockscope_site(r, &source), items, count);
}
