// Local network privacy, emulated with cgroup v2 BPF (Linux >= 5.18 for bpf_set_retval).
//
// macOS 15 refuses a process without local network permission: BSD sendto/connect to a local
// address fail with EHOSTUNREACH, and receiving keeps working (Apple TN3179 "Understanding
// local network privacy"; actions/runner-images#10924 shows "No route to host" on multicast
// sends). The harness runs a lab host's own processes (its SUT) in one cgroup per host and
// attaches here:
//
//  denied  cgroup/sendmsg4, sendmsg6 (every UDP sendto/sendmsg with an address, whatever the
//          socket is bound to) and cgroup/connect4, connect6 (TCP and UDP connect): anything but
//          loopback is refused synchronously with EHOSTUNREACH via bpf_set_retval(), like
//          macOS. Measured here: nftables `reject` in the output hook gives the UDP sender
//          EPERM, and `ip rule … unreachable` by uid is skipped by SO_BINDTODEVICE,
//          IP_MULTICAST_IF and subnet-directed broadcasts, so neither matches.
//  silent  cgroup_skb/egress returns 2 ("drop, congestion notified"): the kernel turns that
//          into NET_XMIT_DROP, udp_send_skb() reports success for it unless IP_RECVERR is set,
//          so the send says yes and nothing leaves (the NWConnectionGroup symptom). Loopback
//          (ifindex 1 in every namespace) passes.
//  allowed no program.
//
// Ingress is never hooked, so receiving keeps working, as on macOS. Processes outside the
// cgroup (the harness, its responders) are not affected even in the same namespace.
// The programs are hand-assembled (a few instructions each) so the build needs no BPF
// toolchain; bpf(2), BPF_PROG_LOAD / BPF_PROG_ATTACH / BPF_PROG_QUERY in bpf(2) and
// Documentation/bpf/prog_cgroup_sockaddr.rst, prog_cgroup_skb semantics in kernel/bpf/cgroup.c.
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "lnp.h"

namespace nc {
namespace {

constexpr bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return bpf_insn{code, dst, src, off, imm};
}
constexpr uint8_t kLdxB = BPF_LDX | BPF_B | BPF_MEM;
constexpr uint8_t kLdxW = BPF_LDX | BPF_W | BPF_MEM;
constexpr uint8_t kMovK = BPF_ALU64 | BPF_MOV | BPF_K;
constexpr uint8_t kOrX = BPF_ALU64 | BPF_OR | BPF_X;
constexpr uint8_t kJeqK = BPF_JMP | BPF_JEQ | BPF_K;
constexpr uint8_t kJneK = BPF_JMP | BPF_JNE | BPF_K;
constexpr uint8_t kCall = BPF_JMP | BPF_CALL;
constexpr uint8_t kExit = BPF_JMP | BPF_EXIT;

// r1 = ctx. Narrow (byte) loads of user_ip4/user_ip6 are allowed for sock_addr programs and
// read network byte order as stored, so no endianness assumption.
constexpr size_t kIp4 = offsetof(bpf_sock_addr, user_ip4);
constexpr size_t kIp6 = offsetof(bpf_sock_addr, user_ip6);

// Deny tail: bpf_set_retval(-EHOSTUNREACH); return 0 (reject).
#define LNP_DENY                                                                                           \
  Insn(kMovK, 1, 0, 0, -EHOSTUNREACH), Insn(kCall, 0, 0, 0, BPF_FUNC_set_retval), Insn(kMovK, 0, 0, 0, 0), \
      Insn(kExit, 0, 0, 0, 0)

// IPv4: 127.0.0.0/8 passes, anything else is refused.
const bpf_insn kDeny4[] = {
    Insn(kLdxB, 2, 1, kIp4, 0), Insn(kJeqK, 2, 0, 4, 127), LNP_DENY, Insn(kMovK, 0, 0, 0, 1), Insn(kExit, 0, 0, 0, 0),
};

// IPv6: ::1 passes (bytes 0..14 zero, byte 15 one), anything else is refused.
const bpf_insn kDeny6[] = {
    Insn(kLdxW, 2, 1, kIp6 + 0, 0),  Insn(kLdxW, 3, 1, kIp6 + 4, 0),  Insn(kOrX, 2, 3, 0, 0),
    Insn(kLdxW, 3, 1, kIp6 + 8, 0),  Insn(kOrX, 2, 3, 0, 0),          Insn(kLdxB, 3, 1, kIp6 + 12, 0),
    Insn(kOrX, 2, 3, 0, 0),          Insn(kLdxB, 3, 1, kIp6 + 13, 0), Insn(kOrX, 2, 3, 0, 0),
    Insn(kLdxB, 3, 1, kIp6 + 14, 0), Insn(kOrX, 2, 3, 0, 0),          Insn(kJneK, 2, 0, 4, 0),  // → deny
    Insn(kLdxB, 3, 1, kIp6 + 15, 0), Insn(kJneK, 3, 0, 2, 1),                                   // → deny
    Insn(kMovK, 0, 0, 0, 1),         Insn(kExit, 0, 0, 0, 0),         LNP_DENY,
};
#undef LNP_DENY

// Egress: loopback (ifindex 1) passes; else 2 = drop with congestion notification, which the
// UDP send path reports as success (see the file comment).
const bpf_insn kSilent[] = {
    Insn(kLdxW, 2, 1, offsetof(__sk_buff, ifindex), 0),
    Insn(kJeqK, 2, 0, 2, 1),
    Insn(kMovK, 0, 0, 0, 2),
    Insn(kExit, 0, 0, 0, 0),
    Insn(kMovK, 0, 0, 0, 1),
    Insn(kExit, 0, 0, 0, 0),
};

struct Hook {
  bpf_attach_type type;
  const char* name;
};
const Hook kHooks[] = {
    {BPF_CGROUP_UDP4_SENDMSG, "sendmsg4"},  {BPF_CGROUP_UDP6_SENDMSG, "sendmsg6"},
    {BPF_CGROUP_INET4_CONNECT, "connect4"}, {BPF_CGROUP_INET6_CONNECT, "connect6"},
    {BPF_CGROUP_INET_EGRESS, "egress"},
};

long Bpf(int cmd, bpf_attr* attr) { return syscall(__NR_bpf, cmd, attr, sizeof *attr); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int Load(bpf_prog_type type, bpf_attach_type at, const bpf_insn* insns, size_t n, SysErr* e) {
  bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = type;
  a.expected_attach_type = at;
  a.insns = reinterpret_cast<uint64_t>(insns);
  a.insn_cnt = static_cast<uint32_t>(n);
  a.license = reinterpret_cast<uint64_t>("GPL");
  int fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &a));
  if (fd < 0) e->set(errno, "bpf", "BPF_PROG_LOAD (local network policy; needs root and Linux >= 5.18)");
  return fd;
}

