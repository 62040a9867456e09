// Where a recorded call was made. For native code: the return address of the hook the program
// called, stored raw; the merge turns it into file:line:function from the module's debug
// information (not here: the hot path pays one thread-local store). For a Python program: the
// file, line and function of the innermost Python frame outside the stdlib's socket.py, read with
// the interpreter's public C API.
//
// Python calls send/recv with the GIL released. Frames may be read only with the GIL held, so it
// is taken here, and only here: after the real call returned, before the log's lock is taken (a
// thread holding the GIL may be in a hook waiting for that lock: taking them the other way round
// could deadlock). It is taken only when all of these hold, so a recorded program behaves as an
// unrecorded one:
// - the process is a Python interpreter (its C API is found with dlsym) that is initialised and
//   not finalising (a thread that takes the GIL during finalisation is ended);
// - the thread already has a Python thread state (a thread started by C code gets none: the API
//   would create one);
// - the call came from Python's `_socket` or `select` extension module, or it is not a read, write
//   or send (close, unlink, dup, fork from the os module). Python's own C signal handler writes to
//   the wakeup descriptor (a socket under asyncio) from libpython: taking the GIL inside a signal
//   handler could deadlock, and such writes are not socket method calls.
// Everything read from a code object is cached per code object, with a reference held so that the
// object (and its address) is never reused while cached; the cache is touched only under the GIL.
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
} py;

static pthread_once_t g_python_once = PTHREAD_ONCE_INIT;
static int g_python; /* the whole API was found */

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
}

// Whether `caller` lies in Python's _socket or select extension module. The answer is cached per
// module mapping (a couple of entries: the calls come from one or two modules).
static int from_socket_module(const void *caller) {
  static __thread uintptr_t t_start[2], t_end[2];
  static __thread int t_answer[2];
  uintptr_t at = (uintptr_t)caller;
  for (int i = 0; i < 2; i++)
    if (at >= t_start[i] && at < t_end[i]) return t_answer[i];
  struct dl_find_object found;
  if (_dl_find_object((void *)caller, &found) != 0) return 0;
  const struct link_map *map = found.dlfo_link_map;
  const char *name = map != NULL && map->l_name != NULL ? map->l_name : "";
  const char *base = strrchr(name, '/');
  base = base != NULL ? base + 1 : name;
  int answer = strncmp(base, "_socket.", 8) == 0 || strncmp(base, "select.", 7) == 0;
  t_start[1] = t_start[0], t_end[1] = t_end[0], t_answer[1] = t_answer[0];
  t_start[0] = (uintptr_t)found.dlfo_map_start, t_end[0] = (uintptr_t)found.dlfo_map_end, t_answer[0] = answer;
  return answer;
}

// What is kept of a code object.
typedef struct {
  PyObject *code; /* referenced: never freed while cached */
  const char *file, *function;
  ssize_t file_len, function_len;
  int skip; /* the stdlib's socket.py: look at its caller instead */
  // Lines of the last instructions asked about: PyFrame_GetLineNumber walks the code's line table
  // from its start each time (most of the cost in a long script), and a loop asks the same ones.
  int lasti[4], line[4];
  unsigned next;
} code_info;

#define CODE_SLOTS 512
static code_info g_codes[CODE_SLOTS]; /* touched only with the GIL held */

static int is_stdlib_socket_module(const char *file, ssize_t n) {
  return n >= 10 && memcmp(file + n - 10, "/socket.py", 10) == 0 && memmem(file, (size_t)n, "/lib/python", 11);
}

// With the GIL held: the cached facts of `code` (NULL when the cache is full or a name is missing).
static code_info *describe_code(PyObject *code) {
  uintptr_t h = ((uintptr_t)code >> 4) * 0x9E3779B97F4A7C15u;
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
    code_info info = {0};
    for (int i = 0; i < 4; i++) info.lasti[i] = -1;
    if (file != NULL) info.file = py.utf8(file, &info.file_len);
    if (name != NULL) info.function = py.utf8(name, &info.function_len);
    py.restore(type, value, traceback); /* also clears whatever the lookups raised */
    if (info.file == NULL) {
      if (file) py.decref(file);
      if (name) py.decref(name);
      return NULL;
    }
    // The strings stay referenced with the code object (their UTF-8 is cached inside them).
    py.incref(code);
    info.code = code;
    info.skip = is_stdlib_socket_module(info.file, info.file_len);
    *slot = info;
    return slot;
  }
  return NULL;
}

// The line `frame` is at, from the code's cache when its instruction was seen before.
static int line_of(code_info *info, PyObject *frame) {
  if (py.last_instruction == NULL) return py.line_number(frame);
  int lasti = py.last_instruction(frame);
  for (int i = 0; i < 4; i++)
    if (info->lasti[i] == lasti) return info->line[i];
  int line = py.line_number(frame);
  unsigned slot = info->next++ % 4;
  info->lasti[slot] = lasti;
  info->line[slot] = line;
  return line;
}

// The Python frame of the call. Returns whether one was found.
static int python_site(sockscope_source *source) {
  if (!py.is_initialized() || py.is_finalizing() || py.this_thread_state() == NULL) return 0;
  int state = py.ensure();
  int found = 0;
  PyObject *frame = py.current_frame(); /* borrowed */
  if (frame != NULL) py.incref(frame);
  for (int depth = 0; frame != NULL && depth < 16; depth++) {
    PyObject *code = py.frame_code(frame);
    code_info *info = code != NULL ? describe_code(code) : NULL;
    if (code != NULL) py.decref(code);
    if (info != NULL && !info->skip) {
      // The names are the UTF-8 the code objects' strings keep: the cache holds them for good.
      source->file = info->file;
      source->file_len = (uint32_t)info->file_len;
      source->function = info->function;
      source->function_len = info->function != NULL ? (uint32_t)info->function_len : 0;
      int line = line_of(info, frame);
      source->line = line > 0 ? (uint32_t)line : 0;
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
