// Hooks on waiting: poll, ppoll, select, pselect, epoll_ctl, epoll_wait, epoll_pwait. A wait is
// recorded only when an AF_UNIX socket is among its descriptors (a program's polls of its terminal
// or pipes are not socket calls): which descriptors were asked about, for what, and which became
// ready. The sets and arrays the program passed are read, never changed.
#define _GNU_SOURCE
#include "preload_internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>

static int64_t milliseconds(const struct timespec *t) {
  return t == NULL ? -1 : (int64_t)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

// Whether any of `fds` is an AF_UNIX socket (non-sockets are believed from the cache).
static int any_socket(const struct pollfd *fds, nfds_t nfds) {
  for (nfds_t i = 0; i < nfds; i++) {
    sockscope_fd_info info;
    if (fds[i].fd >= 0 && unix_socket(fds[i].fd, &info, TRUST_NOT_SOCKET)) return 1;
  }
  return 0;
}

static int poll_call(struct pollfd *fds, nfds_t nfds, int64_t timeout_ms, int (*call)(void *), void *context) {
  if (!recording() || fds == NULL || !any_socket(fds, nfds) || !ensure_log()) return call(context);
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_POLL, -1);
  int ret = call(context);
  int err = errno;
  t_busy = 1;
  r.a0 = (int64_t)nfds;
  r.a1 = timeout_ms;
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t count = sockscope_poll_items(fds, nfds, ret, items, SOCKSCOPE_MAX_ITEMS, &r.items_lost);
  sockscope_commit_items(&r, ret, err, NULL, 0, NULL, 0, items, count);
  t_busy = 0;
  errno = err;
  return ret;
}

struct poll_args {
  struct pollfd *fds;
  nfds_t nfds;
  int timeout;
  const struct timespec *ts;
  const sigset_t *mask;
};

static int real_poll_call(void *context) {
  struct poll_args *a = context;
  REAL(poll);
  return real_poll(a->fds, a->nfds, a->timeout);
}

static int real_ppoll_call(void *context) {
  struct poll_args *a = context;
  REAL(ppoll);
  return real_ppoll(a->fds, a->nfds, a->ts, a->mask);
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
  ENTER();
  struct poll_args a = {fds, nfds, timeout, NULL, NULL};
  return poll_call(fds, nfds, timeout < 0 ? -1 : timeout, real_poll_call, &a);
}

int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts, const sigset_t *mask) {
  ENTER();
  struct poll_args a = {fds, nfds, 0, ts, mask};
  return poll_call(fds, nfds, milliseconds(ts), real_ppoll_call, &a);
}

// select and pselect: the sets are copied before the call (the kernel rewrites them) and compared
// with what came back.
static int select_call(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, int64_t timeout_ms, int (*call)(void *),
                       void *context) {
  if (!recording() || nfds <= 0) return call(context);
  int limit = nfds > FD_SETSIZE ? FD_SETSIZE : nfds;
  int has_socket = 0;
  for (int fd = 0; fd < limit && !has_socket; fd++) {
    sockscope_fd_info info;
    if (((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) || (ex && FD_ISSET(fd, ex))) &&
        unix_socket(fd, &info, TRUST_NOT_SOCKET))
      has_socket = 1;
  }
  if (!has_socket || !ensure_log()) return call(context);
  fd_set asked_rd, asked_wr, asked_ex;
  FD_ZERO(&asked_rd);
  FD_ZERO(&asked_wr);
  FD_ZERO(&asked_ex);
  if (rd) asked_rd = *rd;
  if (wr) asked_wr = *wr;
  if (ex) asked_ex = *ex;
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_SELECT, -1);
  int ret = call(context);
  int err = errno;
  t_busy = 1;
  r.a0 = nfds;
  r.a1 = timeout_ms;
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t count = 0;
  for (int fd = 0; fd < limit; fd++) {
    int64_t bits = 0;
    if (rd && FD_ISSET(fd, &asked_rd)) bits |= SOCKSCOPE_SELECT_READ | (ret > 0 && FD_ISSET(fd, rd) ? SOCKSCOPE_SELECT_READY_READ : 0);
    if (wr && FD_ISSET(fd, &asked_wr)) bits |= SOCKSCOPE_SELECT_WRITE | (ret > 0 && FD_ISSET(fd, wr) ? SOCKSCOPE_SELECT_READY_WRITE : 0);
    if (ex && FD_ISSET(fd, &asked_ex)) bits |= SOCKSCOPE_SELECT_EXCEPT | (ret > 0 && FD_ISSET(fd, ex) ? SOCKSCOPE_SELECT_READY_EXCEPT : 0);
    if (bits == 0) continue;
    if (count == SOCKSCOPE_MAX_ITEMS) {
      r.items_lost++;
      continue;
    }
    items[count++] = (sockscope_item){SOCKSCOPE_ITEM_SELECT, fd, bits, 0};
  }
  sockscope_commit_items(&r, ret, err, NULL, 0, NULL, 0, items, count);
  t_busy = 0;
  errno = err;
  return ret;
}

struct select_args {
  int nfds;
  fd_set *rd, *wr, *ex;
  struct timeval *tv;
  const struct timespec *ts;
  const sigset_t *mask;
};

static int real_select_call(void *context) {
  struct select_args *a = context;
  REAL(select);
  return real_select(a->nfds, a->rd, a->wr, a->ex, a->tv);
}

static int real_pselect_call(void *context) {
  struct select_args *a = context;
  REAL(pselect);
  return real_pselect(a->nfds, a->rd, a->wr, a->ex, a->ts, a->mask);
}

