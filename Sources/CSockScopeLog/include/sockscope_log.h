// SockScope per-process event log: the on-disk layout and its writer.
//
// One file per traced process, `DIR/<pid>-<start_ns>.sslog`. The file starts with a fixed
// `sockscope_log_header` (SOCKSCOPE_LOG_HEADER_SIZE bytes), followed by variable-length records.
// Each record (versions 3 and 4) is a `sockscope_record_head`, then one 8-byte word for each of the
// record's fields that is not zero (see enum sockscope_record_word), then `addr_len` address bytes,
// `data_len` payload bytes and `extra_len` bytes of items, padded with zeros to a multiple of 8.
// Versions 1 and 2 stored a whole `sockscope_record` (128 and 160 bytes) where version 3 stores the
// head and its words: a console line's record went from 160 bytes to 56 before its text, and so did
// the pages of log the kernel has to provide. Version 4 leaves out what a reader can work out: an
// event's `seq` (its position among the log's events: the reader counts them) and a `ret` equal to
// `data_len` (SOCKSCOPE_FIELDS_RET_IS_DATA): a console line's record is 40 bytes before its text.
// A record is complete only once its `magic` word reads
// SOCKSCOPE_RECORD_MAGIC: the writer fills the body first and stores the magic last with release
// ordering, so a reader of a file whose writer was killed sees whole records and then zeros.
//
// The file is shared memory (MAP_SHARED) whose blocks are reserved (MADV_POPULATE_WRITE) before use:
// appending is a memcpy, with no system call per event, and a full disk is noticed when space is
// reserved, never as SIGBUS while writing. No descriptor is kept open: the mapping keeps the file
// alive, and growing reaches it by path, so nothing a program does with its descriptors can reach it.
//
// docs/trace-format.md describes this layout for readers; the Swift reader is
// Sources/SockScopeTrace/ProcessLog.swift. Keep all three in step and bump SOCKSCOPE_LOG_VERSION on
// any change of layout, except a header field added in the reserved space whose 0 means "absent"
// (older logs have zeros there, older readers never look).
#ifndef SOCKSCOPE_LOG_H
#define SOCKSCOPE_LOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SOCKSCOPE_LOG_MAGIC "SSCOPLOG"
#define SOCKSCOPE_LOG_VERSION 4u
/// The record size of version 1 logs (before the source and extra fields), which readers still read.
#define SOCKSCOPE_RECORD_V1_SIZE 128u
/// The record size of version 2 logs (a whole `sockscope_record` each), which readers still read.
#define SOCKSCOPE_RECORD_V2_SIZE 160u
#define SOCKSCOPE_LOG_HEADER_SIZE 1024u
#define SOCKSCOPE_RECORD_MAGIC 0x56455353u /* "SSEV" little-endian */
#define SOCKSCOPE_DEFAULT_CAPTURE 256u
/// The longest role a log stores, in bytes of UTF-8 (without the terminating NUL).
#define SOCKSCOPE_ROLE_MAX 63u

/// Lifecycle of a log file, in `sockscope_log_header.state`.
enum sockscope_log_state {
  SOCKSCOPE_LOG_OPEN = 1,   /* being written; still 1 after the process died without closing */
  SOCKSCOPE_LOG_CLOSED = 2, /* sockscope_log_close ran: every record is in the file */
};

