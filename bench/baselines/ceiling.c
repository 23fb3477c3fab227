// A chat server in C that batches per event-loop turn the way bunchat does: the practical ceiling
// for bunchat's design on this machine. bench/run.ts compiles it with `cc -O2` at bench time; it is
// a baseline, not part of the product.
//
// The protocol is bunchat's plain text: the first line is the name ("Hi <name>, you are in."),
// then every line goes to everyone else as "<name>: <line>", and joins and leaves are announced.
// Per turn of the loop (one epoll_wait), every readable socket is read and its complete lines are
// appended to the turn's buffer with their sender; when the turn ends each client gets one writev
// of the turn without its own lines. What a socket does not take waits in that client's queue,
// written on EPOLLOUT; past 1 MiB waiting, the client is dropped. Nothing is lost or reordered.
//
//   cc -O2 -o ceiling bench/baselines/ceiling.c && ./ceiling 0   # prints "listening on 127.0.0.1:<port>"

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 65536
#define MAX_LINE 4096
#define MAX_QUEUE (1 << 20)
#define READ_CHUNK 65536
#define MAX_IOV 1024

typedef struct {
  int open, joined, watching_out;
  char name[32];
  char in[MAX_LINE + 1];
  size_t in_len;
  char *out;
  size_t out_len, out_cap;
} client;

typedef struct {
  size_t off, len;
  int sender;
} segment;

static client *clients;
static int ep;
static int *joined_fds, joined_count;
static char *turn;
static size_t turn_len, turn_cap;
static segment *segs;
static size_t seg_len, seg_cap;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void grow(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return;
  size_t c = *cap ? *cap : 4096;
  while (c < need) c *= 2;
  *buf = realloc(*buf, c);
  if (!*buf) die("realloc");
  *cap = c;
}

/** A line (without its newline) from `sender`, for everyone else at the end of the turn. */
static void add_line(int sender, const char *a, size_t alen, const char *b, size_t blen) {
  grow(&turn, &turn_cap, turn_len + alen + blen + 1);
  memcpy(turn + turn_len, a, alen);
  memcpy(turn + turn_len + alen, b, blen);
  turn[turn_len + alen + blen] = '\n';
  if (seg_len == seg_cap) {
    seg_cap = seg_cap ? seg_cap * 2 : 1024;
    segs = realloc(segs, seg_cap * sizeof *segs);
    if (!segs) die("realloc");
  }
  segs[seg_len++] = (segment){turn_len, alen + blen + 1, sender};
  turn_len += alen + blen + 1;
}

static void watch_out(int fd, int on) {
  if (clients[fd].watching_out == on) return;
  clients[fd].watching_out = on;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void drop(int fd);

/** Queues what the socket did not take; false if that passes the cap (the client is dropped). */
static int queue(int fd, const char *p, size_t n) {
  client *c = &clients[fd];
  if (c->out_len + n > MAX_QUEUE) return 0;
  grow(&c->out, &c->out_cap, c->out_len + n);
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  watch_out(fd, 1);
  return 1;
}

static void send_now(int fd, const char *p, size_t n) {
  client *c = &clients[fd];
  if (c->out_len > 0) {
    if (!queue(fd, p, n)) drop(fd);
    return;
  }
  ssize_t w = write(fd, p, n);
  if (w < 0) w = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  if (w < 0) return drop(fd);
  if ((size_t)w < n && !queue(fd, p + w, n - (size_t)w)) drop(fd);
}

static void flush_out(int fd) {
  client *c = &clients[fd];
  while (c->out_len > 0) {
    ssize_t w = write(fd, c->out, c->out_len);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return drop(fd);
    }
    memmove(c->out, c->out + w, c->out_len - (size_t)w);
    c->out_len -= (size_t)w;
  }
  watch_out(fd, 0);
}

static void drop(int fd) {
  client *c = &clients[fd];
  if (!c->open) return;
  c->open = 0;
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  free(c->out);
  c->out = NULL;
  c->out_len = c->out_cap = 0;
  if (c->joined) {
    c->joined = 0;
    for (int i = 0; i < joined_count; i++) {
      if (joined_fds[i] == fd) {
        joined_fds[i] = joined_fds[--joined_count];
        break;
      }
    }
    char leave[64];
    int n = snprintf(leave, sizeof leave, "<-- %s left the chat (disconnected)", c->name);
    add_line(fd, leave, (size_t)n, "", 0);
  }
}

