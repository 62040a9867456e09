// SockScope's LD_PRELOAD interposer: records the socket calls of a program not written with
// SockScope into the same per-process log format (sockscope_log.h), through the same writer.
// Configured by the environment that `sockscope record` sets:
//   SOCKSCOPE_TRACE_DIR  where to write the log (recording is off without it)
//   SOCKSCOPE_ROLE       the process's role (default: the program's name)
//   SOCKSCOPE_CAPTURE    payload bytes kept per event (default 256)
#ifndef SOCKSCOPE_PRELOAD_H
#define SOCKSCOPE_PRELOAD_H

/// Whether the interposer is loaded and recording (for tests).
int sockscope_preload_active(void);

#endif
