// macOS-specific parts. Compiled in this repo's CI by `npm run check:macos` for arm64 and x86_64
// against zig 0.11's macOS 11 libc headers with -Werror, and run on Linux against a model of the
// Darwin calls (`npm run check:darwin-model`, native/model/); only a Mac runs it for real.
// Keep it small and keep #ifdef guards for SDK differences. Uses, as <netinet/in.h>,
// <netinet6/in6.h>, <sys/socket.h>, <netinet/tcp.h> and <sys/sockio.h> define them:
// IP_RECVPKTINFO (== IP_PKTINFO, cmsg struct in_pktinfo) / IPV6_RECVPKTINFO (RFC 3542 values
// only with __APPLE_USE_RFC_3542), SO_TIMESTAMP (SCM_TIMESTAMP, struct timeval),
// IP_BOUND_IF / IPV6_BOUND_IF ("int; set/get bound interface", an interface index),
// IP_MULTICAST_IFINDEX, TCP_KEEPALIVE (idle seconds) / TCP_KEEPINTVL / TCP_KEEPCNT,
// SIOCGIFFUNCTIONALTYPE (ifr_functional_type, IFRTYPE_FUNCTIONAL_* in <net/if.h>).
// No recvmmsg/sendmmsg (loops instead: recvmsg(2) and sendto(2), also on the receive thread).
// Apple's batched recvmsg_x/sendmsg_x are private syscalls, declared only in xnu's sources, not
// in the SDK (curl enables them only behind an "undocumented calls" opt-in, curl/curl#22417;
// bun gates them to macOS 15.6+ for a socket-lock leak in older xnu, oven-sh/bun#34461), so
// they are not used. No network namespaces.
#ifndef __APPLE_USE_RFC_3542
#define __APPLE_USE_RFC_3542 1
#endif
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_dl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sockio.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>

#include "platform.h"
#include "unix_internal.h"

namespace nc {

// The receive options (socket_unix.cc EnableRecvInfo / GetRecvInfo): macOS asks for IPv4
// pktinfo with IP_RECVPKTINFO (ip(4)); it has SO_TIMESTAMP (microseconds), no SO_TIMESTAMPNS.
const RecvInfoOptions kRecvInfoOptions = {
    {IPPROTO_IP, IP_RECVPKTINFO, "IP_RECVPKTINFO"},
    {IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO"},
    {SOL_SOCKET, SO_TIMESTAMP, "SO_TIMESTAMP"},
};

void ParseTimestamp(const cmsghdr* c, RecvSlot* slot) {
  if (c->cmsg_type == SCM_TIMESTAMP) {
    timeval tv;
    memcpy(&tv, CMSG_DATA(c), sizeof tv);
    slot->ts_ns = static_cast<int64_t>(tv.tv_sec) * 1000000000LL + tv.tv_usec * 1000LL;
  }
}

int BindToDevice(int fd, int family, const std::string& name, unsigned ifindex, SysErr* e) {
  unsigned idx = ifindex;
  if (!name.empty()) {
    idx = if_nametoindex(name.c_str());
    if (idx == 0) {
      e->set(ENXIO, "if_nametoindex", name);
      return -1;
    }
  }
  int r = family == 4 ? setsockopt(fd, IPPROTO_IP, IP_BOUND_IF, &idx, sizeof idx)
                      : setsockopt(fd, IPPROTO_IPV6, IPV6_BOUND_IF, &idx, sizeof idx);
  if (r != 0) {
    e->set(errno, "setsockopt",
           std::string(family == 4 ? "IP_BOUND_IF " : "IPV6_BOUND_IF ") + (name.empty() ? std::to_string(idx) : name));
    return -1;
  }
  return 0;
}

int SetMulticastIf(int fd, int family, unsigned ifindex, SysErr* e) {
  int r = family == 4 ? setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IFINDEX, &ifindex, sizeof ifindex)
                      : setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex);
  if (r != 0) {
    e->set(errno, "setsockopt",
           std::string(family == 4 ? "IP_MULTICAST_IFINDEX " : "IPV6_MULTICAST_IF ") + std::to_string(ifindex));
    return -1;
  }
  return 0;
}

