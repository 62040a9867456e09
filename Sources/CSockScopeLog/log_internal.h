// What the log's parts share inside CSockScopeLog (not part of its interface).
#ifndef SOCKSCOPE_LOG_INTERNAL_H
#define SOCKSCOPE_LOG_INTERNAL_H

#include "sockscope_log.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// The one log of this process (log.c describes why it holds no descriptor). Fields other than
/// `open` are read and written with `lock` held.
struct sockscope_log_writer {
  pthread_mutex_t lock;
  int open; /* read without the lock by sockscope_log_is_open: accessed atomically */
  int pid;   /* the process that opened the log: only it may close it */
  dev_t dev; /* identity of the log file, checked before each change made through its path */
  ino_t ino;
  uint8_t *base;
  size_t capacity; /* the file's size and the mapping's length */
  size_t reserved; /* [0, reserved) has its blocks reserved: records are stored only there */
  size_t used;
  uint64_t seq;
  uint32_t capture_limit;
  char dir[4096];
  char path[4200];
  char role[4096]; /* as given; the header holds what fits */
};

/// This process's log (defined in log.c; hidden: no other module sees it).
__attribute__((visibility("hidden"))) extern struct sockscope_log_writer g_sockscope_log;
/// Whether events carry their source (SOCKSCOPE_SOURCE=0 turns it off: to measure what it costs).
__attribute__((visibility("hidden"))) extern int g_sockscope_log_sources;

/// With the lock held: the mapped log's header.
static inline sockscope_log_header *sockscope_log_header_locked(void) {
  return (sockscope_log_header *)g_sockscope_log.base;
}
/// With the lock held: reserves more of the log for `size` bytes past `used` (log.c), or counts
/// the event that does not fit in the header's `dropped` and returns -errno.
int sockscope_log_reserve_room_locked(size_t size);
/// With the lock held: makes sure `size` more bytes are reserved past `used`. Inline: nearly
/// every record fits in what is reserved, and this check is on every recorded call's path.
static inline int sockscope_log_room_locked(size_t size) {
  if (g_sockscope_log.used + size <= g_sockscope_log.reserved) return 0;
  return sockscope_log_reserve_room_locked(size);
}

/// With the log's lock held: appends a record (see sockscope_log_append_full).
int sockscope_log_append_locked(sockscope_record *rec, const void *addr, uint32_t addr_len, const void *data,
                                uint32_t data_len, const sockscope_item *items, uint32_t count);
/// With the lock held: the address bytes of the record at `offset` (valid until the next append).
const uint8_t *sockscope_log_address_at_locked(size_t offset);
/// With the lock held: where the next record goes.
size_t sockscope_log_used_locked(void);
/// With the lock held: the program's path as the header holds it.
const char *sockscope_log_exe_locked(void);

/// With the lock held: fills `rec`'s source ids from `source`, writing META records for names and
/// modules the log has not defined yet.
void sockscope_names_resolve_locked(sockscope_record *rec, const sockscope_source *source);
/// Forgets every id (a new log defines its own). Called with the lock held, or in a fork child.
void sockscope_names_reset(void);

#endif
