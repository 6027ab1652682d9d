// MODEL, NOT macOS: drives native/src/socket_darwin.cc (with socket_unix.cc, the BSD layer it
// shares) on Linux through darwin_model.h, on real UDP and TCP sockets over loopback. Each check
// states what the darwin code must do with the model's answers; it exits 1 on the first failure.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "platform.h"
#include "unix_internal.h"

using namespace nc;

static int failures = 0;
static void Check(bool ok, const std::string& what) {
  std::fprintf(stderr, "darwin model: %s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) failures++;
}
#define CHECK(cond, what) Check((cond), (what))

static sockaddr_storage Addr(int family, const char* text, uint16_t port, socklen_t* len) {
  sockaddr_storage ss;
  ParseAddress(family, text, port, &ss, len);
  return ss;
}

static uint16_t BoundPort(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  uint16_t port = 0;
  FormatAddress(reinterpret_cast<sockaddr*>(&ss), &port);
  return port;
}

static void ReceivePath(int family) {
  const char* loop = family == 4 ? "127.0.0.1" : "::1";
  const std::string fam = family == 4 ? "v4" : "v6";
  auto check = [&](bool ok, const char* what) { Check(ok, std::string(what) + " " + fam); };
  SysErr e;
  int fd = OpenUdp(family, "", &e);
  check(fd >= 0, "OpenUdp");
  bool pktinfo = true, ts = true;
  check(GetRecvInfo(fd, family, &pktinfo, &ts, &e) == 0 && !pktinfo && !ts, "receive info off at creation");
  check(EnableRecvInfo(fd, family, &e) == 0, "EnableRecvInfo (IP_RECVPKTINFO/IPV6_RECVPKTINFO, SO_TIMESTAMP)");
  check(GetRecvInfo(fd, family, &pktinfo, &ts, &e) == 0 && pktinfo && ts, "GetRecvInfo reads both back");
  socklen_t len;
  sockaddr_storage any = Addr(family, loop, 0, &len);
  check(bind(fd, reinterpret_cast<sockaddr*>(&any), len) == 0, "bind loopback");
  sockaddr_storage to = Addr(family, loop, BoundPort(fd), &len);
  const uint8_t payload[3][5] = {{'a', '1'}, {'b', '2', '2'}, {'c', '3', '3', '3', '3'}};
  OutMsg msgs[3] = {{payload[0], 2, to, len}, {payload[1], 3, to, len}, {payload[2], 5, to, len}};
  check(SendBatch(fd, msgs, 3, &e) == 3, "SendBatch: one sendto per datagram");

  int wake[2];
  CHECK(OpenWakePipe(wake, &e) == 0, "wake pipe");
  check(WaitReadable(fd, wake[0], 1000000000LL, &e) == 1, "WaitReadable: the socket is readable");
  uint8_t bufs[4][8];
  RecvSlot slots[4];
  for (int i = 0; i < 4; i++) {
    slots[i].buf = bufs[i];
    slots[i].cap = i == 2 ? 3 : sizeof bufs[i];  // the third datagram (5 bytes) is cut to 3
  }
  int got = RecvBatch(fd, slots, 4, &e);
  check(got == 3, "RecvBatch drains the three, then EAGAIN ends the batch");
  check(slots[0].len == 2 && slots[1].len == 3 && !slots[0].truncated, "lengths");
  check(slots[2].len == 3 && slots[2].truncated, "MSG_TRUNC marks a cut datagram");
  check(slots[0].dst_family == family && slots[0].ifindex == if_nametoindex("lo"),
        "pktinfo: destination family and arrival interface");
  struct timeval now;
  gettimeofday(&now, nullptr);
  int64_t now_ns = static_cast<int64_t>(now.tv_sec) * 1000000000LL + now.tv_usec * 1000LL;
  // A timeval has microseconds: read as nanoseconds, the value is a multiple of 1000, a moment ago.
  const int64_t age = now_ns - slots[0].ts_ns;
  check(slots[0].ts_ns % 1000 == 0 && age >= 0 && age < 5000000000LL, "SCM_TIMESTAMP (struct timeval) read as ns");
  check(RecvBatch(fd, slots, 1, &e) == 0, "RecvBatch on an empty socket returns 0");
  check(WaitReadable(fd, wake[0], 1000000, &e) == 0, "WaitReadable times out (1 ms)");
  check(write(wake[1], "x", 1) == 1 && WaitReadable(fd, wake[0], -1, &e) == 2, "WaitReadable: the wake pipe wins");
  CHECK(WaitReadable(-1, wake[0], 0, &e) == 2, "WaitReadable without a socket polls the wake pipe only");
  close(wake[0]);
  close(wake[1]);

  // A partial batch: the second destination is of the other family, so that sendto fails.
  sockaddr_storage other = Addr(family == 4 ? 6 : 4, family == 4 ? "::1" : "127.0.0.1", 9, &len);
  const socklen_t to_len = family == 4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  OutMsg mixed[2] = {{payload[0], 2, to, to_len}, {payload[0], 2, other, len}};
  check(SendBatch(fd, mixed, 2, &e) == 1, "SendBatch stops at the first failing send after one");
  check(SendBatch(fd, mixed + 1, 1, &e) == -1 && e.syscall == "sendto",
        "SendBatch fails with sendto when the first fails");
  RecvBatch(fd, slots, 4, &e);  // drain
  close(fd);
  check(RecvBatch(fd, slots, 1, &e) == -1 && e.syscall == "recvmsg" && e.err == EBADF, "recvmsg error is reported");
  check(EnableRecvInfo(fd, family, &e) == -1 && e.err == EBADF, "EnableRecvInfo error");
  check(GetRecvInfo(fd, family, &pktinfo, &ts, &e) == -1 && e.err == EBADF, "GetRecvInfo error");
}

static void DeviceAndMulticast() {
  SysErr e;
  for (int family : {4, 6}) {
    const std::string fam = family == 4 ? "v4" : "v6";
    auto check = [&](bool ok, const char* what) { Check(ok, std::string(what) + " " + fam); };
    int fd = OpenUdp(family, "", &e);
    check(BindToDevice(fd, family, "lo", 0, &e) == 0, "IP_BOUND_IF by name (lo)");
    char dev[IF_NAMESIZE] = "";
    socklen_t dl = sizeof dev;
    getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl);
    check(std::string(dev) == "lo", "the model bound the socket to lo (SO_BINDTODEVICE)");
    check(BindToDevice(fd, family, "", if_nametoindex("lo"), &e) == 0, "IP_BOUND_IF by index");
    check(BindToDevice(fd, family, "nc-no-such0", 0, &e) == -1 && e.err == ENXIO && e.syscall == "if_nametoindex",
          "unknown name: ENXIO from if_nametoindex");
    check(BindToDevice(fd, family, "", 99999, &e) == -1 && e.syscall == "setsockopt",
          "unknown index: the setsockopt fails, naming it");
    check(SetMulticastIf(fd, family, if_nametoindex("lo"), &e) == 0, "IP_MULTICAST_IFINDEX / IPV6_MULTICAST_IF");
    check(SetMulticastIf(fd, family, 99999, &e) == -1 && e.syscall == "setsockopt", "multicast interface error");
    socklen_t len;
    sockaddr_storage group = Addr(family, family == 4 ? "239.255.0.1" : "ff02::114", 0, &len);
    check(Membership(fd, family, true, group, if_nametoindex("lo"), "group", &e) == 0, "MCAST_JOIN_GROUP");
    close(fd);
  }
}

