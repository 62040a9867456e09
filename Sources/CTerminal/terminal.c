#include "sockscope_terminal.h"

#include <sys/ioctl.h>

int sockscope_terminal_size(int fd, int *columns, int *rows) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return -1;
  *columns = ws.ws_col;
  *rows = ws.ws_row;
  return 0;
}
