// Helpers shared between socket_unix.cc and the per-OS files (not part of the N-API layer).
#pragma once

#include <sys/socket.h>

#include "platform.h"

namespace nc {
// Fills slot->dst*, ifindex and ts_ns from a received message's ancillary data.
void ParseControl(msghdr* msg, RecvSlot* slot);
// Per OS: SCM_TIMESTAMPNS (Linux, struct timespec) / SCM_TIMESTAMP (macOS, struct timeval).
void ParseTimestamp(const cmsghdr* c, RecvSlot* slot);
// One sendto per datagram (systems without sendmmsg).
int SendLoop(int fd, const OutMsg* msgs, int n, SysErr* e);
// A socket option as setsockopt(2) takes it, with the name errors quote.
struct SockOpt {
  int level;
  int name;
  const char* label;
};
// Per OS: the options that turn on the arrival interface and destination (v4 and v6) and
// kernel receive timestamps, read and written by EnableRecvInfo / GetRecvInfo.
struct RecvInfoOptions {
  SockOpt pktinfo4, pktinfo6, timestamps;
};
extern const RecvInfoOptions kRecvInfoOptions;
// Ancillary buffer size big enough for pktinfo (v4 or v6) plus a timestamp.
constexpr size_t kControlLen = 128;
}  // namespace nc
