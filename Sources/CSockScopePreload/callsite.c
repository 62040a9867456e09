// Where a recorded call was made. For native code: the return address of the hook the program
// called, stored raw; the merge turns it into file:line:function from the module's debug
// information (not here: the hot path pays one thread-local store). For a Python program: the
// file, line and function of the innermost Python frame outside the stdlib's socket.py.
//
// Python calls send/recv with the GIL released, and taking it back once per call was most of what
// source lines cost (docs/performance-notes.md). On CPython 3.11 the thread's frames are read
// without the GIL (below): a thread's frame stack is changed only by that thread, and this one is
// inside our hook; nothing is allocated and no reference count is touched. What
// a frame's code object means (file, function, the line of an instruction) comes from caches that
// are filled with the GIL held and read without it. Only a miss takes the GIL: once per code
// object and once per call site.
//
// The GIL is taken only after the real call returned, before the log's lock is taken (a thread
// holding the GIL may be in a hook waiting for that lock: taking them the other way round could
// deadlock), and only when all of these hold, so a recorded program behaves as an unrecorded one:
// - the process is a Python interpreter (its C API is found with dlsym) that is initialised and
//   not finalising (a thread that takes the GIL during finalisation is ended);
// - the thread already has a Python thread state (a thread started by C code gets none: the API
//   would create one);
// - the call came from Python's `_socket` or `select` extension module, or it is not a read, write
//   or send (close, unlink, dup, fork from the os module). Python's own C signal handler writes to
//   the wakeup descriptor (a socket under asyncio) from libpython: taking the GIL inside a signal
//   handler could deadlock, and such writes are not socket method calls.
// On other Python versions, or when 3.11's layout does not check out, the frames are read with the
// GIL held, through the public API.
//
// Everything read from a code object is cached per code object, with a reference held so that the
// object (and its address) is never reused while cached.
#define _GNU_SOURCE
#include "preload_internal.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/types.h>

typedef void PyObject;

static struct {
  int (*is_initialized)(void);
  int (*is_finalizing)(void);
  void *(*this_thread_state)(void);
  int (*ensure)(void);
  void (*release)(int);
  PyObject *(*current_frame)(void);
  int (*line_number)(PyObject *);
  int (*last_instruction)(PyObject *); /* PyFrame_GetLasti (3.11); NULL when missing */
  PyObject *(*frame_code)(PyObject *);
  PyObject *(*frame_back)(PyObject *);
  PyObject *(*get_attr)(PyObject *, const char *);
  const char *(*utf8)(PyObject *, ssize_t *);
  void (*incref)(PyObject *);
  void (*decref)(PyObject *);
  void (*fetch)(PyObject **, PyObject **, PyObject **);
  void (*restore)(PyObject *, PyObject *, PyObject *);
  int (*addr2line)(PyObject *, int); /* PyCode_Addr2Line */
} py;

static pthread_once_t g_python_once = PTHREAD_ONCE_INIT;
static int g_python; /* the whole API was found */
static int g_frames_311; /* 3.11's frames read directly: 1 checked, 0 not checked yet, -1 never */

#define LOOK_UP(field, name) (*(void **)&py.field = dlsym(RTLD_DEFAULT, name)) != NULL

