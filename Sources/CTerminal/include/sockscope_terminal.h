// The one terminal call Swift cannot make itself: ioctl is variadic.
#ifndef SOCKSCOPE_TERMINAL_H
#define SOCKSCOPE_TERMINAL_H

/// The window size of the terminal on `fd` (TIOCGWINSZ). Returns 0, or -1 when fd is not a terminal.
int sockscope_terminal_size(int fd, int *columns, int *rows);

#endif
