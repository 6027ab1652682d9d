/*
 * Reference C peer for test/bench/native.bench.ts (compiled at bench time with gcc -O2 into
 * a temp dir). Loopback only: every address is 127.0.0.1. Every mode is bounded in count
 * and time. Output: one JSON line on stdout.
 *
 *   udpbench echo                       bind 127.0.0.1:0, print {"port":N}, echo until "QUIT"
 *   udpbench ping PORT COUNT WARMUP     64-byte ping-pong; RTT percentiles in ns
 *   udpbench echo-epoll / ping-epoll    the same, but each side waits the way an event loop
 *                                       does: non-blocking fd, epoll_wait, then read until
 *                                       EAGAIN (the floor for any event-driven peer)
 *   udpbench recv [WARM]                bind, print {"port":N}; pktinfo+timestamps+recvmmsg;
 *                                       CPU (getrusage) from datagram WARM+1 (default: the
 *                                       first) to "END"; count excludes the WARM warm-up ones
 *   udpbench recv-epoll [WARM]          the same, but the way an event loop waits: a
 *                                       non-blocking fd, epoll_wait, then recvmmsg until drained
 *   udpbench send PORT RATE MS          paced 64-byte sender (RATE datagrams/s for MS ms),
 *                                       then "END" markers; the fixed offered load
 *   udpbench blast PORT COUNT BATCH     sendmmsg in batches of BATCH; datagrams/s and the CPU
 *                                       time (getrusage) the sends took
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
         ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static struct sockaddr_in lo_addr(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int bound_socket(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = lo_addr(0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&a, sizeof a) != 0) { perror("bind"); exit(1); }
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr*)&a, &len);
  printf("{\"port\":%d}\n", ntohs(a.sin_port));
  fflush(stdout);
  return fd;
}

static int cmp64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return x < y ? -1 : x > y;
}

/* Event-loop style wait: epoll_wait until readable, then a non-blocking read. */
static int ep_fd = -1;
static void ep_setup(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  ep_fd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = fd}};
  epoll_ctl(ep_fd, EPOLL_CTL_ADD, fd, &ev);
}
static ssize_t ep_recvfrom(int fd, char* buf, size_t cap, struct sockaddr_in* from, socklen_t* fl, int timeout_ms) {
  for (;;) {
    ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr*)from, fl);
    if (n >= 0 || (errno != EAGAIN && errno != EINTR)) return n;
    struct epoll_event ev;
    int r = epoll_wait(ep_fd, &ev, 1, timeout_ms);
    if (r == 0) { errno = EAGAIN; return -1; }
  }
}

static int mode_echo(int use_epoll) {
  int fd = bound_socket();
  if (use_epoll) ep_setup(fd);
  char buf[2048];
  struct sockaddr_in from;
  for (;;) {
    socklen_t fl = sizeof from;
    ssize_t n = use_epoll ? ep_recvfrom(fd, buf, sizeof buf, &from, &fl, -1)
                          : recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr*)&from, &fl);
    if (n < 0) { if (errno == EINTR) continue; perror("recvfrom"); return 1; }
    if (n == 4 && memcmp(buf, "QUIT", 4) == 0) return 0;
    sendto(fd, buf, (size_t)n, 0, (struct sockaddr*)&from, fl);
  }
}

static int mode_ping(int port, int count, int warmup, int use_epoll) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (use_epoll) ep_setup(fd);
  struct sockaddr_in to = lo_addr(port);
  struct timeval tv = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char msg[64], buf[2048];
  memset(msg, 'p', sizeof msg);
  int64_t* rtt = malloc(sizeof(int64_t) * (size_t)count);
  int lost = 0;
  for (int i = 0; i < warmup + count; i++) {
    int64_t t0 = now_ns();
    sendto(fd, msg, sizeof msg, 0, (struct sockaddr*)&to, sizeof to);
    ssize_t n = use_epoll ? ep_recvfrom(fd, buf, sizeof buf, NULL, NULL, 2000) : recv(fd, buf, sizeof buf, 0);
    int64_t t1 = now_ns();
    if (n < 0) { lost++; if (lost > 10) { fprintf(stderr, "ping: no echo\n"); return 1; } continue; }
    if (i >= warmup) rtt[i - warmup] = t1 - t0;
  }
  sendto(fd, "QUIT", 4, 0, (struct sockaddr*)&to, sizeof to);
  qsort(rtt, (size_t)count, sizeof(int64_t), cmp64);
  printf("{\"p50\":%lld,\"p99\":%lld,\"p999\":%lld,\"n\":%d}\n", (long long)rtt[count / 2],
         (long long)rtt[(int)(count * 0.99)], (long long)rtt[(int)(count * 0.999)], count);
  return 0;
}