static void find_python(void) {
  g_python = LOOK_UP(is_initialized, "Py_IsInitialized") && LOOK_UP(is_finalizing, "_Py_IsFinalizing") &&
             LOOK_UP(this_thread_state, "PyGILState_GetThisThreadState") &&
             LOOK_UP(ensure, "PyGILState_Ensure") && LOOK_UP(release, "PyGILState_Release") &&
             LOOK_UP(current_frame, "PyEval_GetFrame") && LOOK_UP(line_number, "PyFrame_GetLineNumber") &&
             LOOK_UP(frame_code, "PyFrame_GetCode") && LOOK_UP(frame_back, "PyFrame_GetBack") &&
             LOOK_UP(get_attr, "PyObject_GetAttrString") && LOOK_UP(utf8, "PyUnicode_AsUTF8AndSize") &&
             LOOK_UP(incref, "Py_IncRef") && LOOK_UP(decref, "Py_DecRef") && LOOK_UP(fetch, "PyErr_Fetch") &&
             LOOK_UP(restore, "PyErr_Restore");
  *(void **)&py.last_instruction = dlsym(RTLD_DEFAULT, "PyFrame_GetLasti");
  const unsigned long *version = dlsym(RTLD_DEFAULT, "Py_Version"); /* 3.11 and later */
  g_frames_311 = version != NULL && *version >> 16 == 0x030B && py.last_instruction != NULL &&
                         LOOK_UP(addr2line, "PyCode_Addr2Line")
                     ? 0
                     : -1;
}

// Whether `caller` lies in Python's _socket or select extension module. The answer is cached per
// module mapping (a couple of entries: the calls come from one or two modules).
static int from_socket_module(const void *caller) {
  // Initial-exec TLS: the interposer is loaded at start-up (LD_PRELOAD), so this sits in the static
  // TLS block and is reached without a __tls_get_addr call per hook.
  static __thread __attribute__((tls_model("initial-exec"))) struct {
    uintptr_t start[2], end[2];
    int answer[2];
  } t_seen;
  uintptr_t at = (uintptr_t)caller;
  for (int i = 0; i < 2; i++)
    if (at >= t_seen.start[i] && at < t_seen.end[i]) return t_seen.answer[i];
  struct dl_find_object found;
  if (_dl_find_object((void *)caller, &found) != 0) return 0;
  const struct link_map *map = found.dlfo_link_map;
  const char *name = map != NULL && map->l_name != NULL ? map->l_name : "";
  const char *base = strrchr(name, '/');
  base = base != NULL ? base + 1 : name;
  int answer = strncmp(base, "_socket.", 8) == 0 || strncmp(base, "select.", 7) == 0;
  t_seen.start[1] = t_seen.start[0], t_seen.end[1] = t_seen.end[0], t_seen.answer[1] = t_seen.answer[0];
  t_seen.start[0] = (uintptr_t)found.dlfo_map_start, t_seen.end[0] = (uintptr_t)found.dlfo_map_end;
  t_seen.answer[0] = answer;
  return answer;
}

#define LINE_BITS 5
#define LINE_SLOTS (1 << LINE_BITS)
#define LINE_PROBES 4

// What is kept of a code object. Written with the GIL held; read with or without it: `code` is
// published last (release) and never changes again, and each line entry is one atomic word.
typedef struct {
  PyObject *code; /* referenced: never freed while cached */
  const char *file, *function;
  ssize_t file_len, function_len;
  int skip; /* the stdlib's socket.py: look at its caller instead */
  // Lines of the instructions asked about, (instruction + 1) << 32 | line: the line table is
  // walked from the code's start on each lookup (most of the cost in a long script), and a loop
  // asks the same ones.
  uint64_t lines[LINE_SLOTS];
} code_info;

#define CODE_SLOTS 512
static code_info g_codes[CODE_SLOTS];

static int is_stdlib_socket_module(const char *file, ssize_t n) {
  return n >= 10 && memcmp(file + n - 10, "/socket.py", 10) == 0 && memmem(file, (size_t)n, "/lib/python", 11);
}

static uint64_t code_hash(const PyObject *code) { return ((uintptr_t)code >> 4) * 0x9E3779B97F4A7C15u; }

// Without the GIL: the cached facts of `code`, or NULL when it is not cached (yet).
static code_info *py_cached_code(const PyObject *code) {
  uint64_t h = code_hash(code);
  for (unsigned probe = 0; probe < 8; probe++) {
    code_info *slot = &g_codes[(h + probe) % CODE_SLOTS];
    PyObject *seen = __atomic_load_n(&slot->code, __ATOMIC_ACQUIRE);
    if (seen == code) return slot;
    if (seen == NULL) return NULL;
  }
  return NULL;
}

