// Linux-specific parts: SO_TIMESTAMPNS, recvmmsg/sendmmsg, SO_BINDTODEVICE, ip_mreqn,
// TCP_KEEPIDLE/INTVL/CNT, network namespaces (setns), sysfs interface types.
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "platform.h"
#include "unix_internal.h"

namespace nc {

// The receive options (socket_unix.cc EnableRecvInfo / GetRecvInfo): IP_PKTINFO carries
// both the arrival interface and the destination on Linux (ip(7)); SO_TIMESTAMPNS stamps
// with nanoseconds (socket(7)).
const RecvInfoOptions kRecvInfoOptions = {
    {IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO"},
    {IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO"},
    {SOL_SOCKET, SO_TIMESTAMPNS, "SO_TIMESTAMPNS"},
};

void ParseTimestamp(const cmsghdr* c, RecvSlot* slot) {
  if (c->cmsg_type == SCM_TIMESTAMPNS) {
    timespec ts;
    memcpy(&ts, CMSG_DATA(c), sizeof ts);
    slot->ts_ns = static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
  }
}

int BindToDevice(int fd, int, const std::string& name, unsigned ifindex, SysErr* e) {
  if (name.empty()) {
    // SO_BINDTOIFINDEX resolves the index in the socket's own namespace (if_indextoname
    // would look in the caller's).
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif
    int idx = static_cast<int>(ifindex);
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &idx, sizeof idx) == 0) return 0;
    if (errno != ENOPROTOOPT) {
      e->set(errno, "setsockopt", "SO_BINDTOIFINDEX " + std::to_string(ifindex));
      return -1;
    }
    char buf[IF_NAMESIZE] = {0};  // kernels before 5.0
    if (ifindex != 0 && if_indextoname(ifindex, buf) == nullptr) {
      e->set(errno, "if_indextoname", "ifindex " + std::to_string(ifindex));
      return -1;
    }
    return BindToDevice(fd, 0, buf, 0, e);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(), static_cast<socklen_t>(name.size())) != 0) {
    e->set(errno, "setsockopt", "SO_BINDTODEVICE " + name);
    return -1;
  }
  return 0;
}

int SetMulticastIf(int fd, int family, unsigned ifindex, SysErr* e) {
  int r;
  if (family == 4) {
    ip_mreqn m;
    memset(&m, 0, sizeof m);
    m.imr_ifindex = static_cast<int>(ifindex);
    r = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
  } else {
    int idx = static_cast<int>(ifindex);
    r = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
  }
  if (r != 0) {
    e->set(errno, "setsockopt",
           std::string(family == 4 ? "IP_MULTICAST_IF" : "IPV6_MULTICAST_IF") + " ifindex " + std::to_string(ifindex));
    return -1;
  }
  return 0;
}

// The recvmmsg headers are kept between calls (per thread) for the slot array they were
// built for, marked by a token stored in slots[0].os_token (0 in any new slot array, so a
// freed array's address coming back cannot match); then only the fields the kernel writes
// back are reset, and an almost empty wake-up (one datagram, the common case) costs one
// recvmmsg and little else. Several sockets on one thread just rebuild when they alternate.
int RecvBatch(int fd, RecvSlot* slots, int n, SysErr* e) {
  constexpr int kMax = 64;
  struct Headers {
    RecvSlot* slots = nullptr;
    uint64_t token = 0;
    int n = 0;
    int dirty = 0;  // headers the last call may have changed
    mmsghdr msgs[kMax];
    iovec iov[kMax];
    alignas(cmsghdr) char control[kMax][kControlLen];
  };
  static thread_local Headers h;
  static thread_local uint64_t tokens = 0;
  if (n > kMax) n = kMax;
  if (h.slots != slots || h.n != n || h.token == 0 || slots[0].os_token != h.token) {
    for (int i = 0; i < n; i++) {
      h.iov[i].iov_base = slots[i].buf;
      h.iov[i].iov_len = slots[i].cap;
      msghdr& m = h.msgs[i].msg_hdr;
      m.msg_name = &slots[i].src;
      m.msg_iov = &h.iov[i];
      m.msg_iovlen = 1;
      m.msg_control = h.control[i];
    }
    h.slots = slots;
    h.n = n;
    h.token = slots[0].os_token = ++tokens;
    h.dirty = n;
  }
  for (int i = 0; i < h.dirty; i++) {
    msghdr& m = h.msgs[i].msg_hdr;
    m.msg_namelen = sizeof(sockaddr_storage);
    m.msg_controllen = kControlLen;
    m.msg_flags = 0;
    h.msgs[i].msg_len = 0;
  }
  int r;
  do {
    r = recvmmsg(fd, h.msgs, static_cast<unsigned>(n), MSG_DONTWAIT, nullptr);
  } while (r < 0 && errno == EINTR);
  // the kernel writes back only the headers it filled; one more is reset to be safe
  h.dirty = r < 0 ? 1 : (r < n ? r + 1 : n);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    e->set(errno, "recvmmsg", "fd " + std::to_string(fd));
    return -1;
  }
  for (int i = 0; i < r; i++) {
    slots[i].len = h.msgs[i].msg_len;
    slots[i].truncated = (h.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    ParseControl(&h.msgs[i].msg_hdr, &slots[i]);
  }
  return r;
}

