// POSIX code shared by Linux and macOS: address parsing and formatting, errno names,
// socket creation, the receive options (with per-OS constants), multicast membership (protocol-independent
// MCAST_JOIN_GROUP), ancillary data parsing and the getifaddrs inventory. No N-API here.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <map>

#include "platform.h"
#include "unix_internal.h"

namespace nc {

// The errno names this addon reports as an error's `code` (as Node's own errors do).
#define NC_ERRNO(x) {x, #x}
constexpr struct {
  int err;
  const char* name;
} kErrnoNames[] = {
    NC_ERRNO(EACCES),       NC_ERRNO(EPERM),       NC_ERRNO(EADDRINUSE),      NC_ERRNO(EADDRNOTAVAIL),
    NC_ERRNO(EAFNOSUPPORT), NC_ERRNO(EAGAIN),      NC_ERRNO(EBADF),           NC_ERRNO(ECONNREFUSED),
    NC_ERRNO(EHOSTUNREACH), NC_ERRNO(EHOSTDOWN),   NC_ERRNO(EINVAL),          NC_ERRNO(EMSGSIZE),
    NC_ERRNO(ENETDOWN),     NC_ERRNO(ENETUNREACH), NC_ERRNO(ENOBUFS),         NC_ERRNO(ENODEV),
    NC_ERRNO(ENOENT),       NC_ERRNO(ENOMEM),      NC_ERRNO(ENOPROTOOPT),     NC_ERRNO(ENOTSOCK),
    NC_ERRNO(ENXIO),        NC_ERRNO(EOPNOTSUPP),  NC_ERRNO(EPROTONOSUPPORT), NC_ERRNO(EMFILE),
    NC_ERRNO(ENFILE),       NC_ERRNO(EINTR),       NC_ERRNO(ENOTDIR),         NC_ERRNO(EISDIR),
    NC_ERRNO(ESRCH),        NC_ERRNO(ENOSYS),      NC_ERRNO(EPROTOTYPE),      NC_ERRNO(EFAULT),
    NC_ERRNO(EDESTADDRREQ), NC_ERRNO(ENOTCONN),    NC_ERRNO(ECONNRESET),      NC_ERRNO(ETIMEDOUT),
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
    NC_ERRNO(ENOTSUP),
#endif
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
    NC_ERRNO(EWOULDBLOCK),
#endif
};
#undef NC_ERRNO

const char* ErrnoCode(int err) {
  for (const auto& e : kErrnoNames)
    if (e.err == err) return e.name;
  return "UNKNOWN";
}

std::string FormatIn4(const in_addr& a) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::string FormatIn6(const in6_addr& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, buf, sizeof buf);
  return buf;
}

std::string FormatAddress(const sockaddr* sa, uint16_t* port_out) {
  if (sa->sa_family == AF_INET) {
    auto* s = reinterpret_cast<const sockaddr_in*>(sa);
    if (port_out) *port_out = ntohs(s->sin_port);
    return FormatIn4(s->sin_addr);
  }
  if (sa->sa_family == AF_INET6) {
    auto* s = reinterpret_cast<const sockaddr_in6*>(sa);
    if (port_out) *port_out = ntohs(s->sin6_port);
    std::string out = FormatIn6(s->sin6_addr);
    // numeric zone: an index is meaningful in the socket's namespace, a name may not be
    if (s->sin6_scope_id != 0) out += "%" + std::to_string(s->sin6_scope_id);
    return out;
  }
  if (port_out) *port_out = 0;
  return "";
}