static int mode_recv(int use_epoll, long long warm) {
  int fd = bound_socket();
  int ep = -1;
  if (use_epoll) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = fd}};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  int on = 1;
  setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  enum { B = 32 };
  static char bufs[B][2048];
  static char ctrl[B][128];
  struct mmsghdr msgs[B];
  struct iovec iov[B];
  struct sockaddr_in from[B];
  long long count = 0;
  int64_t cpu0 = 0, t0 = 0;
  int64_t deadline = now_ns() + 60LL * 1000000000LL;
  for (;;) {
    for (int i = 0; i < B; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof bufs[i];
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = ctrl[i];
      msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
    }
    struct timespec to = {1, 0};
    int n;
    if (use_epoll) {
      n = recvmmsg(fd, msgs, B, MSG_DONTWAIT, NULL);
      if (n < 0 && errno == EAGAIN) {
        struct epoll_event ev;
        epoll_wait(ep, &ev, 1, 1000);
        continue;
      }
    } else {
      n = recvmmsg(fd, msgs, B, MSG_WAITFORONE, &to);
    }
    if (n < 0) { if (errno == EINTR || errno == EAGAIN) { if (now_ns() > deadline) return 1; continue; } perror("recvmmsg"); return 1; }
    for (int i = 0; i < n; i++) {
      /* the same per-datagram work as the addon: read pktinfo and the timestamp */
      volatile int ifindex = 0; volatile int64_t ts = 0;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) ifindex = ((struct in_pktinfo*)CMSG_DATA(c))->ipi_ifindex;
        else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) { struct timespec t; memcpy(&t, CMSG_DATA(c), sizeof t); ts = t.tv_sec * 1000000000LL + t.tv_nsec; }
      }
      (void)ifindex; (void)ts;
      if (msgs[i].msg_len == 3 && memcmp(bufs[i], "END", 3) == 0) {
        int64_t cpu = cpu_ns() - cpu0, wall = now_ns() - t0;
        printf("{\"count\":%lld,\"cpuNs\":%lld,\"wallNs\":%lld}\n", count - warm, (long long)cpu, (long long)wall);
        return 0;
      }
      if (count == warm) { cpu0 = cpu_ns(); t0 = now_ns(); }
      count++;
    }
  }
}

static int mode_send(int port, int rate, int ms) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = lo_addr(port);
  char msg[64];
  memset(msg, 's', sizeof msg);
  enum { B = 64 };
  struct mmsghdr msgs[B];
  struct iovec iov = {msg, sizeof msg};
  for (int i = 0; i < B; i++) {
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int64_t start = now_ns(), end = start + (int64_t)ms * 1000000LL;
  long long sent = 0;
  for (;;) {
    int64_t t = now_ns();
    if (t >= end) break;
    long long due = (long long)((double)(t - start) * rate / 1e9);
    while (sent < due) {
      int k = due - sent > B ? B : (int)(due - sent);
      int r = sendmmsg(fd, msgs, (unsigned)k, 0);
      if (r <= 0) break;
      sent += r;
    }
    struct timespec nap = {0, 50000};
    nanosleep(&nap, NULL);
  }
  for (int i = 0; i < 5; i++) {
    struct timespec nap = {0, 20000000};
    nanosleep(&nap, NULL);
    sendto(fd, "END", 3, 0, (struct sockaddr*)&to, sizeof to);
  }
  printf("{\"sent\":%lld,\"wallNs\":%lld}\n", sent, (long long)(now_ns() - start));
  return 0;
}

static int mode_blast(int port, int count, int batch) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = lo_addr(port);
  char msg[64];
  memset(msg, 'b', sizeof msg);
  struct mmsghdr* msgs = calloc((size_t)batch, sizeof *msgs);
  struct iovec iov = {msg, sizeof msg};
  for (int i = 0; i < batch; i++) {
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  long long sent = 0;
  int64_t t0 = now_ns(), cpu0 = cpu_ns();
  while (sent < count) {
    int r = sendmmsg(fd, msgs, (unsigned)batch, 0);
    if (r < 0) { if (errno == EINTR) continue; perror("sendmmsg"); return 1; }
    sent += r;
  }
  int64_t dt = now_ns() - t0, cpu = cpu_ns() - cpu0;
  printf("{\"sent\":%lld,\"perSec\":%.1f,\"cpuNs\":%lld}\n", sent, (double)sent * 1e9 / (double)dt, (long long)cpu);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) { fprintf(stderr, "usage: see the header of udpbench.c\n"); return 2; }
  const char* m = argv[1];
  if (!strcmp(m, "echo")) return mode_echo(0);
  if (!strcmp(m, "echo-epoll")) return mode_echo(1);
  if (!strcmp(m, "recv")) return mode_recv(0, argc >= 3 ? atoll(argv[2]) : 0);
  if (!strcmp(m, "recv-epoll")) return mode_recv(1, argc >= 3 ? atoll(argv[2]) : 0);
  if (argc >= 5 && !strcmp(m, "ping")) return mode_ping(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), 0);
  if (argc >= 5 && !strcmp(m, "ping-epoll")) return mode_ping(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), 1);
  if (argc >= 5 && !strcmp(m, "send")) return mode_send(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  if (argc >= 5 && !strcmp(m, "blast")) return mode_blast(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  fprintf(stderr, "bad arguments\n");
  return 2;
}