static void Keepalives() {
  SysErr e;
  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(SetKeepalive(tcp, 7, 3, 4, &e) == 0, "TCP_KEEPALIVE / TCP_KEEPINTVL / TCP_KEEPCNT set");
  Keepalive k;
  CHECK(GetKeepalive(tcp, &k, &e) == 0 && k.enabled && k.idle == 7 && k.interval == 3 && k.count == 4, "and read back");
  close(tcp);
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(SetKeepalive(udp, 7, 3, 4, &e) == -1 && e.syscall == "setsockopt", "TCP options on a UDP socket fail");
  CHECK(GetKeepalive(udp, &k, &e) == -1 && e.syscall == "getsockopt", "and cannot be read");
  close(udp);
}

static void Interfaces() {
  SysErr e;
  std::vector<IfInfo> all;
  setenv("NC_MODEL_FUNCTIONAL_TYPES", "lo=loopback", 1);
  CHECK(ListInterfaces("", &all, &e) == 0 && !all.empty(), "ListInterfaces (getifaddrs with AF_LINK entries)");
  bool lo = false, mac = false;
  for (const IfInfo& i : all) {
    if (i.name == "lo") lo = i.type == "loopback" && i.loopback;
    if (!i.loopback && i.mac.size() == 17) mac = true;
  }
  CHECK(lo, "lo: functional type loopback");
  CHECK(mac || all.size() == 1, "a non-loopback interface's MAC from its sockaddr_dl (LLADDR)");
  const char* kinds[][2] = {
      {"wired", "wired"}, {"wifi-infra", "wifi-infra"}, {"awdl", "awdl"}, {"cellular", "cellular"}, {"x", "other"}};
  for (auto& k : kinds) {
    setenv("NC_MODEL_FUNCTIONAL_TYPES", (std::string("lo=") + k[0]).c_str(), 1);
    CHECK(InterfaceType("lo", 1, true) == k[1], (std::string("SIOCGIFFUNCTIONALTYPE ") + k[0] + " -> " + k[1]).c_str());
  }
  CHECK(InterfaceType("nc-no-such0", 0, true) == "other", "an interface the ioctl does not know is other");

  ifaddrs fake;
  memset(&fake, 0, sizeof fake);
  std::string m;
  CHECK(!LinkMac(&fake, &m), "LinkMac: no address");
  sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  fake.ifa_addr = reinterpret_cast<sockaddr*>(&sin);
  CHECK(!LinkMac(&fake, &m), "LinkMac: not AF_LINK");
}

static void Rest() {
  SysErr e;
  NetnsGuard g;
  CHECK(g.Enter("nc-x", &e) == -1 && e.err == ENOTSUP, "network namespaces: ENOTSUP");
  Features f = GetFeatures();
  CHECK(f.pktinfo && f.timestamps && !f.mmsg && !f.netns, "features: pktinfo, timestamps; no mmsg, no netns");
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))];
  cmsghdr* c = reinterpret_cast<cmsghdr*>(buf);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  RecvSlot s;
  ParseTimestamp(c, &s);
  CHECK(s.ts_ns == 0, "a SOL_SOCKET message other than SCM_TIMESTAMP is ignored");
}

int main() {
  ReceivePath(4);
  ReceivePath(6);
  DeviceAndMulticast();
  Keepalives();
  Interfaces();
  Rest();
  std::fprintf(stderr, "darwin model: %s (%d failure%s)\n", failures ? "FAILED" : "passed", failures,
               failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}