int WaitReadable(int fd, int wake_fd, int64_t timeout_ns, SysErr* e) {
  pollfd p[2] = {{wake_fd, POLLIN, 0}, {fd, POLLIN, 0}};
  nfds_t n = fd >= 0 ? 2 : 1;
  timespec ts{static_cast<time_t>(timeout_ns / 1000000000LL), static_cast<long>(timeout_ns % 1000000000LL)};
  int r;
  do {
    r = ppoll(p, n, timeout_ns < 0 ? nullptr : &ts, nullptr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    e->set(errno, "ppoll", "fd " + std::to_string(fd));
    return -1;
  }
  if (r == 0) return 0;
  if (p[0].revents != 0) return 2;
  return 1;  // readable, or POLLERR/POLLHUP: the next recvmmsg reports the error
}

int SendBatch(int fd, const OutMsg* out, int n, SysErr* e) {
  constexpr int kChunk = 256;
  mmsghdr msgs[kChunk];
  iovec iov[kChunk];
  int sent = 0;
  while (sent < n) {
    int m = n - sent < kChunk ? n - sent : kChunk;
    for (int i = 0; i < m; i++) {
      const OutMsg& o = out[sent + i];
      iov[i].iov_base = const_cast<uint8_t*>(o.data);
      iov[i].iov_len = o.len;
      msghdr& h = msgs[i].msg_hdr;
      memset(&h, 0, sizeof h);
      h.msg_name = const_cast<sockaddr_storage*>(&o.to);
      h.msg_namelen = o.tolen;
      h.msg_iov = &iov[i];
      h.msg_iovlen = 1;
    }
    int r;
    do {
      r = sendmmsg(fd, msgs, static_cast<unsigned>(m), MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      if (sent > 0) return sent;
      e->set(errno, "sendmmsg", FormatAddress(reinterpret_cast<const sockaddr*>(&out[sent].to), nullptr));
      return -1;
    }
    sent += r;
    if (r < m) break;  // socket buffer full: report the partial count
  }
  return sent;
}

int SetKeepalive(int fd, int idle, int interval, int count, SysErr* e) {
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0) {
    e->set(errno, "setsockopt", "SO_KEEPALIVE on fd " + std::to_string(fd));
    return -1;
  }
  struct {
    int opt;
    int val;
    const char* name;
  } opts[] = {{TCP_KEEPIDLE, idle, "TCP_KEEPIDLE"},
              {TCP_KEEPINTVL, interval, "TCP_KEEPINTVL"},
              {TCP_KEEPCNT, count, "TCP_KEEPCNT"}};
  for (auto& o : opts) {
    if (setsockopt(fd, IPPROTO_TCP, o.opt, &o.val, sizeof o.val) != 0) {
      e->set(errno, "setsockopt", std::string(o.name) + "=" + std::to_string(o.val) + " on fd " + std::to_string(fd));
      return -1;
    }
  }
  return 0;
}

int GetKeepalive(int fd, Keepalive* out, SysErr* e) {
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len) != 0) {
    e->set(errno, "getsockopt", "SO_KEEPALIVE on fd " + std::to_string(fd));
    return -1;
  }
  out->enabled = v != 0;
  int* dst[] = {&out->idle, &out->interval, &out->count};
  int opt[] = {TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT};
  const char* names[] = {"TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"};
  for (int i = 0; i < 3; i++) {
    len = sizeof v;
    if (getsockopt(fd, IPPROTO_TCP, opt[i], &v, &len) != 0) {
      e->set(errno, "getsockopt", std::string(names[i]) + " on fd " + std::to_string(fd));
      return -1;
    }
    *dst[i] = v;
  }
  return 0;
}