/// The calls a record can describe. Values are part of the file format: append only.
enum sockscope_call {
  SOCKSCOPE_CALL_SOCKET = 1,
  SOCKSCOPE_CALL_SOCKETPAIR = 2,
  SOCKSCOPE_CALL_BIND = 3,
  SOCKSCOPE_CALL_LISTEN = 4,
  SOCKSCOPE_CALL_ACCEPT = 5,
  SOCKSCOPE_CALL_ACCEPT4 = 6,
  SOCKSCOPE_CALL_CONNECT = 7,
  SOCKSCOPE_CALL_SEND = 8,
  SOCKSCOPE_CALL_SENDTO = 9,
  SOCKSCOPE_CALL_SENDMSG = 10,
  SOCKSCOPE_CALL_RECV = 11,
  SOCKSCOPE_CALL_RECVFROM = 12,
  SOCKSCOPE_CALL_RECVMSG = 13,
  SOCKSCOPE_CALL_SHUTDOWN = 14,
  SOCKSCOPE_CALL_CLOSE = 15,
  SOCKSCOPE_CALL_UNLINK = 16,
  SOCKSCOPE_CALL_GETSOCKNAME = 17,
  SOCKSCOPE_CALL_GETPEERNAME = 18,
  SOCKSCOPE_CALL_SETSOCKOPT = 19,
  SOCKSCOPE_CALL_READ = 20,
  SOCKSCOPE_CALL_WRITE = 21,
  SOCKSCOPE_CALL_OUTPUT = 22, /* text the program printed (fd 1 or 2): not a socket call */
  SOCKSCOPE_CALL_DUP = 23,
  SOCKSCOPE_CALL_DUP2 = 24,
  SOCKSCOPE_CALL_DUP3 = 25,
  SOCKSCOPE_CALL_FCNTL = 26, /* F_DUPFD and F_DUPFD_CLOEXEC only */
  SOCKSCOPE_CALL_FORK = 27,  /* in the parent: ret is the child's pid */
  SOCKSCOPE_CALL_GETSOCKOPT = 28,
  SOCKSCOPE_CALL_POLL = 29,   /* poll and ppoll */
  SOCKSCOPE_CALL_SELECT = 30, /* select and pselect */
  SOCKSCOPE_CALL_EPOLL_CTL = 31,
  SOCKSCOPE_CALL_EPOLL_WAIT = 32, /* epoll_wait and epoll_pwait */
  SOCKSCOPE_CALL_EXECVE = 33,     /* every exec function; recorded before the call (see exec.c) */
  SOCKSCOPE_CALL_PROGRAM_START = 34, /* a program began in this process holding AF_UNIX sockets
                                        (preload_start.c): the first record of its log */
};

/// Records that are not events (version 2): they name what events refer to by number. They take
/// no sequence number. Their `a0` is the id they define; the name is in the address bytes.
enum sockscope_meta_record {
  /// A string events refer to (a source file, a function): `a0` id (from 1).
  SOCKSCOPE_META_STRING = 0xFF01,
  /// A loaded module (executable or shared object): `a0` id (from 1), `a1` its load bias (what
  /// was added to its ELF addresses), `a2`..`a3` the range of addresses it was mapped at.
  SOCKSCOPE_META_MODULE = 0xFF02,
};

/// Kinds of the call-specific items that follow a record's payload (`extra_len` bytes of
/// `sockscope_item`s), version 2.
enum sockscope_item_kind {
  SOCKSCOPE_ITEM_RIGHT = 1,  /* SCM_RIGHTS: x fd (sender's, or the receiver's new one), y inode */
  SOCKSCOPE_ITEM_CREDS = 2,  /* SCM_CREDENTIALS or SO_PEERCRED: x pid, y uid, z gid */
  SOCKSCOPE_ITEM_CMSG = 3,   /* another control message: x level, y type, z cmsg_len */
  SOCKSCOPE_ITEM_POLLFD = 4, /* poll: x fd, y events asked, z revents */
  SOCKSCOPE_ITEM_SELECT = 5, /* select: x fd, y bits (SOCKSCOPE_SELECT_*) */
  SOCKSCOPE_ITEM_EPOLL = 6,  /* epoll_wait: x fd (-1 when not known), y events, z data */
  SOCKSCOPE_ITEM_CMSG_CUT = 7, /* a control message whose length runs past the buffer: x level,
                                  y type, z cmsg_len as written */
  SOCKSCOPE_ITEM_EXEC_FD = 8,  /* exec: an AF_UNIX socket descriptor the process held: x fd,
                                  y inode, z 1 when close-on-exec (FD_CLOEXEC) */
  SOCKSCOPE_ITEM_HELD_FD = 9,  /* program start: an AF_UNIX socket descriptor the new program
                                  holds: x fd, y inode, z (socket type << 1) | 1 when
                                  close-on-exec */
};