bool ParseAddress(int family, const std::string& text, uint16_t port, sockaddr_storage* out, socklen_t* len) {
  memset(out, 0, sizeof *out);
  if (family == 4) {
    auto* s = reinterpret_cast<sockaddr_in*>(out);
    if (inet_pton(AF_INET, text.c_str(), &s->sin_addr) != 1) return false;
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    *len = sizeof(sockaddr_in);
#ifdef __APPLE__
    s->sin_len = sizeof(sockaddr_in);
#endif
    return true;
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(out);
  std::string host = text;
  unsigned scope = 0;
  size_t pct = text.find('%');
  if (pct != std::string::npos) {
    host = text.substr(0, pct);
    std::string zone = text.substr(pct + 1);
    if (zone.empty()) return false;
    char* end = nullptr;
    unsigned long v = strtoul(zone.c_str(), &end, 10);
    if (end != nullptr && *end == '\0') {
      scope = static_cast<unsigned>(v);
    } else {
      scope = if_nametoindex(zone.c_str());
      if (scope == 0) return false;
    }
  }
  if (inet_pton(AF_INET6, host.c_str(), &s->sin6_addr) != 1) return false;
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  s->sin6_scope_id = scope;
  *len = sizeof(sockaddr_in6);
#ifdef __APPLE__
  s->sin6_len = sizeof(sockaddr_in6);
#endif
  return true;
}

int OpenUdp(int family, const std::string& netns, SysErr* e) {
  NetnsGuard guard;
  if (!netns.empty() && guard.Enter(netns, e) != 0) return -1;
  int domain = family == 6 ? AF_INET6 : AF_INET;
  int fd = socket(domain, SOCK_DGRAM, IPPROTO_UDP);
  int saved = errno;
  guard.Leave();  // back to the original namespace before anything else can fail
  if (fd < 0) {
    e->set(saved, "socket", std::string(family == 6 ? "udp6" : "udp4") + (netns.empty() ? "" : " in netns " + netns));
    return -1;
  }
  int fl = fcntl(fd, F_GETFL, 0);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    e->set(errno, "fcntl", "O_NONBLOCK");
    close(fd);
    return -1;
  }
  if (family == 6) {
    int on = 1;  // v6 sockets are v6-only: v4 traffic uses a v4 socket
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  }
  return fd;  // receive options: EnableRecvInfo, at the first bind or receive (udp_socket.cc)
}

int EnableRecvInfo(int fd, int family, SysErr* e) {
  const RecvInfoOptions& o = kRecvInfoOptions;
  int on = 1;
  for (const SockOpt* opt : {family == 4 ? &o.pktinfo4 : &o.pktinfo6, &o.timestamps}) {
    if (setsockopt(fd, opt->level, opt->name, &on, sizeof on) != 0) {
      e->set(errno, "setsockopt", opt->label);
      return -1;
    }
  }
  return 0;
}

int GetRecvInfo(int fd, int family, bool* pktinfo, bool* timestamps, SysErr* e) {
  const RecvInfoOptions& o = kRecvInfoOptions;
  struct {
    const SockOpt* opt;
    bool* out;
  } reads[] = {{family == 4 ? &o.pktinfo4 : &o.pktinfo6, pktinfo}, {&o.timestamps, timestamps}};
  for (const auto& r : reads) {
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(fd, r.opt->level, r.opt->name, &v, &len) != 0) {
      e->set(errno, "getsockopt", r.opt->label);
      return -1;
    }
    *r.out = v != 0;
  }
  return 0;
}

int Membership(int fd, int family, bool join, const sockaddr_storage& group, unsigned ifindex,
               const std::string& group_text, SysErr* e) {
  group_req req;
  memset(&req, 0, sizeof req);
  req.gr_interface = ifindex;
  memcpy(&req.gr_group, &group, sizeof group);
  int level = family == 6 ? IPPROTO_IPV6 : IPPROTO_IP;
  int opt = join ? MCAST_JOIN_GROUP : MCAST_LEAVE_GROUP;
  if (setsockopt(fd, level, opt, &req, sizeof req) != 0) {
    e->set(errno, "setsockopt",
           std::string(join ? "MCAST_JOIN_GROUP " : "MCAST_LEAVE_GROUP ") + group_text + " on ifindex " +
               std::to_string(ifindex));
    return -1;
  }
  return 0;
}

void ParseControl(msghdr* msg, RecvSlot* slot) {
  slot->dst_family = 0;
  slot->ifindex = 0;
  slot->ts_ns = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      slot->dst_family = 4;
      slot->dst4 = pi.ipi_addr;
      slot->ifindex = static_cast<unsigned>(pi.ipi_ifindex);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      slot->dst_family = 6;
      slot->dst6 = pi.ipi6_addr;
      slot->ifindex = pi.ipi6_ifindex;
    } else if (c->cmsg_level == SOL_SOCKET) {
      ParseTimestamp(c, slot);
    }
  }
}

int SendLoop(int fd, const OutMsg* msgs, int n, SysErr* e) {
  for (int i = 0; i < n; i++) {
    ssize_t r = sendto(fd, msgs[i].data, msgs[i].len, 0, reinterpret_cast<const sockaddr*>(&msgs[i].to), msgs[i].tolen);
    if (r < 0) {
      if (i > 0) return i;
      e->set(errno, "sendto", FormatAddress(reinterpret_cast<const sockaddr*>(&msgs[i].to), nullptr));
      return -1;
    }
  }
  return n;
}