int RecvBatch(int fd, RecvSlot* slots, int n, SysErr* e) {
  int got = 0;
  alignas(cmsghdr) char control[kControlLen];
  while (got < n) {
    RecvSlot& s = slots[got];
    iovec iov{s.buf, s.cap};
    msghdr h;
    memset(&h, 0, sizeof h);
    h.msg_name = &s.src;
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = control;
    h.msg_controllen = sizeof control;
    ssize_t r = recvmsg(fd, &h, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (got > 0) break;
      e->set(errno, "recvmsg", "fd " + std::to_string(fd));
      return -1;
    }
    s.len = static_cast<size_t>(r);
    s.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    ParseControl(&h, &s);
    got++;
  }
  return got;
}

// No ppoll on macOS: poll(2) takes milliseconds, so a timeout is rounded up (a coalescing
// window below 1 ms becomes 1 ms there).
int WaitReadable(int fd, int wake_fd, int64_t timeout_ns, SysErr* e) {
  pollfd p[2] = {{wake_fd, POLLIN, 0}, {fd, POLLIN, 0}};
  nfds_t n = fd >= 0 ? 2 : 1;
  int ms = timeout_ns < 0 ? -1 : static_cast<int>((timeout_ns + 999999) / 1000000);
  int r;
  do {
    r = poll(p, n, ms);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    e->set(errno, "poll", "fd " + std::to_string(fd));
    return -1;
  }
  if (r == 0) return 0;
  if (p[0].revents != 0) return 2;
  return 1;
}

int SendBatch(int fd, const OutMsg* msgs, int n, SysErr* e) { return SendLoop(fd, msgs, n, e); }

int SetKeepalive(int fd, int idle, int interval, int count, SysErr* e) {
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPALIVE, &idle, sizeof idle) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count) != 0) {
    e->set(errno, "setsockopt", "TCP keepalive on fd " + std::to_string(fd));
    return -1;
  }
  return 0;
}

int GetKeepalive(int fd, Keepalive* out, SysErr* e) {
  int on = 0;
  socklen_t l1 = sizeof on, l2 = sizeof out->idle, l3 = sizeof out->interval, l4 = sizeof out->count;
  if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &l1) != 0 ||
      getsockopt(fd, IPPROTO_TCP, TCP_KEEPALIVE, &out->idle, &l2) != 0 ||
      getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &out->interval, &l3) != 0 ||
      getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &out->count, &l4) != 0) {
    e->set(errno, "getsockopt", "TCP keepalive on fd " + std::to_string(fd));
    return -1;
  }
  out->enabled = on != 0;
  return 0;
}

bool LinkMac(const ifaddrs* ifa, std::string* mac) {
  if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != AF_LINK) return false;
  auto* dl = reinterpret_cast<const sockaddr_dl*>(ifa->ifa_addr);
  if (dl->sdl_alen != 6) return false;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(LLADDR(dl));
  char buf[18];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
  *mac = buf;
  return true;
}

std::string InterfaceType(const std::string& name, unsigned, bool) {
#if defined(SIOCGIFFUNCTIONALTYPE) && defined(IFRTYPE_FUNCTIONAL_WIFI_AWDL)
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return "other";
  ifreq req;
  memset(&req, 0, sizeof req);
  strlcpy(req.ifr_name, name.c_str(), sizeof req.ifr_name);
  std::string out = "other";
  if (ioctl(fd, SIOCGIFFUNCTIONALTYPE, &req) == 0) {
    switch (req.ifr_ifru.ifru_functional_type) {
      case IFRTYPE_FUNCTIONAL_LOOPBACK:
        out = "loopback";
        break;
      case IFRTYPE_FUNCTIONAL_WIRED:
        out = "wired";
        break;
      case IFRTYPE_FUNCTIONAL_WIFI_INFRA:
        out = "wifi-infra";
        break;
      case IFRTYPE_FUNCTIONAL_WIFI_AWDL:
        out = "awdl";
        break;
      case IFRTYPE_FUNCTIONAL_CELLULAR:
        out = "cellular";
        break;
      default:
        break;
    }
  }
  close(fd);
  return out;
#else
  return name.rfind("lo", 0) == 0 ? "loopback" : "other";
#endif
}

int NetnsGuard::Enter(const std::string& name, SysErr* e) {
  e->set(ENOTSUP, "setns", "network namespaces are Linux-only (netns " + name + ")");
  return -1;
}
void NetnsGuard::Leave() {}

Features GetFeatures() { return Features{true, true, false, false}; }

}  // namespace nc