/// Bits of a SOCKSCOPE_ITEM_SELECT item.
enum sockscope_select_bits {
  SOCKSCOPE_SELECT_READ = 1,
  SOCKSCOPE_SELECT_WRITE = 2,
  SOCKSCOPE_SELECT_EXCEPT = 4,
  SOCKSCOPE_SELECT_READY_READ = 8,
  SOCKSCOPE_SELECT_READY_WRITE = 16,
  SOCKSCOPE_SELECT_READY_EXCEPT = 32,
};

/// One call-specific item (32 bytes).
typedef struct sockscope_item {
  int64_t kind; /* enum sockscope_item_kind */
  int64_t x, y, z;
} sockscope_item;

/// The most items one record carries; more are counted in the record's `items_lost`.
#define SOCKSCOPE_MAX_ITEMS 64

/// The file header. Multi-byte fields are native-endian (the reader checks `version`).
typedef struct sockscope_log_header {
  char magic[8];          /* SOCKSCOPE_LOG_MAGIC, no terminator */
  uint32_t version;       /* SOCKSCOPE_LOG_VERSION */
  uint32_t header_size;   /* SOCKSCOPE_LOG_HEADER_SIZE: records start here */
  int32_t pid;
  int32_t ppid;
  uint64_t start_mono_ns; /* CLOCK_MONOTONIC when the log was opened */
  uint64_t start_real_ns; /* CLOCK_REALTIME at the same moment, to place the run in wall time */
  uint32_t capture_limit; /* payload bytes kept per event */
  uint32_t state;         /* enum sockscope_log_state */
  uint64_t dropped;       /* events not written because no space could be reserved */
  char role[SOCKSCOPE_ROLE_MAX + 1]; /* NUL-terminated UTF-8, cut at a character boundary to fit;
                                       may change while the process runs */
  char exe[512];          /* NUL-terminated program path or name */
  uint32_t role_length;   /* the role's full length in bytes when it was cut to fit `role`, else 0 */
  int32_t dropped_errno;  /* why the first of the `dropped` events could not be stored (errno) */
} sockscope_log_header;

/// Bits of `sockscope_record.flags`.
enum sockscope_record_flags {
  /// The socket delivers datagrams (SOCK_DGRAM, SOCK_SEQPACKET): on a receive, `full_len` is the
  /// datagram's real size, which exceeds the return value when the buffer was too small.
  SOCKSCOPE_FLAG_DATAGRAM = 1,
  /// The call's outcome (`ret`, `err`, `dur_ns`) is put in later, by sockscope_log_settle (a call
  /// recorded before it runs, as exec must be): a version 3 or 4 record then keeps the words of
  /// `seq`, `dur_ns`, `ret` and `err` even when they are zero, so that they can be changed in place.
  SOCKSCOPE_FLAG_SETTLED_LATER = 2,
};