// With the GIL held: the cached facts of `code`, cached now if need be (NULL when the cache is
// full or a name is missing: the names must stay alive for good, since the log knows a name by its
// address).
static code_info *py_describe_code(PyObject *code) {
  uint64_t h = code_hash(code);
  for (unsigned probe = 0; probe < 8; probe++) {
    code_info *slot = &g_codes[(h + probe) % CODE_SLOTS];
    if (slot->code == code) return slot;
    if (slot->code != NULL) continue;
    // A miss: read the names through attribute lookups, with any pending exception put aside
    // and restored, so the program's error state is what it was.
    PyObject *type, *value, *traceback;
    py.fetch(&type, &value, &traceback);
    PyObject *file = py.get_attr(code, "co_filename");
    PyObject *name = py.get_attr(code, "co_qualname");
    const char *file_utf8 = NULL, *name_utf8 = NULL;
    ssize_t file_len = 0, name_len = 0;
    if (file != NULL) file_utf8 = py.utf8(file, &file_len);
    if (name != NULL) name_utf8 = py.utf8(name, &name_len);
    py.restore(type, value, traceback); /* also clears whatever the lookups raised */
    if (file_utf8 == NULL) {
      if (file) py.decref(file);
      if (name) py.decref(name);
      return NULL;
    }
    // The strings stay referenced with the code object (their UTF-8 is cached inside them).
    py.incref(code);
    slot->file = file_utf8, slot->file_len = file_len;
    slot->function = name_utf8, slot->function_len = name_utf8 != NULL ? name_len : 0;
    slot->skip = is_stdlib_socket_module(file_utf8, file_len);
    __atomic_store_n(&slot->code, code, __ATOMIC_RELEASE);
    return slot;
  }
  return NULL;
}

// An instruction's line entry is one of LINE_PROBES slots from its hash on.
static unsigned line_slot(int instruction) { return ((uint32_t)instruction * 0x9E3779B1u) >> (32 - LINE_BITS); }

// Without the GIL: the cached line of `instruction` in `info`'s code; returns whether it is cached.
static int py_cached_line(const code_info *info, int instruction, int *line) {
  if (instruction < 0) return 0;
  for (unsigned probe = 0, at = line_slot(instruction); probe < LINE_PROBES; probe++) {
    uint64_t entry = __atomic_load_n(&info->lines[(at + probe) % LINE_SLOTS], __ATOMIC_RELAXED);
    if (entry >> 32 == (uint64_t)instruction + 1) {
      *line = (int)(uint32_t)entry;
      return 1;
    }
    if (entry == 0) return 0;
  }
  return 0;
}

// With the GIL held: caches `line` as the line of `instruction` (in a free slot; when there is
// none, in place of one of the others).
static void py_cache_line(code_info *info, int instruction, int line) {
  if (instruction < 0) return;
  uint64_t entry = ((uint64_t)instruction + 1) << 32 | (uint32_t)line;
  unsigned at = line_slot(instruction), probe = 0;
  while (probe < LINE_PROBES && info->lines[(at + probe) % LINE_SLOTS] != 0) probe++;
  if (probe == LINE_PROBES) probe = (unsigned)instruction % LINE_PROBES;
  __atomic_store_n(&info->lines[(at + probe) % LINE_SLOTS], entry, __ATOMIC_RELAXED);
}

static void py_fill(sockscope_source *source, const code_info *info, int line) {
  // The names are the UTF-8 the code objects' strings keep: the cache holds them for good.
  source->file = info->file;
  source->file_len = (uint32_t)info->file_len;
  source->function = info->function;
  source->function_len = (uint32_t)info->function_len;
  source->line = line > 0 ? (uint32_t)line : 0;
}

// The line `frame` is at, from the code's cache when its instruction was seen before.
static int line_of(code_info *info, PyObject *frame) {
  if (py.last_instruction == NULL) return py.line_number(frame);
  int lasti = py.last_instruction(frame), line;
  if (lasti >= 0 && py_cached_line(info, lasti, &line)) return line;
  line = py.line_number(frame);
  if (lasti >= 0) py_cache_line(info, lasti, line);
  return line;
}