bool LinkMac(const ifaddrs* ifa, std::string* mac) {
  if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != AF_PACKET) return false;
  auto* ll = reinterpret_cast<const sockaddr_ll*>(ifa->ifa_addr);
  if (ll->sll_halen == 0) return false;
  char buf[3 * 8 + 1] = {0};
  size_t n = ll->sll_halen > 8 ? 8 : ll->sll_halen;
  bool nonzero = false;
  for (size_t i = 0; i < n; i++) {
    snprintf(buf + 3 * i, 4, i + 1 < n ? "%02x:" : "%02x", ll->sll_addr[i]);
    nonzero = nonzero || ll->sll_addr[i] != 0;
  }
  if (!nonzero) return false;  // loopback reports 00:00:00:00:00:00
  *mac = buf;
  return true;
}

static bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

static std::string ReadFirstLine(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  if (f) std::getline(f, line);
  return line;
}

static std::string UeventDevtype(const std::string& dir) {
  std::ifstream f(dir + "/uevent");
  std::string line;
  while (f && std::getline(f, line)) {
    if (line.rfind("DEVTYPE=", 0) == 0) return line.substr(8);
  }
  return "";
}

// ethtool driver name ("veth", "bridge", "tun", ...) through an ioctl on a socket in the
// current namespace; works where sysfs belongs to another namespace.
static std::string DriverName(const std::string& name) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return "";
  ethtool_drvinfo info;
  memset(&info, 0, sizeof info);
  info.cmd = ETHTOOL_GDRVINFO;
  ifreq req;
  memset(&req, 0, sizeof req);
  strncpy(req.ifr_name, name.c_str(), IF_NAMESIZE - 1);
  req.ifr_data = reinterpret_cast<char*>(&info);
  std::string out;
  if (ioctl(fd, SIOCETHTOOL, &req) == 0) out = info.driver;
  close(fd);
  return out;
}

static int ArpType(const std::string& name) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  ifreq req;
  memset(&req, 0, sizeof req);
  strncpy(req.ifr_name, name.c_str(), IF_NAMESIZE - 1);
  int t = -1;
  if (ioctl(fd, SIOCGIFHWADDR, &req) == 0) t = req.ifr_hwaddr.sa_family;
  close(fd);
  return t;
}

std::string InterfaceType(const std::string& name, unsigned index, bool same_netns) {
  const std::string dir = "/sys/class/net/" + name;
  // sysfs shows the namespace it was mounted in: trust it only when the ifindex matches.
  bool sysfs = same_netns && ReadFirstLine(dir + "/ifindex") == std::to_string(index);
  int arp = -1;
  if (sysfs) {
    std::string t = ReadFirstLine(dir + "/type");
    arp = t.empty() ? -1 : atoi(t.c_str());
    if (arp == ARPHRD_LOOPBACK) return "loopback";
    if (Exists(dir + "/bridge")) return "bridge";
    if (Exists(dir + "/tun_flags")) return "tun";
    if (Exists(dir + "/wireless") || Exists(dir + "/phy80211")) return "wireless";
    std::string devtype = UeventDevtype(dir);
    if (devtype == "wlan") return "wireless";
    if (devtype == "bridge") return "bridge";
  } else {
    arp = ArpType(name);
    if (arp == ARPHRD_LOOPBACK) return "loopback";
  }
  std::string drv = DriverName(name);
  if (drv == "veth") return "veth";
  if (drv == "bridge") return "bridge";
  if (drv == "tun") return "tun";
  // Software devices with an Ethernet header but no wire are not "ethernet".
  if (drv == "ifb" || drv == "dummy" || drv == "vxlan" || drv == "macvlan" || drv == "ipvlan") return "other";
  if (arp == ARPHRD_ETHER) return "ethernet";
  return "other";
}

int NetnsGuard::Enter(const std::string& name, SysErr* e) {
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    e->set(EINVAL, "open", "netns name " + name);
    return -1;
  }
  std::string path = "/run/netns/" + name;
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    e->set(errno, "open", "netns " + path);
    return -1;
  }
  orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig < 0) {
    e->set(errno, "open", "/proc/thread-self/ns/net");
    close(target);
    return -1;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    e->set(errno, "setns", "netns " + path);
    close(target);
    close(orig);
    orig = -1;
    return -1;
  }
  close(target);
  entered = true;
  return 0;
}

void NetnsGuard::Leave() {
  if (entered) {
    if (setns(orig, CLONE_NEWNET) != 0) {
      perror("netconform native: cannot return to the original network namespace");
      abort();
    }
    entered = false;
  }
  if (orig >= 0) {
    close(orig);
    orig = -1;
  }
}

Features GetFeatures() {
  Features f;
  f.pktinfo = true;
  f.timestamps = true;
  f.mmsg = true;
  f.netns = Exists("/proc/self/ns/net");
  return f;
}

}  // namespace nc
