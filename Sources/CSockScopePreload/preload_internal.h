// What the interposer's files share (not part of its interface). Each file holds the hooks of one
// job: preload.c the configuration and the record path, preload_setup.c creating, naming and
// connecting sockets, preload_data.c moving data,
// preload_fds.c descriptors, preload_wait.c poll/select/epoll, preload_exec.c exec,
// preload_start.c the sockets a program starts with, callsite.c where a call was made.
#ifndef SOCKSCOPE_PRELOAD_INTERNAL_H
#define SOCKSCOPE_PRELOAD_INTERNAL_H

#include "sockscope_log.h"
#include "sockscope_record.h"

#include <dlfcn.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/// Set while a hook records, so that the writer's own socket calls (the peer lookup) and anything
/// else called from inside a hook go straight to the real functions.
extern __thread int t_busy;

/// The return address of the hook the program called (set by ENTER, read when committing).
extern __thread const void *t_caller;

/// Notes where the program called from. First statement of every exported hook: in a helper the
/// return address would be the hook's own. Calls made from inside a hook (the log's own close,
/// the peer lookup's socket calls) leave the program's caller in place.
#define ENTER() \
  do { \
    if (!t_busy) t_caller = __builtin_return_address(0); \
  } while (0)

#define REAL(name) \
  static __typeof__(&name) real_##name; \
  if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

/// How far a cached "not an AF_UNIX socket" is believed without asking the kernel again.
enum trust { CONFIRM_ALL = SOCKSCOPE_CONFIRM_ALL, TRUST_NOT_SOCKET = SOCKSCOPE_TRUST_NOT_SOCKET };

int sockscope_recording(void);
int sockscope_ensure_log(void);
/// Whether a log is configured but not yet opened (output is kept until it is).
int sockscope_log_pending(void);
void sockscope_keep_early_output(int fd, uint64_t t0, const void *buf, size_t len);
sockscope_fd_info sockscope_describe(int fd, enum trust trust);
int sockscope_unix_socket(int fd, sockscope_fd_info *info, enum trust trust);
void sockscope_start(sockscope_record *r, enum sockscope_call call, int fd);
/// Where the call `r` records was made (NULL when not recorded: console output, or sources off).
/// Called after the real call returned, before the record is appended.
const sockscope_source *sockscope_site(const sockscope_record *r, sockscope_source *source);
/// Fills the duration, result and source and appends the record with `count` items.
void sockscope_commit_items(sockscope_record *r, long ret, int err, const void *addr, uint32_t addr_len,
                            const void *data, size_t data_len, const sockscope_item *items, uint32_t count);

/// Where the call being recorded was made: the program's return address, and for a Python
/// program the file, line and function of the innermost frame outside the stdlib's socket.py.
void sockscope_call_site(sockscope_source *source, enum sockscope_call call);


/// Whether this is the process that loaded this program, or a fork of it: not a vfork child
/// (posix_spawn, Python's subprocess), which shares its parent's memory until it execs.
int sockscope_own_process(void);

/// The AF_UNIX socket descriptors open now, as items of `kind` (SOCKSCOPE_ITEM_EXEC_FD or
/// SOCKSCOPE_ITEM_HELD_FD): at most `cap`, the rest counted in `*lost`. -1 when they cannot be
/// listed (no /proc).
int sockscope_held_sockets(enum sockscope_item_kind kind, sockscope_item *items, uint32_t cap, uint32_t *lost);

/// Whether `items` (sockets held now) name one that is not among those the recording began with
/// (SOCKSCOPE_OUTSIDE), or `lost` some that were not listed.
int sockscope_holds_inside_socket(const sockscope_item *items, int count, uint32_t lost);

/// Records the sockets a program holds when it starts (the interposer's constructor).
void sockscope_record_program_start(void);

/// Forgets what epoll_ctl registered on or for `fd` (after close).
void sockscope_forget_watches(int fd);

/// Sets the result of `r` (duration, `ret`, `err`) and returns where the call was made, for the
/// record codec's sockscope_record_* functions, which fill and append the rest.
static inline const sockscope_source *sockscope_settle(sockscope_record *r, long ret, int err,
                                                       sockscope_source *source) {
  sockscope_record_result(r, ret, err);
  return sockscope_site(r, source);
}

#define recording sockscope_recording
#define ensure_log sockscope_ensure_log
#define describe sockscope_describe
#define unix_socket sockscope_unix_socket
#define start sockscope_start
#define identify sockscope_record_identify
#define unix_path sockscope_unix_path
#define commit(r, ret, err, addr, addr_len, data, data_len) \
  sockscope_commit_items(r, ret, err, addr, addr_len, data, data_len, NULL, 0)

#endif