/// One event's fixed part, as recorders fill it in and readers get it back. Versions 1 and 2 stored it
/// whole; version 3 stores a `sockscope_record_head` and the fields that are not zero. Arguments
/// a0..a3 mean different things per call; docs/trace-format.md has the table (for example, socket:
/// a0 domain, a1 type, a2 protocol).
typedef struct sockscope_record {
  uint32_t magic;    /* SOCKSCOPE_RECORD_MAGIC once complete */
  uint32_t size;     /* whole record with address, payload and padding; a multiple of 8 */
  uint64_t seq;      /* per-process sequence number, from 0 */
  uint64_t t_ns;     /* CLOCK_MONOTONIC at call start */
  uint64_t dur_ns;   /* time spent in the call */
  int32_t tid;
  uint16_t call;     /* enum sockscope_call */
  uint16_t flags;    /* SOCKSCOPE_FLAG_* */
  int32_t fd;        /* the descriptor acted on, or -1 */
  int32_t err;       /* errno when the call failed, else 0 */
  int64_t ret;       /* return value as the program saw it */
  int64_t a0, a1, a2, a3;
  uint64_t sock_ino; /* sockfs inode of `fd` (0 when unknown) */
  uint64_t peer_ino; /* sockfs inode of the connected peer (0 when none or unknown) */
  uint64_t path_ino; /* inode of the file at the address's path (bind, connect, sendto, sendmsg,
                        unlink) */
  uint64_t full_len; /* full length of the data the call moved; for recv: the datagram's real size */
  uint32_t addr_len; /* bytes of sun_path that follow (abstract names start with NUL) */
  uint32_t data_len; /* captured payload bytes that follow the address */
  /* Version 2. Where the call was made: */
  uint64_t caller;     /* return address into the program (native code), 0 when unknown */
  uint32_t src_module; /* id of the SOCKSCOPE_META_MODULE `caller` lies in, 0 when unknown */
  uint32_t src_file;   /* id of the SOCKSCOPE_META_STRING naming the source file, 0 when unknown */
  uint32_t src_line;   /* line in that file, 0 when unknown */
  uint32_t src_func;   /* id of the SOCKSCOPE_META_STRING naming the function, 0 when unknown */
  uint32_t extra_len;  /* bytes of sockscope_item that follow the payload */
  uint32_t items_lost; /* items the call had beyond SOCKSCOPE_MAX_ITEMS (not stored) */
} sockscope_record;

/// Versions 3 and 4: the part of every record that is always stored (32 bytes). The fields of
/// `sockscope_record` that it lacks follow as 8-byte words, one for each bit of `fields` below
/// SOCKSCOPE_FIELDS_WORDS, in the order of the bits; a field whose word is absent is zero, except
/// in version 4 an event's `seq` (its position among the log's events) and, with
/// SOCKSCOPE_FIELDS_RET_IS_DATA, `ret` (`data_len`).
typedef struct sockscope_record_head {
  uint32_t magic; /* SOCKSCOPE_RECORD_MAGIC once complete */
  uint32_t size;  /* whole record with its words, address, payload, items and padding */
  uint64_t t_ns;
  int32_t tid;
  uint16_t call;
  uint16_t flags;
  int32_t fd;
  uint32_t fields; /* 1 << enum sockscope_record_word for each word present; SOCKSCOPE_FIELDS_* */
} sockscope_record_head;

/// The words a version 3 record may carry, as bit numbers of `sockscope_record_head.fields`. A word
/// of two 32-bit fields holds the first in its low half. Append only: a reader skips the words of
/// bits it does not know (every bit below SOCKSCOPE_FIELDS_WORDS stands for one 8-byte word).
enum sockscope_record_word {
  SOCKSCOPE_WORD_SEQ = 0,
  SOCKSCOPE_WORD_DUR = 1,
  SOCKSCOPE_WORD_RET = 2,
  SOCKSCOPE_WORD_ERR = 3, /* err, items_lost */
  SOCKSCOPE_WORD_A0 = 4,
  SOCKSCOPE_WORD_A1 = 5,
  SOCKSCOPE_WORD_A2 = 6,
  SOCKSCOPE_WORD_A3 = 7,
  SOCKSCOPE_WORD_SOCK_INO = 8,
  SOCKSCOPE_WORD_PEER_INO = 9,
  SOCKSCOPE_WORD_PATH_INO = 10,
  SOCKSCOPE_WORD_FULL_LEN = 11,
  SOCKSCOPE_WORD_LENGTHS = 12, /* addr_len, data_len */
  SOCKSCOPE_WORD_EXTRA = 13,   /* extra_len, src_line */
  SOCKSCOPE_WORD_CALLER = 14,
  SOCKSCOPE_WORD_MODULE = 15, /* src_module, src_file */
  SOCKSCOPE_WORD_FUNC = 16,   /* src_func, 0 */
  SOCKSCOPE_WORD_COUNT = 17,
};