// Every program attached directly to the cgroup at `at` is ours (the cgroup is the lab's).
int DetachAll(int cg, bpf_attach_type at, const char* name, SysErr* e) {
  uint32_t ids[64];
  bpf_attr q;
  memset(&q, 0, sizeof q);
  q.query.target_fd = static_cast<uint32_t>(cg);
  q.query.attach_type = at;
  q.query.prog_ids = reinterpret_cast<uint64_t>(ids);
  q.query.prog_cnt = 64;
  if (Bpf(BPF_PROG_QUERY, &q) != 0) {
    e->set(errno, "bpf", std::string("BPF_PROG_QUERY ") + name);
    return -1;
  }
  for (uint32_t k = 0; k < q.query.prog_cnt && k < 64; k++) {
    bpf_attr g;
    memset(&g, 0, sizeof g);
    g.prog_id = ids[k];
    Fd prog(static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &g)));
    if (prog.get() < 0) continue;  // gone meanwhile
    bpf_attr d;
    memset(&d, 0, sizeof d);
    d.target_fd = static_cast<uint32_t>(cg);
    d.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    d.attach_type = at;
    if (Bpf(BPF_PROG_DETACH, &d) != 0 && errno != ENOENT) {
      e->set(errno, "bpf", std::string("BPF_PROG_DETACH ") + name);
      return -1;
    }
  }
  return 0;
}

int Attach(int cg, bpf_prog_type type, bpf_attach_type at, const char* name, const bpf_insn* insns, size_t n,
           SysErr* e) {
  Fd prog(Load(type, at, insns, n, e));
  if (prog.get() < 0) return -1;
  bpf_attr a;
  memset(&a, 0, sizeof a);
  a.target_fd = static_cast<uint32_t>(cg);
  a.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  a.attach_type = at;
  // MULTI: coexists with programs an init system attached higher up (kernel/bpf/cgroup.c
  // hierarchy_allows_attach); the attachment keeps the program alive after we close its fd.
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &a) != 0) {
    e->set(errno, "bpf", std::string("BPF_PROG_ATTACH ") + name);
    return -1;
  }
  return 0;
}

}  // namespace

int SetLocalNetworkPolicy(const std::string& cgroup_dir, LocalNetworkPolicy policy, std::vector<std::string>* attached,
                          SysErr* e) {
  Fd cg(open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (cg.get() < 0) {
    e->set(errno, "open", cgroup_dir);
    return -1;
  }
  for (const Hook& h : kHooks) {
    if (DetachAll(cg.get(), h.type, h.name, e) != 0) return -1;
  }
  if (policy == LocalNetworkPolicy::kDenied) {
    for (const Hook& h : kHooks) {
      if (h.type == BPF_CGROUP_INET_EGRESS) continue;
      bool v6 = h.type == BPF_CGROUP_UDP6_SENDMSG || h.type == BPF_CGROUP_INET6_CONNECT;
      const bpf_insn* p = v6 ? kDeny6 : kDeny4;
      size_t n = v6 ? sizeof kDeny6 / sizeof *kDeny6 : sizeof kDeny4 / sizeof *kDeny4;
      if (Attach(cg.get(), BPF_PROG_TYPE_CGROUP_SOCK_ADDR, h.type, h.name, p, n, e) != 0) return -1;
    }
  } else if (policy == LocalNetworkPolicy::kSilent) {
    if (Attach(cg.get(), BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, "egress", kSilent,
               sizeof kSilent / sizeof *kSilent, e) != 0)
      return -1;
  }
  attached->clear();
  for (const Hook& h : kHooks) {
    bpf_attr q;
    memset(&q, 0, sizeof q);
    q.query.target_fd = static_cast<uint32_t>(cg.get());
    q.query.attach_type = h.type;
    if (Bpf(BPF_PROG_QUERY, &q) != 0) {
      e->set(errno, "bpf", std::string("BPF_PROG_QUERY ") + h.name);
      return -1;
    }
    if (q.query.prog_cnt > 0) attached->push_back(h.name);
  }
  return 0;
}

}  // namespace nc
