// The log's records: how a call becomes bytes in the mapped log (version 4 records: a head, the
// words that are not zero, address, payload, items), and the two ways back into them (settling a
// call whose result came later, and where a record's address is). The file, its mapping and its
// space are log.c's; both work under the log's lock.
#define _GNU_SOURCE
#include "sockscope_log.h"
#include "log_internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

// A record's words (version 4): the fields of `rec` the head lacks, those that are zero or that the
// reader works out left out.
// Fills `words` in file order and returns how many there are; `*fields` says which.
static uint32_t pack_words(const sockscope_record *rec, uint64_t words[SOCKSCOPE_WORD_COUNT], uint32_t *fields) {
  uint64_t all[SOCKSCOPE_WORD_COUNT] = {
      [SOCKSCOPE_WORD_SEQ] = rec->seq,
      [SOCKSCOPE_WORD_DUR] = rec->dur_ns,
      [SOCKSCOPE_WORD_RET] = (uint64_t)rec->ret,
      [SOCKSCOPE_WORD_ERR] = (uint32_t)rec->err | (uint64_t)rec->items_lost << 32,
      [SOCKSCOPE_WORD_A0] = (uint64_t)rec->a0,
      [SOCKSCOPE_WORD_A1] = (uint64_t)rec->a1,
      [SOCKSCOPE_WORD_A2] = (uint64_t)rec->a2,
      [SOCKSCOPE_WORD_A3] = (uint64_t)rec->a3,
      [SOCKSCOPE_WORD_SOCK_INO] = rec->sock_ino,
      [SOCKSCOPE_WORD_PEER_INO] = rec->peer_ino,
      [SOCKSCOPE_WORD_PATH_INO] = rec->path_ino,
      [SOCKSCOPE_WORD_FULL_LEN] = rec->full_len,
      [SOCKSCOPE_WORD_LENGTHS] = rec->addr_len | (uint64_t)rec->data_len << 32,
      [SOCKSCOPE_WORD_EXTRA] = rec->extra_len | (uint64_t)rec->src_line << 32,
      [SOCKSCOPE_WORD_CALLER] = rec->caller,
      [SOCKSCOPE_WORD_MODULE] = rec->src_module | (uint64_t)rec->src_file << 32,
      [SOCKSCOPE_WORD_FUNC] = rec->src_func,
  };
  uint32_t bits = 0;
  uint32_t kept = 0; /* words stored even when zero */
  if (rec->flags & SOCKSCOPE_FLAG_SETTLED_LATER) {
    kept = 1u << SOCKSCOPE_WORD_SEQ | 1u << SOCKSCOPE_WORD_DUR | 1u << SOCKSCOPE_WORD_RET | 1u << SOCKSCOPE_WORD_ERR;
  } else {
    // Version 4: what the reader can work out is left out. `seq` is the event's position among the
    // log's events (events are stored in the order of their numbers, and a META record takes none).
    all[SOCKSCOPE_WORD_SEQ] = 0;
    if (rec->full_len != 0 && rec->full_len == (uint64_t)rec->ret) {
      all[SOCKSCOPE_WORD_FULL_LEN] = 0;
      bits |= SOCKSCOPE_FIELDS_FULL_IS_RET;
    }
    if (rec->ret > 0 && (uint64_t)rec->ret == rec->data_len) {
      all[SOCKSCOPE_WORD_RET] = 0;
      bits |= SOCKSCOPE_FIELDS_RET_IS_DATA;
    }
  }
  // Without a branch per word (which one is present varies record by record): `words[n]` is
  // written always (n <= i) and kept only when the word is present.
  uint32_t n = 0;
  for (uint32_t i = 0; i < SOCKSCOPE_WORD_COUNT; i++) {
    uint32_t present = all[i] != 0 || (kept >> i & 1u);
    words[n] = all[i];
    n += present;
    bits |= present << i;
  }
  *fields = bits;
  return n;
}