static void on_line(int fd, char *line, size_t len) {
  client *c = &clients[fd];
  if (len > 0 && line[len - 1] == '\r') len--;
  if (!c->joined) {
    if (len == 0) return;
    size_t n = len < sizeof c->name - 1 ? len : sizeof c->name - 1;
    memcpy(c->name, line, n);
    c->name[n] = 0;
    c->joined = 1;
    joined_fds[joined_count++] = fd;
    char hi[80];
    int m = snprintf(hi, sizeof hi, "Hi %s, you are in.\n", c->name);
    send_now(fd, hi, (size_t)m);
    char join[64];
    m = snprintf(join, sizeof join, "--> %s joined the chat", c->name);
    add_line(fd, join, (size_t)m, "", 0);
    return;
  }
  if (len == 0) return;
  char prefix[40];
  int m = snprintf(prefix, sizeof prefix, "%s: ", c->name);
  add_line(fd, prefix, (size_t)m, line, len);
}

static void on_readable(int fd) {
  client *c = &clients[fd];
  char buf[READ_CHUNK];
  ssize_t r = read(fd, buf, sizeof buf); // one read per turn, as bunchat gets one data event
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return drop(fd);
  if (r < 0) return;
  for (ssize_t i = 0; i < r; i++) {
    if (buf[i] == '\n') {
      on_line(fd, c->in, c->in_len);
      c->in_len = 0;
    } else if (c->in_len < MAX_LINE) {
      c->in[c->in_len++] = buf[i];
    }
  }
}

/** Writes (or queues) `n` iovecs holding `total` bytes for one client. */
static void deliver(int fd, struct iovec *iov, int n, size_t total) {
  if (clients[fd].out_len > 0) {
    for (int i = 0; i < n && clients[fd].open; i++) {
      if (!queue(fd, iov[i].iov_base, iov[i].iov_len)) drop(fd);
    }
    return;
  }
  ssize_t w = writev(fd, iov, n);
  if (w < 0) w = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  if (w < 0) return drop(fd);
  size_t done = (size_t)w;
  for (int i = 0; i < n && done < total && clients[fd].open; i++) {
    size_t len = iov[i].iov_len;
    if (done >= len) {
      done -= len;
      continue;
    }
    if (!queue(fd, (char *)iov[i].iov_base + done, len - done)) drop(fd);
    done = 0;
  }
}

/**
 * The turn's lines to every joined client but their own, one writev each. Leaves announced while
 * handing out (a client dropped for its queue) go out with the next turn.
 */
static void hand_out(void) {
  size_t handed = seg_len;
  if (handed == 0) return;
  struct iovec iov[MAX_IOV];
  for (int k = 0; k < joined_count; k++) {
    int fd = joined_fds[k];
    int n = 0;
    size_t total = 0;
    for (size_t s = 0; s < handed; s++) {
      if (segs[s].sender == fd) continue;
      // Neighbouring segments are one run of the buffer: one iovec.
      if (n > 0 && (char *)iov[n - 1].iov_base + iov[n - 1].iov_len == turn + segs[s].off) {
        iov[n - 1].iov_len += segs[s].len;
      } else if (n < MAX_IOV) {
        iov[n++] = (struct iovec){turn + segs[s].off, segs[s].len};
      } else {
        break; // not reached at the bench's scale: a sender's own lines split a turn a few times
      }
      total += segs[s].len;
    }
    if (n > 0) deliver(fd, iov, n, total);
    if (!clients[fd].open) k--; // drop() moved the last joined client into this slot
  }
  if (seg_len == handed) {
    turn_len = 0;
    seg_len = 0;
    return;
  }
  size_t from = segs[handed].off;
  memmove(turn, turn + from, turn_len - from);
  for (size_t s = handed; s < seg_len; s++) segs[s - handed] = (segment){segs[s].off - from, segs[s].len, segs[s].sender};
  turn_len -= from;
  seg_len -= handed;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  clients = calloc(MAX_FDS, sizeof *clients);
  joined_fds = calloc(MAX_FDS, sizeof *joined_fds);
  if (!clients || !joined_fds) die("calloc");
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 0)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(lfd, 4096) < 0) die("listen");
  socklen_t alen = sizeof addr;
  getsockname(lfd, (struct sockaddr *)&addr, &alen);
  printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event events[1024];
  for (;;) {
    int n = epoll_wait(ep, events, 1024, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (c < 0) break;
          if (c >= MAX_FDS) {
            close(c);
            continue;
          }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          clients[c] = (client){.open = 1};
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      if (!clients[fd].open) continue;
      if (events[i].events & EPOLLOUT) flush_out(fd);
      if (clients[fd].open && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(fd);
    }
    hand_out();
  }
}