// With the GIL taken here, through the public API (Python other than 3.11): the Python frame of
// the call. Returns whether one was found.
static int python_site_api(sockscope_source *source) {
  int state = py.ensure();
  int found = 0;
  PyObject *frame = py.current_frame(); /* borrowed */
  if (frame != NULL) py.incref(frame);
  for (int depth = 0; frame != NULL && depth < 16; depth++) {
    PyObject *code = py.frame_code(frame);
    code_info *info = code != NULL ? py_describe_code(code) : NULL;
    if (code != NULL) py.decref(code);
    if (info == NULL) break; /* a frame not described: its caller is not the call's line */
    if (!info->skip) {
      py_fill(source, info, line_of(info, frame));
      found = 1;
      break;
    }
    PyObject *back = py.frame_back(frame);
    py.decref(frame);
    frame = back;
  }
  if (frame != NULL) py.decref(frame);
  py.release(state);
  return found;
}

// CPython 3.11's frame stack, read directly. Offsets on LP64 targets, the same from 3.11.0 to
// 3.11.x: PyThreadState.cframe (Include/cpython/pystate.h), _PyCFrame.current_frame;
// _PyInterpreterFrame's f_code, previous, prev_instr, owner (Include/internal/pycore_frame.h);
// PyCodeObject's co_filename, co_qualname, _co_firsttraceable, co_code_adaptive
// (Include/cpython/code.h). They are compared with the public API's answers once, with the GIL
// held, before they are used (py311_check), and a test compares them with the installed headers.
enum {
  THREAD_CFRAME = 56,
  CFRAME_CURRENT_FRAME = 8,
  FRAME_CODE = 32,
  FRAME_PREVIOUS = 48,
  FRAME_PREV_INSTR = 56,
  FRAME_OWNER = 69,
  CODE_FILENAME = 112,
  CODE_QUALNAME = 128,
  CODE_FIRST_TRACEABLE = 168,
  CODE_INSTRUCTIONS = 184,
  OWNED_BY_GENERATOR = 1,
};

#define FIELD(base, offset, type) (*(type const *)((const char *)(base) + (offset)))

static const void *innermost_frame(const void *thread) {
  const void *cframe = FIELD(thread, THREAD_CFRAME, const void *);
  return cframe != NULL ? FIELD(cframe, CFRAME_CURRENT_FRAME, const void *) : NULL;
}

// The first complete frame from `frame` outwards, and its instruction (in code units). A frame
// that has not reached its first traceable instruction is skipped, as the API skips it
// (_PyFrame_IsIncomplete).
static const void *complete_frame(const void *frame, int *instruction) {
  for (; frame != NULL; frame = FIELD(frame, FRAME_PREVIOUS, const void *)) {
    const char *code = FIELD(frame, FRAME_CODE, const char *);
    const uint16_t *first = (const uint16_t *)(code + CODE_INSTRUCTIONS);
    const uint16_t *previous = FIELD(frame, FRAME_PREV_INSTR, const uint16_t *);
    if (FIELD(frame, FRAME_OWNER, char) != OWNED_BY_GENERATOR &&
        previous < first + FIELD(code, CODE_FIRST_TRACEABLE, int))
      continue;
    *instruction = (int)(previous - first);
    return frame;
  }
  return NULL;
}

