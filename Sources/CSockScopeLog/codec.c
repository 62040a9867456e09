// What a call records beyond its fixed fields, written once for both recorders (the LD_PRELOAD
// interposer and the Swift socket layer call these): control messages of sendmsg and recvmsg, and
// the descriptors of a poll.
//
// Control messages: the descriptors SCM_RIGHTS passes (with the inode of the file each refers
// to), SCM_CREDENTIALS, any other message by level, type and length, and a message whose length
// runs past the buffer as cut. Only the buffer the program passed is read, and never past
// `msg_controllen`, whatever the lengths inside claim.
#define _GNU_SOURCE
#include "sockscope_log.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

// The inode of what `fd` refers to (a socket's sockfs inode), or 0.
static int64_t inode_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (int64_t)st.st_ino : 0;
}

uint32_t sockscope_control_items(const struct msghdr *msg, sockscope_item *items, uint32_t cap, uint32_t *lost) {
  uint32_t n = 0;
  *lost = 0;
  if (msg == NULL || msg->msg_control == NULL) return 0;
  const unsigned char *base = msg->msg_control;
  size_t total = msg->msg_controllen;
  size_t offset = 0;
  // Walk the headers by hand (as CMSG_NXTHDR does) so that a length that runs past the buffer is
  // reported instead of followed.
  while (offset + sizeof(struct cmsghdr) <= total) {
    struct cmsghdr header;
    memcpy(&header, base + offset, sizeof header);
    sockscope_item item = {0};
    if (header.cmsg_len < sizeof(struct cmsghdr) || header.cmsg_len > total - offset) {
      item = (sockscope_item){SOCKSCOPE_ITEM_CMSG_CUT, header.cmsg_level, header.cmsg_type, (int64_t)header.cmsg_len};
      if (n < cap) items[n++] = item; else (*lost)++;
      break;
    }
    const unsigned char *data = base + offset + CMSG_LEN(0);
    size_t length = header.cmsg_len - CMSG_LEN(0);
    if (header.cmsg_level == SOL_SOCKET && header.cmsg_type == SCM_RIGHTS) {
      for (size_t i = 0; i + sizeof(int) <= length; i += sizeof(int)) {
        int fd;
        memcpy(&fd, data + i, sizeof fd);
        item = (sockscope_item){SOCKSCOPE_ITEM_RIGHT, fd, inode_of(fd), 0};
        if (n < cap) items[n++] = item; else (*lost)++;
      }
    } else if (header.cmsg_level == SOL_SOCKET && header.cmsg_type == SCM_CREDENTIALS &&
               length >= sizeof(struct ucred)) {
      struct ucred cred;
      memcpy(&cred, data, sizeof cred);
      item = (sockscope_item){SOCKSCOPE_ITEM_CREDS, cred.pid, cred.uid, cred.gid};
      if (n < cap) items[n++] = item; else (*lost)++;
    } else {
      item = (sockscope_item){SOCKSCOPE_ITEM_CMSG, header.cmsg_level, header.cmsg_type, (int64_t)header.cmsg_len};
      if (n < cap) items[n++] = item; else (*lost)++;
    }
    offset += CMSG_ALIGN(header.cmsg_len);
  }
  return n;
}

uint32_t sockscope_poll_items(const struct pollfd *fds, unsigned long nfds, int ret, sockscope_item *items,
                              uint32_t cap, uint32_t *lost) {
  uint32_t n = 0;
  *lost = 0;
  for (unsigned long i = 0; fds != NULL && i < nfds; i++) {
    if (n == cap) {
      (*lost)++;
      continue;
    }
    items[n++] = (sockscope_item){SOCKSCOPE_ITEM_POLLFD, fds[i].fd, fds[i].events, ret > 0 ? fds[i].revents : 0};
  }
  return n;
}