/// Bits of `fields` below this one stand for words.
#define SOCKSCOPE_FIELDS_WORDS (1u << 24)
/// `full_len` equals `ret` (a send, a receive or a console line that moved all it had): no word.
#define SOCKSCOPE_FIELDS_FULL_IS_RET (1u << 31)
/// Version 4: `ret` equals `data_len` (a send, a receive or a console line whose payload was kept
/// whole): no word. (Without it, and without a `ret` word, `ret` is 0.)
#define SOCKSCOPE_FIELDS_RET_IS_DATA (1u << 30)

/// Where a call was made, as a recorder knows it before the names are interned. The names must stay
/// valid and unchanged for the life of the process (string literals; names a cache keeps alive):
/// the log recognises a name it has seen by its address.
typedef struct sockscope_source {
  const char *file; /* not NUL-terminated: `file_len` bytes */
  uint32_t file_len;
  uint32_t line;
  const char *function;
  uint32_t function_len;
  const void *caller; /* a return address into native code, or NULL */
} sockscope_source;

/// Opens `dir/<pid>-<start>.sslog` for this process. Returns 0, or -errno (EEXIST when a log is
/// already open in this process, or the error from creating or reserving the file).
int sockscope_log_open(const char *dir, const char *role, uint32_t capture_limit);

/// Whether a log is open in this process (cheap; safe from any thread).
int sockscope_log_is_open(void);

/// Changes the role stored in the header (cut at a character boundary to SOCKSCOPE_ROLE_MAX bytes,
/// with its full length noted in `role_length`).
void sockscope_log_set_role(const char *role);

/// The length of the longest prefix of the NUL-terminated `text` that is at most `limit` bytes and
/// does not end inside a UTF-8 character.
size_t sockscope_utf8_prefix(const char *text, size_t limit);

/// `length` less a UTF-8 character cut short at the end of `text[0..<length]` (the kernel cuts a
/// program's name to 15 bytes without regard to characters), so that what is kept is whole.
size_t sockscope_utf8_complete(const char *text, size_t length);

/// Payload bytes kept per event (0 when no log is open).
uint32_t sockscope_log_capture_limit(void);

/// Appends one record. `rec->magic`, `size` and `seq` are filled in here; `data_len` is clipped to
/// the capture limit. Returns 0, or -errno when the event could not be stored (it is counted in
/// `dropped`). Thread-safe.
int sockscope_log_append(sockscope_record *rec, const void *addr, uint32_t addr_len, const void *data,
                         uint32_t data_len);

/// Appends one record with its source (interning the file and function names, and the module of
/// `caller`, as META records written before it) and `count` call-specific items after the payload.
/// `source` and `items` may be NULL. Returns 0 or -errno, like sockscope_log_append.
int sockscope_log_append_full(sockscope_record *rec, const void *addr, uint32_t addr_len, const void *data,
                              uint32_t data_len, const sockscope_source *source, const sockscope_item *items,
                              uint32_t count);

/// Appends an `output` record: `len` bytes the program printed on `fd` (1 or 2), timed now (one
/// clock read; `ret` and `full_len` are `len`). Returns 0 or -errno, like sockscope_log_append.
int sockscope_log_output(int fd, const void *data, size_t len);

struct msghdr;
struct pollfd;