int OpenWakePipe(int fds[2], SysErr* e) {
  if (pipe(fds) != 0) {
    e->set(errno, "pipe", "receive thread wake-up");
    return -1;
  }
  for (int i = 0; i < 2; i++) {
    int fl = fcntl(fds[i], F_GETFL, 0);
    if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0) {
      e->set(errno, "fcntl", "receive thread wake-up pipe");
      close(fds[0]);
      close(fds[1]);
      return -1;
    }
  }
  return 0;
}

static int PrefixBits(const uint8_t* p, size_t n) {
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t b = p[i];
    while (b & 0x80) {
      bits++;
      b = static_cast<uint8_t>(b << 1);
    }
    if (p[i] != 0xff) break;
  }
  return bits;
}

int ListInterfaces(const std::string& netns, std::vector<IfInfo>* out, SysErr* e) {
  NetnsGuard guard;
  if (!netns.empty() && guard.Enter(netns, e) != 0) return -1;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    e->set(errno, "getifaddrs", netns.empty() ? "" : "in netns " + netns);
    return -1;
  }
  int ctl = socket(AF_INET, SOCK_DGRAM, 0);  // for SIOCGIFMTU, in the same namespace
  std::map<std::string, size_t> by_name;
  for (ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_name == nullptr) continue;
    std::string name = ifa->ifa_name;
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      IfInfo info;
      info.name = name;
      info.index = if_nametoindex(ifa->ifa_name);
      unsigned f = ifa->ifa_flags;
      info.up = (f & IFF_UP) != 0;
      info.running = (f & IFF_RUNNING) != 0;
      info.loopback = (f & IFF_LOOPBACK) != 0;
      info.broadcast = (f & IFF_BROADCAST) != 0;
      info.multicast = (f & IFF_MULTICAST) != 0;
      info.p2p = (f & IFF_POINTOPOINT) != 0;
      if (ctl >= 0) {
        ifreq req;
        memset(&req, 0, sizeof req);
        strncpy(req.ifr_name, ifa->ifa_name, IF_NAMESIZE - 1);
        if (ioctl(ctl, SIOCGIFMTU, &req) == 0) info.mtu = req.ifr_mtu;
      }
      info.type = InterfaceType(name, info.index, netns.empty());
      out->push_back(info);
      it = by_name.emplace(name, out->size() - 1).first;
    }
    IfInfo& info = (*out)[it->second];
    const sockaddr* sa = ifa->ifa_addr;
    if (sa == nullptr) continue;
    if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
      IfAddr a;
      a.family = sa->sa_family == AF_INET6 ? 6 : 4;
      if (a.family == 4) {
        a.address = FormatIn4(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
      } else {
        auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
        a.address = FormatIn6(s6->sin6_addr);
        a.scope_id = s6->sin6_scope_id;
      }
      const sockaddr* mask = ifa->ifa_netmask;
      if (mask != nullptr) {
        // Some systems leave sa_family unset in netmasks: go by the address family.
        size_t offset = a.family == 6 ? offsetof(sockaddr_in6, sin6_addr) : offsetof(sockaddr_in, sin_addr);
        size_t bytes = a.family == 6 ? 16 : 4;
#ifdef __APPLE__
        // macOS hands out netmasks cut after their last non-zero byte (sa_len 5 for
        // 255.0.0.0, the next sockaddr right behind): read only sa_len bytes.
        size_t have = mask->sa_len > offset ? mask->sa_len - offset : 0;
        if (have < bytes) bytes = have;
#endif
        a.prefix = PrefixBits(reinterpret_cast<const uint8_t*>(mask) + offset, bytes);
      }
      if (a.family == 4 && (ifa->ifa_flags & IFF_BROADCAST) && ifa->ifa_broadaddr != nullptr &&
          ifa->ifa_broadaddr->sa_family == AF_INET) {
        // glibc reports the address itself when no broadcast address is configured
        std::string b = FormatIn4(reinterpret_cast<const sockaddr_in*>(ifa->ifa_broadaddr)->sin_addr);
        if (b != a.address && b != "0.0.0.0") a.broadcast = b;
      }
      info.addrs.push_back(a);
    } else {
      std::string mac;
      if (LinkMac(ifa, &mac)) info.mac = mac;
    }
  }
  freeifaddrs(list);
  if (ctl >= 0) close(ctl);
  return 0;
}

}  // namespace nc
