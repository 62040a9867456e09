// Names that events refer to by number: source files, functions and loaded modules. Each is
// written once per log as a META record before the first event that uses it, so the hot path
// stores only small numbers; the reader turns them back into a `source` per event. Everything
// here runs under the log's lock (called from sockscope_log_append_full).
#define _GNU_SOURCE
#include "log_internal.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

#define STRING_SLOTS 4096 /* a power of two; a full table leaves further names unrecorded */
#define MODULE_SLOTS 256

static struct {
  uint64_t hash;
  uint32_t id;       /* 0: empty */
  uint32_t length;
  size_t offset;     /* where its META record is in the log: names are compared with it */
} g_strings[STRING_SLOTS];
static uint32_t g_next_string;

static struct {
  uintptr_t start, end; /* the module's mapping, as _dl_find_object gives it */
  const void *map;      /* its link map: a module loaded again at the same place is a new one */
  uint32_t id;
} g_modules[MODULE_SLOTS];
static uint32_t g_module_count;

// The last names seen by address: the names recorders pass live as long as the process (string
// literals, names the Python code cache holds), so an address seen before with the same length
// is the same name, found without hashing it.
#define RECENT_SLOTS 64
static struct {
  const char *text;
  uint32_t length, id;
} g_recent[RECENT_SLOTS];

void sockscope_names_reset(void) {
  memset(g_recent, 0, sizeof g_recent);
  memset(g_strings, 0, sizeof g_strings);
  memset(g_modules, 0, sizeof g_modules);
  g_next_string = 0;
  g_module_count = 0;
}

static uint64_t fnv1a(const char *s, uint32_t n) {
  uint64_t h = 0xcbf29ce484222325u;
  for (uint32_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3u;
  return h;
}

// The id of `text` in this log (0 when it cannot be stored). Ids of strings and modules share one
// counter, so an id names one thing.
static uint32_t intern_bytes(const char *text, uint32_t length);

static uint32_t intern(const char *text, uint32_t length) {
  if (text == NULL || length == 0) return 0;
  if (length > 4096) length = 4096;
  __typeof__(g_recent[0]) *recent = &g_recent[((uintptr_t)text >> 3) % RECENT_SLOTS];
  if (recent->text == text && recent->length == length && recent->id != 0) return recent->id;
  uint32_t id = intern_bytes(text, length);
  if (id != 0) {
    recent->text = text;
    recent->length = length;
    recent->id = id;
  }
  return id;
}

static uint32_t intern_bytes(const char *text, uint32_t length) {
  uint64_t h = fnv1a(text, length);
  for (uint32_t probe = 0; probe < STRING_SLOTS; probe++) {
    __typeof__(g_strings[0]) *slot = &g_strings[(h + probe) & (STRING_SLOTS - 1)];
    if (slot->id == 0) {
      if (g_next_string + 1 > STRING_SLOTS * 3 / 4) return 0; /* keep probes short */
      sockscope_record r = {0};
      r.call = SOCKSCOPE_META_STRING;
      r.tid = sockscope_thread_id();
      r.fd = -1;
      uint32_t id = ++g_next_string;
      r.a0 = id;
      size_t offset = sockscope_log_used_locked();
      if (sockscope_log_append_locked(&r, text, length, NULL, 0, NULL, 0) != 0) {
        g_next_string--;
        return 0;
      }
      slot->hash = h;
      slot->id = id;
      slot->length = length;
      slot->offset = offset;
      return id;
    }
    if (slot->hash == h && slot->length == length &&
        memcmp(sockscope_log_address_at_locked(slot->offset), text, length) == 0)
      return slot->id;
  }
  return 0;
}

// The id of the module `caller` lies in, with a META record naming it the first time.
static uint32_t module_of(const void *caller) {
  struct dl_find_object found;
  if (_dl_find_object((void *)caller, &found) != 0) return 0;
  uintptr_t start = (uintptr_t)found.dlfo_map_start;
  for (uint32_t i = 0; i < g_module_count; i++)
    if (g_modules[i].start == start && g_modules[i].map == found.dlfo_link_map) return g_modules[i].id;
  if (g_module_count == MODULE_SLOTS) return 0;
  const struct link_map *map = found.dlfo_link_map;
  // The main program's link map has an empty name: its path is the one the header holds.
  const char *name = map != NULL && map->l_name != NULL && map->l_name[0] ? map->l_name : sockscope_log_exe_locked();
  sockscope_record r = {0};
  r.call = SOCKSCOPE_META_MODULE;
  r.tid = sockscope_thread_id();
  r.fd = -1;
  uint32_t id = ++g_next_string;
  r.a0 = id;
  r.a1 = map != NULL ? (int64_t)map->l_addr : 0;
  r.a2 = (int64_t)start;
  r.a3 = (int64_t)(uintptr_t)found.dlfo_map_end;
  if (sockscope_log_append_locked(&r, name, (uint32_t)strlen(name), NULL, 0, NULL, 0) != 0) {
    g_next_string--;
    return 0;
  }
  g_modules[g_module_count].start = start;
  g_modules[g_module_count].end = (uintptr_t)found.dlfo_map_end;
  g_modules[g_module_count].map = found.dlfo_link_map;
  g_modules[g_module_count].id = id;
  g_module_count++;
  return id;
}

void sockscope_names_resolve_locked(sockscope_record *rec, const sockscope_source *source) {
  rec->src_file = intern(source->file, source->file_len);
  rec->src_line = source->line;
  rec->src_func = intern(source->function, source->function_len);
  if (source->caller != NULL) {
    rec->caller = (uint64_t)(uintptr_t)source->caller;
    rec->src_module = module_of(source->caller);
  }
}