/// Control messages of `msg` as items: SCM_RIGHTS descriptors (with the inode of what each refers
/// to), credentials, others by level and type; a header running past the buffer as cut. Writes at
/// most `cap` items and returns their number; `*lost` counts those that did not fit. Used by both
/// recorders, after recvmsg returned (so the descriptors are the receiver's new ones).
uint32_t sockscope_control_items(const struct msghdr *msg, sockscope_item *items, uint32_t cap, uint32_t *lost);

/// The descriptors of a poll as items (fd, events, revents; revents only when `ret` > 0).
uint32_t sockscope_poll_items(const struct pollfd *fds, unsigned long nfds, int ret, sockscope_item *items,
                              uint32_t cap, uint32_t *lost);

/// Whether events record their source (1 unless the environment had SOCKSCOPE_SOURCE=0 when the log
/// was opened: a switch to measure what source lines cost).
int sockscope_log_sources(void);

/// Whether a log is open and this process opened it (not a vfork child sharing its parent's memory).
int sockscope_log_owned(void);

/// Puts the outcome of the call recorded as event `seq` of kind `call`, appended with
/// SOCKSCOPE_FLAG_SETTLED_LATER, into its record (an exec is recorded before it runs, as having
/// succeeded, and settled here when it returned an error). Returns 0, or -ENOENT when the log holds
/// no such record (or holds it without that flag, so without room for the outcome).
int sockscope_log_settle(uint64_t seq, uint16_t call, int64_t ret, int32_t err, uint64_t dur_ns);

/// Marks the log closed and trims it to its used length. Registered with atexit by open.
void sockscope_log_close(void);

/// The path of the open log, or NULL.
const char *sockscope_log_path(void);

/// Reopens a fresh log for the current process after fork (same directory, role and limit).
/// Returns 0 or -errno.
int sockscope_log_reopen_after_fork(void);

/// The calling thread's id, cached per thread so that recording costs no gettid(2) per event.
int32_t sockscope_thread_id(void);

/// CLOCK_MONOTONIC in nanoseconds (vDSO: no system call).
uint64_t sockscope_now_ns(void);

/// The sockfs inode of `fd` when it is a socket, else 0.
uint64_t sockscope_socket_inode(int fd);

/// The socket type (SOCK_DGRAM, SOCK_STREAM, ...) of `fd`, or 0.
int sockscope_socket_type(int fd);

/// The sockfs inode of the peer of the AF_UNIX socket whose inode is `ino`, asked of the kernel
/// through NETLINK_SOCK_DIAG (as `ss -x` and `strace -yy` do). 0 when it has none or on error.
uint64_t sockscope_unix_peer_inode(uint64_t ino);

/// The inode of the file at `path` itself (lstat: a symbolic link is not followed), or 0. For
/// unlink, which removes the name, not what it points to.
uint64_t sockscope_path_inode(const char *path);

/// The inode of the socket file a connect or sendto to `path` reaches (stat: symbolic links are
/// followed, as the kernel's unix_find_bsd follows them), or 0.
uint64_t sockscope_socket_path_inode(const char *path);

struct sockaddr;
/// accept4(2), which Glibc declares only under _GNU_SOURCE.
int sockscope_accept4(int fd, struct sockaddr *addr, unsigned int *len, int flags);

/// The symbolic name of an errno value ("ENOENT"), or NULL when unknown.
const char *sockscope_errno_name(int err);

/// Cached facts about a socket descriptor, so that send and recv need no extra system call.
typedef struct sockscope_fd_info {
  uint64_t ino;
  uint64_t peer;
  int32_t type;
  int32_t domain;
} sockscope_fd_info;

/// Returns the cache entry for `fd` (zeroed when unknown), or NULL when fd is beyond the cache.
sockscope_fd_info *sockscope_fd_slot(int fd);

/// Forgets what is cached for `fd` (after close).
void sockscope_fd_forget(int fd);

/// Forgets what is cached for descriptors `first` to `last` inclusive (after close_range).
void sockscope_fd_forget_range(unsigned int first, unsigned int last);

#ifdef __cplusplus
}
#endif

#endif
