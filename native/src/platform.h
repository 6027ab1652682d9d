// Internal contract between the N-API layer (udp_*.cc, interfaces.cc, keepalive.cc) and the per-OS code
// (socket_unix.cc shared by every POSIX system, socket_linux.cc, socket_darwin.cc).
// Nothing in here touches N-API: every function returns 0 / a count on success and fills
// a SysErr on failure, so the same code can run on the JS thread or in an AsyncWorker.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nc {

struct SysErr {
  int err = 0;          // errno value
  std::string syscall;  // e.g. "sendto"
  std::string detail;   // names the address / interface / namespace involved
  void set(int e, const char* sc, std::string d) {
    err = e;
    syscall = sc;
    detail = std::move(d);
  }
};

// ---- addresses (socket_unix.cc) -------------------------------------------------------
// Parses "1.2.3.4" or "fe80::1%ifname" / "ff02::1%3". Returns false if not a literal.
bool ParseAddress(int family, const std::string& text, uint16_t port, sockaddr_storage* out, socklen_t* len);
std::string FormatAddress(const sockaddr* sa, uint16_t* port_out);
std::string FormatIn4(const in_addr& a);
std::string FormatIn6(const in6_addr& a);
const char* ErrnoCode(int err);  // "EACCES", ... ("UNKNOWN" when unmapped)

// ---- sockets ------------------------------------------------------------------------
// Creates a non-blocking UDP socket (CLOEXEC, v6-only for family 6); netns (may be empty)
// is Linux-only. No receive options yet: the caller turns them on with EnableRecvInfo
// before the socket can receive (udp_socket.cc: at the first bind or startReceiving).
int OpenUdp(int family, const std::string& netns, SysErr* e);
// Arrival-interface / destination (IP_PKTINFO or IP_RECVPKTINFO, IPV6_RECVPKTINFO) and
// kernel-timestamp (SO_TIMESTAMPNS on Linux, SO_TIMESTAMP on macOS) ancillary data. Per OS.
int EnableRecvInfo(int fd, int family, SysErr* e);
// Reads those options back with getsockopt (per OS), for tests and diagnostics.
int GetRecvInfo(int fd, int family, bool* pktinfo, bool* timestamps, SysErr* e);
int BindToDevice(int fd, int family, const std::string& name, unsigned ifindex, SysErr* e);
int SetMulticastIf(int fd, int family, unsigned ifindex, SysErr* e);
int Membership(int fd, int family, bool join, const sockaddr_storage& group, unsigned ifindex,
               const std::string& group_text, SysErr* e);

// Receive slots filled by RecvBatch.
struct RecvSlot {
  uint8_t* buf = nullptr;
  size_t cap = 0;
  size_t len = 0;
  bool truncated = false;
  sockaddr_storage src{};
  int dst_family = 0;  // 0 if no pktinfo arrived
  in6_addr dst6{};
  in_addr dst4{};
  unsigned ifindex = 0;
  int64_t ts_ns = 0;  // 0 if no timestamp arrived
  // Per-OS bookkeeping (Linux: which prepared recvmmsg headers belong to this slot array);
  // 0 in a new slot array. Callers never touch it, and never change buf/cap of a slot
  // array once it has been passed to RecvBatch (make a new array instead).
  uint64_t os_token = 0;
};
// Fills up to n slots; returns the count (0 when nothing is queued) or -1 with e set.
int RecvBatch(int fd, RecvSlot* slots, int n, SysErr* e);

struct OutMsg {
  const uint8_t* data;
  size_t len;
  sockaddr_storage to;
  socklen_t tolen;
};
// Returns how many were sent (sendmmsg on Linux, a sendto loop elsewhere); -1 with e set if
// the first one failed.
int SendBatch(int fd, const OutMsg* msgs, int n, SysErr* e);

// ---- receive thread support (recv_thread.cc) ---------------------------------------------
// A pipe (both ends non-blocking, CLOEXEC) whose read end wakes a thread in WaitReadable.
int OpenWakePipe(int fds[2], SysErr* e);  // socket_unix.cc
// Blocks until fd (ignored when < 0) or wake_fd is readable, or timeout_ns passes (< 0: no
// timeout). Returns 1 if fd is readable, 2 if woken, 0 on timeout, -1 with e set. EINTR is
// retried. Per OS: ppoll(2) (ns resolution) on Linux, poll(2) (ms, rounded up) on macOS.
int WaitReadable(int fd, int wake_fd, int64_t timeout_ns, SysErr* e);

// ---- TCP keepalive --------------------------------------------------------------------
struct Keepalive {
  bool enabled = false;
  int idle = 0, interval = 0, count = 0;
};
int SetKeepalive(int fd, int idle, int interval, int count, SysErr* e);
int GetKeepalive(int fd, Keepalive* out, SysErr* e);

// ---- interfaces -----------------------------------------------------------------------
struct IfAddr {
  int family = 4;
  std::string address;
  int prefix = 0;
  std::string broadcast;  // empty if none
  unsigned scope_id = 0;
};
struct IfInfo {
  std::string name;
  unsigned index = 0;
  bool up = false, running = false, loopback = false, broadcast = false, multicast = false, p2p = false;
  int mtu = 0;
  std::string mac;  // empty if none
  std::string type = "other";
  std::vector<IfAddr> addrs;
};
// getifaddrs (inside netns when given, Linux only) + per-OS type detection.
int ListInterfaces(const std::string& netns, std::vector<IfInfo>* out, SysErr* e);
// Per OS: hardware address from a link-level ifaddrs entry, type from sysfs / ioctl.
bool LinkMac(const struct ifaddrs* ifa, std::string* mac);
std::string InterfaceType(const std::string& name, unsigned index, bool same_netns);

// ---- netns (Linux; other systems return ENOTSUP) --------------------------------------
// Runs fn with the calling thread inside /run/netns/<name> and always switches back.
struct NetnsGuard {
  int orig = -1;
  bool entered = false;
  // Enter: returns 0, or -1 with e set (nothing changed).
  int Enter(const std::string& name, SysErr* e);
  // Leave: restores the original namespace. Aborts the process if that fails, since the
  // JS thread would otherwise keep running in a foreign namespace.
  void Leave();
  ~NetnsGuard() { Leave(); }
};

struct Features {
  bool pktinfo, timestamps, mmsg, netns;
};
Features GetFeatures();

}  // namespace nc