// Called with the lock held: stores one record (event or META) with its address, payload and
// items. Returns 0 or -errno (the event is counted in `dropped`).
int sockscope_log_append_locked(sockscope_record *rec, const void *addr, uint32_t addr_len, const void *data,
                                uint32_t data_len, const sockscope_item *items, uint32_t count) {
  if (g_sockscope_log.base == NULL) return -EBADF;
  if (addr == NULL) addr_len = 0;
  if (data == NULL) data_len = 0;
  if (items == NULL) count = 0;
  size_t extra = (size_t)count * sizeof(sockscope_item);
  rec->addr_len = addr_len;
  rec->data_len = data_len;
  rec->extra_len = (uint32_t)extra;
  int is_event = rec->call < SOCKSCOPE_META_STRING;
  rec->seq = is_event ? g_sockscope_log.seq : 0;
  uint64_t words[SOCKSCOPE_WORD_COUNT];
  uint32_t fields;
  uint32_t nwords = pack_words(rec, words, &fields);
  size_t head = sizeof(sockscope_record_head) + (size_t)nwords * 8;
  size_t body = head + addr_len + data_len + extra;
  size_t size = (body + 7) & ~(size_t)7;
  int err = sockscope_log_room_locked(size);
  if (err != 0) return err;
  if (is_event) g_sockscope_log.seq++;
  uint8_t *at = g_sockscope_log.base + g_sockscope_log.used;
  // The padding (under 8 bytes) is zeroed by one word stored first, which the body then covers.
  memset(at + size - 8, 0, 8);
  sockscope_record_head h = {
      .magic = 0,
      .size = (uint32_t)size,
      .t_ns = rec->t_ns,
      .tid = rec->tid,
      .call = rec->call,
      .flags = rec->flags,
      .fd = rec->fd,
      .fields = fields,
  };
  rec->magic = 0;
  rec->size = (uint32_t)size;
  memcpy(at, &h, sizeof h);
  uint8_t *p = at + sizeof h;
  memcpy(p, words, (size_t)nwords * 8);
  p += (size_t)nwords * 8;
  if (addr_len) memcpy(p, addr, addr_len);
  p += addr_len;
  if (data_len) memcpy(p, data, data_len);
  p += data_len;
  if (extra) memcpy(p, items, extra);
  // The commit point: a reader that sees the magic sees everything written above.
  __atomic_store_n((uint32_t *)at, SOCKSCOPE_RECORD_MAGIC, __ATOMIC_RELEASE);
  g_sockscope_log.used += size;
  return 0;
}

const uint8_t *sockscope_log_address_at_locked(size_t offset) {
  const sockscope_record_head *h = (const sockscope_record_head *)(g_sockscope_log.base + offset);
  return (const uint8_t *)(h + 1) + 8 * (size_t)__builtin_popcount(h->fields & (SOCKSCOPE_FIELDS_WORDS - 1));
}

size_t sockscope_log_used_locked(void) { return g_sockscope_log.used; }

const char *sockscope_log_exe_locked(void) { return g_sockscope_log.base != NULL ? sockscope_log_header_locked()->exe : ""; }

int sockscope_log_append(sockscope_record *rec, const void *addr, uint32_t addr_len, const void *data,
                         uint32_t data_len) {
  return sockscope_log_append_full(rec, addr, addr_len, data, data_len, NULL, NULL, 0);
}

int sockscope_log_append_full(sockscope_record *rec, const void *addr, uint32_t addr_len, const void *data,
                              uint32_t data_len, const sockscope_source *source, const sockscope_item *items,
                              uint32_t count) {
  if (!sockscope_log_is_open()) return -EBADF;
  if (data_len > g_sockscope_log.capture_limit) data_len = g_sockscope_log.capture_limit;
  if (count > SOCKSCOPE_MAX_ITEMS) {
    rec->items_lost += count - SOCKSCOPE_MAX_ITEMS;
    count = SOCKSCOPE_MAX_ITEMS;
  }
  pthread_mutex_lock(&g_sockscope_log.lock);
  if (source != NULL && g_sockscope_log_sources && g_sockscope_log.base != NULL) sockscope_names_resolve_locked(rec, source);
  int err = sockscope_log_append_locked(rec, addr, addr_len, data, data_len, items, count);
  pthread_mutex_unlock(&g_sockscope_log.lock);
  return err;
}

