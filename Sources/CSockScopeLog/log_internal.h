// What the log's parts share inside CSockScopeLog (not part of its interface).
#ifndef SOCKSCOPE_LOG_INTERNAL_H
#define SOCKSCOPE_LOG_INTERNAL_H

#include "sockscope_log.h"

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
