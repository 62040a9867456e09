// Socket identity: sockfs inodes, peers (via NETLINK_SOCK_DIAG), errno names, and the per-fd cache
// that keeps these lookups out of send and recv.
#define _GNU_SOURCE
#include "sockscope_log.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t sockscope_socket_inode(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return 0;
  return (uint64_t)st.st_ino;
}

int sockscope_socket_type(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return 0;
  return type;
}

uint64_t sockscope_path_inode(const char *path) {
  struct stat st;
  if (path == NULL || path[0] == 0 || lstat(path, &st) != 0) return 0;
  return (uint64_t)st.st_ino;
}

uint64_t sockscope_socket_path_inode(const char *path) {
  struct stat st;
  if (path == NULL || path[0] == 0 || stat(path, &st) != 0) return 0;
  return (uint64_t)st.st_ino;
}

uint64_t sockscope_unix_peer_inode(uint64_t ino) {
  if (ino == 0 || ino > UINT32_MAX) return 0;
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return 0;

  struct {
    struct nlmsghdr nlh;
    struct unix_diag_req req;
  } request;
  memset(&request, 0, sizeof request);
  request.nlh.nlmsg_len = sizeof request;
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST;
  request.req.sdiag_family = AF_UNIX;
  request.req.udiag_states = ~0u;
  request.req.udiag_ino = (uint32_t)ino;
  request.req.udiag_show = UDIAG_SHOW_PEER;
  request.req.udiag_cookie[0] = ~0u; /* INET_DIAG_NOCOOKIE: look up by inode alone */
  request.req.udiag_cookie[1] = ~0u;

  uint64_t peer = 0;
  if (send(nl, &request, sizeof request, 0) == (ssize_t)sizeof request) {
    union {
      struct nlmsghdr align;
      char bytes[8192];
    } reply;
    ssize_t n = recv(nl, reply.bytes, sizeof reply.bytes, 0);
    struct nlmsghdr *h = &reply.align;
    if (n > 0 && NLMSG_OK(h, (unsigned)n) && h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      struct unix_diag_msg *msg = NLMSG_DATA(h);
      int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *msg);
      for (struct rtattr *a = (struct rtattr *)(msg + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
          uint32_t value;
          memcpy(&value, RTA_DATA(a), sizeof value);
          peer = value;
        }
      }
    }
  }
  close(nl);
  return peer;
}

int sockscope_accept4(int fd, struct sockaddr *addr, unsigned int *len, int flags) {
  return accept4(fd, addr, (socklen_t *)len, flags);
}

const char *sockscope_errno_name(int err) { return strerrorname_np(err); }

// Descriptors below this number are cached; higher ones are looked up on each use.
#define FD_CACHE_SIZE 65536
static sockscope_fd_info g_fds[FD_CACHE_SIZE];

sockscope_fd_info *sockscope_fd_slot(int fd) {
  if (fd < 0 || fd >= FD_CACHE_SIZE) return NULL;
  return &g_fds[fd];
}

void sockscope_fd_forget(int fd) {
  sockscope_fd_info *slot = sockscope_fd_slot(fd);
  if (slot != NULL) memset(slot, 0, sizeof *slot);
}

void sockscope_fd_forget_range(unsigned int first, unsigned int last) {
  if (first >= FD_CACHE_SIZE) return;
  if (last >= FD_CACHE_SIZE) last = FD_CACHE_SIZE - 1;
  if (last < first) return;
  memset(&g_fds[first], 0, (size_t)(last - first + 1) * sizeof g_fds[0]);
}