// The Python frame of the call, from `thread`'s own frame stack: it is changed only by the thread
// itself, which is in this hook, and the code objects are held by those frames. Without the GIL
// (`locked` 0) only the caches are read, and -1 says they cannot answer; with it they are filled.
// Returns whether a frame was found.
static int py311_site(const void *thread, sockscope_source *source, int locked) {
  int instruction = -1, depth = 0;
  for (const void *frame = complete_frame(innermost_frame(thread), &instruction); frame != NULL && depth < 16;
       frame = complete_frame(FIELD(frame, FRAME_PREVIOUS, const void *), &instruction), depth++) {
    PyObject *code = FIELD(frame, FRAME_CODE, PyObject *);
    code_info *info = locked ? py_describe_code(code) : py_cached_code(code);
    if (info == NULL) return locked ? 0 : -1;
    if (info->skip) continue;
    int line;
    if (!py_cached_line(info, instruction, &line)) {
      if (!locked) return -1;
      line = py.addr2line(code, instruction * 2); /* a byte offset: code units are 2 bytes */
      py_cache_line(info, instruction, line);
    }
    py_fill(source, info, line);
    return 1;
  }
  return 0;
}

// With the GIL held: whether the offsets above read what the public API reads, on the current
// frame (1 yes, -1 no: the API is used from then on; 0 no Python frame to compare yet).
static int py311_check(const void *thread) {
  PyObject *frame = py.current_frame(); /* borrowed */
  if (frame == NULL) return 0;
  int instruction = -1;
  const void *raw = complete_frame(innermost_frame(thread), &instruction);
  PyObject *code = py.frame_code(frame);
  PyObject *type, *value, *traceback;
  py.fetch(&type, &value, &traceback);
  PyObject *file = code != NULL ? py.get_attr(code, "co_filename") : NULL;
  PyObject *name = code != NULL ? py.get_attr(code, "co_qualname") : NULL;
  py.restore(type, value, traceback);
  int same = raw != NULL && code != NULL && FIELD(raw, FRAME_CODE, PyObject *) == code &&
             py.last_instruction(frame) == instruction * 2 && file != NULL &&
             FIELD(code, CODE_FILENAME, PyObject *) == file && name != NULL &&
             FIELD(code, CODE_QUALNAME, PyObject *) == name;
  if (file != NULL) py.decref(file);
  if (name != NULL) py.decref(name);
  if (code != NULL) py.decref(code);
  int answer = same ? 1 : -1;
  __atomic_store_n(&g_frames_311, answer, __ATOMIC_RELAXED);
  return answer;
}

// The Python frame of the call. Returns whether one was found.
static int python_site(sockscope_source *source) {
  if (!py.is_initialized() || py.is_finalizing()) return 0;
  const void *thread = py.this_thread_state();
  if (thread == NULL) return 0;
  int mode = __atomic_load_n(&g_frames_311, __ATOMIC_RELAXED);
  if (mode > 0) {
    int found = py311_site(thread, source, 0);
    if (found >= 0) return found; /* answered from the caches, without the GIL */
  }
  if (mode >= 0) {
    int state = py.ensure();
    if (mode == 0) mode = py311_check(thread);
    int found = mode > 0 ? py311_site(thread, source, 1) : -1;
    py.release(state);
    if (found >= 0) return found;
  }
  return python_site_api(source);
}

// Whether the Python frame may be read for `call` made from `caller`: socket methods (Python's
// _socket and select modules), and the descriptor and file calls Python's os module makes (close,
// unlink, dup, fork...) — but never read or write from outside those modules: Python's C signal
// handler writes to the wakeup descriptor, and the GIL must not be taken in a signal handler.
static int python_allowed(enum sockscope_call call, const void *caller) {
  if (from_socket_module(caller)) return 1;
  return call != SOCKSCOPE_CALL_READ && call != SOCKSCOPE_CALL_WRITE && call != SOCKSCOPE_CALL_OUTPUT &&
         call != SOCKSCOPE_CALL_SEND && call != SOCKSCOPE_CALL_SENDTO && call != SOCKSCOPE_CALL_SENDMSG;
}

void sockscope_call_site(sockscope_source *source, enum sockscope_call call) {
  memset(source, 0, sizeof *source);
  source->caller = t_caller;
  if (t_caller == NULL) return;
  pthread_once(&g_python_once, find_python);
  if (g_python && python_allowed(call, t_caller) && python_site(source)) source->caller = NULL;
}
