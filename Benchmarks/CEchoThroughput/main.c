// The physical reference for `make bench`: the same datagram pair as EchoThroughput, in plain C.
// Usage: c-echo-throughput COUNT SIZE SOCKET_PATH
// Prints: datagrams seconds
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s COUNT SIZE SOCKET_PATH\n", argv[0]);
    return 2;
  }
  long count = atol(argv[1]);
  size_t size = (size_t)atol(argv[2]);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[3], sizeof addr.sun_path - 1);
  unlink(argv[3]);
  int server = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (server < 0 || bind(server, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("bind");
    return 1;
  }
  char *buffer = calloc(1, size > 1024 ? size : 1024);
  double start = now();
  pid_t child = fork();
  if (child == 0) {
    int client = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (connect(client, (struct sockaddr *)&addr, sizeof addr) != 0) _exit(1);
    for (long i = 0; i < count; i++)
      if (send(client, buffer, size, 0) != (ssize_t)size) _exit(1);
    close(client);
    _exit(0);
  }
  for (long i = 0; i < count; i++)
    if (recv(server, buffer, 1024, 0) < 0) return 1;
  double elapsed = now() - start;
  int status;
  waitpid(child, &status, 0);
  close(server);
  unlink(argv[3]);
  printf("%ld %.6f\n", count, elapsed);
  return status == 0 ? 0 : 1;
}