// The place of word `word` in the version 3 record at `at`, or NULL when the record lacks it.
static uint64_t *word_at(uint8_t *at, enum sockscope_record_word word) {
  const sockscope_record_head *h = (const sockscope_record_head *)at;
  if (!(h->fields & 1u << word)) return NULL;
  return (uint64_t *)(at + sizeof *h) + __builtin_popcount(h->fields & ((1u << word) - 1));
}

int sockscope_log_settle(uint64_t seq, uint16_t call, int64_t ret, int32_t err, uint64_t dur_ns) {
  int found = -ENOENT;
  pthread_mutex_lock(&g_sockscope_log.lock);
  // Records can only be walked from the start; a call settled later (a failed exec) is rare.
  size_t at = SOCKSCOPE_LOG_HEADER_SIZE;
  while (g_sockscope_log.base != NULL && at + sizeof(sockscope_record_head) <= g_sockscope_log.used) {
    uint8_t *p = g_sockscope_log.base + at;
    const sockscope_record_head *h = (const sockscope_record_head *)p;
    if (h->size == 0) break;
    uint64_t *seq_word = word_at(p, SOCKSCOPE_WORD_SEQ);
    if (h->call == call && (h->flags & SOCKSCOPE_FLAG_SETTLED_LATER) && seq_word != NULL && *seq_word == seq) {
      *word_at(p, SOCKSCOPE_WORD_RET) = (uint64_t)ret;
      uint64_t *err_word = word_at(p, SOCKSCOPE_WORD_ERR);
      *err_word = (*err_word & ~(uint64_t)UINT32_MAX) | (uint32_t)err;
      *word_at(p, SOCKSCOPE_WORD_DUR) = dur_ns;
      found = 0;
      break;
    }
    at += h->size;
  }
  pthread_mutex_unlock(&g_sockscope_log.lock);
  return found;
}

int sockscope_log_output(int fd, const void *data, size_t len) {
  if (!sockscope_log_is_open()) return -EBADF;
  uint64_t t_ns = sockscope_now_ns();
  int32_t tid = sockscope_thread_id();
  if (data == NULL || len == 0 || len > g_sockscope_log.capture_limit) {
    // Cut or empty: the general path says so with `ret` and `full_len` words.
    sockscope_record rec = {0};
    rec.t_ns = t_ns;
    rec.tid = tid;
    rec.call = SOCKSCOPE_CALL_OUTPUT;
    rec.fd = fd;
    rec.ret = (int64_t)len;
    rec.full_len = len;
    return sockscope_log_append(&rec, NULL, 0, data, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
  }
  // A console line kept whole (the echo pair prints five a line): the record the general path
  // would store — the head and one word of lengths; ret and full_len are data_len — written
  // directly, without building and packing a whole sockscope_record.
  size_t body = sizeof(sockscope_record_head) + 8 + len;
  size_t size = (body + 7) & ~(size_t)7;
  pthread_mutex_lock(&g_sockscope_log.lock);
  int err = g_sockscope_log.base == NULL ? -EBADF : sockscope_log_room_locked(size);
  if (err == 0) {
    g_sockscope_log.seq++;
    uint8_t *at = g_sockscope_log.base + g_sockscope_log.used;
    memset(at + size - 8, 0, 8); /* the padding, as above */
    sockscope_record_head h = {
        .magic = 0,
        .size = (uint32_t)size,
        .t_ns = t_ns,
        .tid = tid,
        .call = SOCKSCOPE_CALL_OUTPUT,
        .flags = 0,
        .fd = fd,
        .fields = 1u << SOCKSCOPE_WORD_LENGTHS | SOCKSCOPE_FIELDS_RET_IS_DATA | SOCKSCOPE_FIELDS_FULL_IS_RET,
    };
    uint64_t lengths = (uint64_t)len << 32; /* addr_len 0, data_len */
    memcpy(at, &h, sizeof h);
    memcpy(at + sizeof h, &lengths, 8);
    memcpy(at + sizeof h + 8, data, len);
    __atomic_store_n((uint32_t *)at, SOCKSCOPE_RECORD_MAGIC, __ATOMIC_RELEASE);
    g_sockscope_log.used += size;
  }
  pthread_mutex_unlock(&g_sockscope_log.lock);
  return err;
}