int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv) {
  ENTER();
  struct select_args a = {nfds, rd, wr, ex, tv, NULL, NULL};
  int64_t ms = tv == NULL ? -1 : (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
  return select_call(nfds, rd, wr, ex, ms, real_select_call, &a);
}

int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts, const sigset_t *mask) {
  ENTER();
  struct select_args a = {nfds, rd, wr, ex, NULL, ts, mask};
  return select_call(nfds, rd, wr, ex, milliseconds(ts), real_pselect_call, &a);
}

// What epoll_ctl registered for sockets: the event's data, so that epoll_wait's answers (which
// carry only the data) can be named by descriptor.
#define WATCHES 1024
static struct {
  pthread_mutex_t lock;
  int count;
  struct {
    int epfd, fd;
    uint64_t data;
  } items[WATCHES];
} g_watch = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void watch(int epfd, int op, int fd, uint64_t data) {
  pthread_mutex_lock(&g_watch.lock);
  int i = 0;
  while (i < g_watch.count && !(g_watch.items[i].epfd == epfd && g_watch.items[i].fd == fd)) i++;
  if (op == EPOLL_CTL_DEL) {
    if (i < g_watch.count) g_watch.items[i] = g_watch.items[--g_watch.count];
  } else if (i < g_watch.count) {
    g_watch.items[i].data = data;
  } else if (g_watch.count < WATCHES) {
    g_watch.items[g_watch.count].epfd = epfd;
    g_watch.items[g_watch.count].fd = fd;
    g_watch.items[g_watch.count].data = data;
    g_watch.count++;
  }
  pthread_mutex_unlock(&g_watch.lock);
}

// Whether `epfd` watches a socket; with `data`, the descriptor registered with that data (-1).
static int watched(int epfd, const uint64_t *data) {
  pthread_mutex_lock(&g_watch.lock);
  int found = data == NULL ? 0 : -1;
  for (int i = 0; i < g_watch.count; i++) {
    if (g_watch.items[i].epfd != epfd) continue;
    if (data == NULL) {
      found = 1;
      break;
    }
    if (g_watch.items[i].data == *data) {
      found = g_watch.items[i].fd;
      break;
    }
  }
  pthread_mutex_unlock(&g_watch.lock);
  return found;
}

void sockscope_forget_watches(int fd) {
  if (__atomic_load_n(&g_watch.count, __ATOMIC_RELAXED) == 0) return;
  pthread_mutex_lock(&g_watch.lock);
  for (int i = 0; i < g_watch.count;) {
    if (g_watch.items[i].epfd == fd || g_watch.items[i].fd == fd) g_watch.items[i] = g_watch.items[--g_watch.count];
    else i++;
  }
  pthread_mutex_unlock(&g_watch.lock);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  ENTER();
  REAL(epoll_ctl);
  sockscope_fd_info info;
  if (!recording() || !unix_socket(fd, &info, TRUST_NOT_SOCKET) || !ensure_log())
    return real_epoll_ctl(epfd, op, fd, event);
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_EPOLL_CTL, epfd);
  int ret = real_epoll_ctl(epfd, op, fd, event);
  int err = errno;
  t_busy = 1;
  if (ret == 0) watch(epfd, op, fd, event != NULL ? event->data.u64 : 0);
  identify(&r, info);
  r.a0 = op;
  r.a1 = fd;
  r.a2 = event != NULL ? event->events : 0;
  r.a3 = event != NULL ? (int64_t)event->data.u64 : 0;
  commit(&r, ret, err, NULL, 0, NULL, 0);
  t_busy = 0;
  errno = err;
  return ret;
}

static int epoll_wait_call(int epfd, struct epoll_event *events, int maxevents, int64_t timeout_ms, int ret, int err,
                           uint64_t t0) {
  sockscope_record r;
  start(&r, SOCKSCOPE_CALL_EPOLL_WAIT, epfd);
  r.t_ns = t0;
  t_busy = 1;
  r.a0 = maxevents;
  r.a1 = timeout_ms;
  sockscope_item items[SOCKSCOPE_MAX_ITEMS];
  uint32_t count = 0;
  for (int i = 0; i < ret; i++) {
    if (count == SOCKSCOPE_MAX_ITEMS) {
      r.items_lost++;
      continue;
    }
    uint64_t data = events[i].data.u64;
    items[count++] = (sockscope_item){SOCKSCOPE_ITEM_EPOLL, watched(epfd, &data), events[i].events, (int64_t)data};
  }
  sockscope_commit_items(&r, ret, err, NULL, 0, NULL, 0, items, count);
  t_busy = 0;
  errno = err;
  return ret;
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  ENTER();
  REAL(epoll_wait);
  if (!recording() || !watched(epfd, NULL) || !ensure_log()) return real_epoll_wait(epfd, events, maxevents, timeout);
  uint64_t t0 = sockscope_now_ns();
  int ret = real_epoll_wait(epfd, events, maxevents, timeout);
  return epoll_wait_call(epfd, events, maxevents, timeout < 0 ? -1 : timeout, ret, errno, t0);
}

int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout, const sigset_t *mask) {
  ENTER();
  REAL(epoll_pwait);
  if (!recording() || !watched(epfd, NULL) || !ensure_log())
    return real_epoll_pwait(epfd, events, maxevents, timeout, mask);
  uint64_t t0 = sockscope_now_ns();
  int ret = real_epoll_pwait(epfd, events, maxevents, timeout, mask);
  return epoll_wait_call(epfd, events, maxevents, timeout < 0 ? -1 : timeout, ret, errno, t0);
}
