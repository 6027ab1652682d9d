// N-API layer shared by every OS: the UdpSocket class, keepalive, interface inventory and
// error objects. Platform work goes through platform.h (socket_unix.cc + per-OS files).
//
// Receive: a uv_poll_t watches the non-blocking fd on the Node event loop; when readable,
// RecvBatch (recvmmsg on Linux) drains up to kSlots datagrams into native slots; the payloads
// are then packed (8-byte aligned, like Buffer.allocUnsafe's pool) into a JS-owned pool
// ArrayBuffer, so JS makes each datagram's Buffer as a view without copying again. Lengths,
// pool offsets, ports and ifindex go to an Int32Array, kernel timestamps to a BigInt64Array,
// address strings to an Array (rewritten only when a slot's address changes); then ONE JS
// call per batch delivers them, with the new pool when the previous one filled up. A pool
// is retained by the datagrams cut from it, exactly like Node's Buffer pool (kPoolSize is
// Buffer.poolSize). Nothing ever blocks or spins on the JS thread.
//
// Receive thread (startReceiving(cb, true, coalesceUs), recv_thread.cc): a native thread reads
// instead, and each ThreadSafeFunction wake-up delivers its batches (up to nc::kDeliverMax
// datagrams each) through the same buffers and the same onBatch call; the JS arrays are
// sized for that. The thread is stopped and joined before the fd is closed.
//
// Lifetime: the poll handle exists only while receiving. A receiving socket is ref'd (keeps
// the loop and itself alive, like dgram) unless unref() was called; an idle socket keeps
// nothing alive, and if it is garbage-collected without close() its fd is closed by the
// finalizer. An environment cleanup hook closes any socket still open at teardown.
#include <napi.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "platform.h"
#include "recv_thread.h"
#ifdef __linux__
#include "lnp.h"
#endif
#ifdef __APPLE__
#include "nwgroup_darwin.h"
#endif

namespace {

constexpr int kSlots = 32;                  // loop path: datagrams per recvmmsg
constexpr int kDeliverSlots = nc::kDeliverMax;  // JS arrays: datagrams per onBatch call
constexpr size_t kSlotSize = 65536;    // any UDP payload fits
constexpr int kMaxPerWake = 8 * kSlots;  // then yield to the loop (level-triggered poll)
constexpr int kMetaStride = 5;         // len, port, ifindex, truncated, offset in the pool
constexpr size_t kPoolSize = 8192;     // as Buffer.poolSize: what one retained datagram pins


Napi::Error MakeSysError(Napi::Env env, const nc::SysErr& e) {
  const char* code = nc::ErrnoCode(e.err);
  std::string scode = strcmp(code, "UNKNOWN") == 0 ? "E" + std::to_string(e.err) : code;
  std::string msg = e.syscall + " " + scode + (e.detail.empty() ? "" : " " + e.detail) + ": " +
                    strerror(e.err);
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, scode));
  err.Set("errno", Napi::Number::New(env, -e.err));  // negative, as Node's own errors
  err.Set("syscall", Napi::String::New(env, e.syscall));
  return err;
}

[[noreturn]] void ThrowSys(Napi::Env env, const nc::SysErr& e) { throw MakeSysError(env, e); }

[[noreturn]] void ThrowType(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}

// A raw N-API call that runs JS (a property read hits a getter or a Proxy trap) fails with
// napi_pending_exception and leaves that JS exception pending. Carrying on and throwing our
// own error would make node-addon-api's napi_throw fail, which it answers with a C++ throw
// out of its catch handler: std::terminate, exit 134. So every such call is checked, and a
// failure becomes a Napi::Error wrapping the pending exception (Error::New(env) takes and
// clears it), which the wrapper rethrows into JS unchanged.
void Check(napi_env env, napi_status status) {
  if (status != napi_ok) throw Napi::Error::New(env);
}

// Datagrams per sendBatch call: bounds what one call allocates (sendmmsg(2) itself takes at
// most UIO_MAXIOV = 1024 per call; SendBatch chunks), so a hostile length cannot exhaust memory.
constexpr uint32_t kMaxBatch = 65536;

[[noreturn]] void ThrowRange(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

int ArgFamily(const Napi::Value& v) {
  if (!v.IsNumber()) return 0;
  int f = v.As<Napi::Number>().Int32Value();
  return f == 4 || f == 6 ? f : 0;
}

unsigned ArgIndex(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) ThrowType(env, std::string(what) + " must be an interface index (number)");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
    ThrowType(env, std::string(what) + " must be a non-negative integer");
  return static_cast<unsigned>(d);
}

uint16_t ArgPort(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) ThrowType(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 65535) || d != static_cast<double>(static_cast<int>(d)))
    ThrowType(env, std::string(what) + " must be an integer in 0..65535");
  return static_cast<uint16_t>(d);
}

std::string ArgString(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsString()) ThrowType(env, std::string(what) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Object IfToJs(Napi::Env env, const nc::IfInfo& i) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", i.name);
  o.Set("index", Napi::Number::New(env, i.index));
  Napi::Object f = Napi::Object::New(env);
  f.Set("up", i.up);
  f.Set("running", i.running);
  f.Set("loopback", i.loopback);
  f.Set("broadcast", i.broadcast);
  f.Set("multicast", i.multicast);
  f.Set("pointToPoint", i.p2p);
  o.Set("flags", f);
  o.Set("mtu", Napi::Number::New(env, i.mtu));
  o.Set("mac", i.mac.empty() ? env.Undefined() : Napi::String::New(env, i.mac));
  o.Set("type", i.type);
  Napi::Array addrs = Napi::Array::New(env, i.addrs.size());
  for (size_t k = 0; k < i.addrs.size(); k++) {
    const nc::IfAddr& a = i.addrs[k];
    Napi::Object ao = Napi::Object::New(env);
    ao.Set("family", Napi::Number::New(env, a.family));
    ao.Set("address", a.address);
    ao.Set("prefixLength", Napi::Number::New(env, a.prefix));
    if (!a.broadcast.empty()) ao.Set("broadcast", a.broadcast);
    if (a.family == 6 && a.scope_id != 0) ao.Set("scopeId", Napi::Number::New(env, a.scope_id));
    addrs.Set(static_cast<uint32_t>(k), ao);
  }
  o.Set("addresses", addrs);
  return o;
}

Napi::Array IfsToJs(Napi::Env env, const std::vector<nc::IfInfo>& list) {
  Napi::Array arr = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); i++) arr.Set(static_cast<uint32_t>(i), IfToJs(env, list[i]));
  return arr;
}

std::string NetnsArg(Napi::Env env, const Napi::CallbackInfo& info, size_t idx) {
  if (info.Length() <= idx || info[idx].IsUndefined() || info[idx].IsNull()) return "";
  return ArgString(env, info[idx], "netns");
}

// listInterfaces(netns?) — synchronous: getifaddrs and a few sysfs reads never block long.
Napi::Value ListInterfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = NetnsArg(env, info, 0);
  std::vector<nc::IfInfo> list;
  nc::SysErr e;
  if (nc::ListInterfaces(netns, &list, &e) != 0) ThrowSys(env, e);
  return IfsToJs(env, list);
}

// listInterfacesAsync(netns?) — the same on the libuv thread pool (Execute never touches
// N-API; setns happens on the worker thread and is undone before it returns).
class ListWorker : public Napi::AsyncWorker {
 public:
  ListWorker(Napi::Env env, std::string netns)
      : Napi::AsyncWorker(env, "netconform:listInterfaces"),
        deferred_(Napi::Promise::Deferred::New(env)),
        netns_(std::move(netns)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    if (nc::ListInterfaces(netns_, &list_, &err_) != 0) failed_ = true;
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (failed_) {
      deferred_.Reject(MakeSysError(env, err_).Value());
    } else {
      deferred_.Resolve(IfsToJs(env, list_));
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string netns_;
  std::vector<nc::IfInfo> list_;
  nc::SysErr err_;
  bool failed_ = false;
};

Napi::Value ListInterfacesAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* w = new ListWorker(env, NetnsArg(env, info, 0));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

int ArgFd(Napi::Env env, const Napi::Value& v) {
  if (!v.IsNumber()) ThrowType(env, "fd must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < 2147483647.0) || d != static_cast<double>(static_cast<int>(d)))
    ThrowType(env, "fd must be a non-negative integer");
  return static_cast<int>(d);
}

Napi::Value SetTcpKeepalive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(env, info[0]);
  int v[3];
  for (int i = 0; i < 3; i++) {
    if (!info[i + 1].IsNumber()) ThrowType(env, "keepalive values must be numbers");
    double d = info[i + 1].As<Napi::Number>().DoubleValue();
    if (!(d >= 1 && d <= 32767) || d != static_cast<double>(static_cast<int>(d)))
      ThrowType(env, "keepalive values must be integers in 1..32767");
    v[i] = static_cast<int>(d);
  }
  nc::SysErr e;
  if (nc::SetKeepalive(fd, v[0], v[1], v[2], &e) != 0) ThrowSys(env, e);
  return env.Undefined();
}

Napi::Value GetTcpKeepalive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(env, info[0]);
  nc::Keepalive k;
  nc::SysErr e;
  if (nc::GetKeepalive(fd, &k, &e) != 0) ThrowSys(env, e);
  Napi::Object o = Napi::Object::New(env);
  o.Set("enabled", k.enabled);
  o.Set("idleSec", k.idle);
  o.Set("intervalSec", k.interval);
  o.Set("count", k.count);
  return o;
}

Napi::Value Features(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  nc::Features f = nc::GetFeatures();
  Napi::Object o = Napi::Object::New(env);
  o.Set("pktinfo", f.pktinfo);
  o.Set("timestamps", f.timestamps);
  o.Set("mmsg", f.mmsg);
  o.Set("netns", f.netns);
  return o;
}

// Caches the last parsed destination so repeated sends to one peer skip inet_pton.
struct DestCache {
  char text[80] = {0};
  uint16_t port = 0;
  bool valid = false;
  sockaddr_storage ss{};
  socklen_t len = 0;
};

class UdpSocket : public Napi::ObjectWrap<UdpSocket>, public nc::BatchSink {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(
        env, "UdpSocket",
        {InstanceMethod<&UdpSocket::Bind>("bind"),
         InstanceMethod<&UdpSocket::Address>("address"),
         InstanceMethod<&UdpSocket::RecvInfo>("recvInfo"),
         InstanceMethod<&UdpSocket::BindToDevice>("bindToDevice"),
         InstanceMethod<&UdpSocket::SetMulticastInterface>("setMulticastInterface"),
         InstanceMethod<&UdpSocket::AddMembership>("addMembership"),
         InstanceMethod<&UdpSocket::DropMembership>("dropMembership"),
         InstanceMethod<&UdpSocket::SetMulticastLoopback>("setMulticastLoopback"),
         InstanceMethod<&UdpSocket::SetMulticastTTL>("setMulticastTTL"),
         InstanceMethod<&UdpSocket::SetBroadcast>("setBroadcast"),
         InstanceMethod<&UdpSocket::SetBufferSizes>("setBufferSizes"),
         InstanceMethod<&UdpSocket::Send>("send"),
         InstanceMethod<&UdpSocket::Handle>("handle"),
         InstanceMethod<&UdpSocket::SendBatch>("sendBatch"),
         InstanceMethod<&UdpSocket::RecvBuffers>("recvBuffers"),
         InstanceMethod<&UdpSocket::StartReceiving>("startReceiving"),
         InstanceMethod<&UdpSocket::StopReceiving>("stopReceiving"),
         InstanceMethod<&UdpSocket::RefMethod>("ref"),
         InstanceMethod<&UdpSocket::UnrefMethod>("unref"),
         InstanceMethod<&UdpSocket::Close>("close"),
         InstanceAccessor<&UdpSocket::GetFd>("fd")});
  }

  // new UdpSocket(family, reuseAddr, reusePort, broadcast, netns?)
  explicit UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info) {
    Napi::Env env = info.Env();
    family_ = ArgFamily(info[0]);
    if (family_ == 0) ThrowType(env, "family must be 4 or 6");
    bool reuseAddr = info[1].ToBoolean(), reusePort = info[2].ToBoolean(),
         broadcast = info[3].ToBoolean();
    std::string netns = NetnsArg(env, info, 4);
    nc::SysErr e;
    fd_ = nc::OpenUdp(family_, netns, &e);
    if (fd_ < 0) ThrowSys(env, e);
    env_ = env;
    napi_add_env_cleanup_hook(env, &UdpSocket::CleanupHook, this);
    hook_ = true;
    int on = 1;
    struct {
      bool want;
      int opt;
      const char* name;
    } opts[] = {{reuseAddr, SO_REUSEADDR, "SO_REUSEADDR"},
                {reusePort, SO_REUSEPORT, "SO_REUSEPORT"},
                {broadcast, SO_BROADCAST, "SO_BROADCAST"}};
    for (auto& o : opts) {
      if (o.want && setsockopt(fd_, SOL_SOCKET, o.opt, &on, sizeof on) != 0) {
        e.set(errno, "setsockopt", o.name);
        CloseNow();
        ThrowSys(env, e);
      }
    }
  }

  ~UdpSocket() override { CloseNow(); }

 private:
  static void CleanupHook(void* arg) {
    auto* self = static_cast<UdpSocket*>(arg);
    self->hook_ = false;  // hooks are removed by running
    self->CloseNow();
  }

  void StopThread() {
    if (thread_ != nullptr) {
      thread_->Stop();  // joined: nothing reads fd_ any more
      thread_ = nullptr;
    }
  }

  void CloseNow() {
    StopThread();
    polling_ = false;
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (hook_) {
      napi_remove_env_cleanup_hook(env_, &UdpSocket::CleanupHook, this);
      hook_ = false;
    }
    receiving_ = false;
  }

  void CheckOpen(Napi::Env env) {
    if (fd_ < 0) {
      nc::SysErr e;
      e.set(EBADF, "socket", "socket is closed");
      ThrowSys(env, e);
    }
  }

  void ParseDest(Napi::Env env, const Napi::Value& addr, const Napi::Value& portv, DestCache* c,
                 const char* what) {
    if (!addr.IsString()) ThrowType(env, std::string(what) + " address must be a string");
    uint16_t port = ArgPort(env, portv, "port");
    char buf[80];
    size_t n = 0;
    Check(env, napi_get_value_string_utf8(env, addr, buf, sizeof buf, &n));
    if (c->valid && c->port == port && strcmp(buf, c->text) == 0) return;
    if (n >= sizeof buf - 1 || !nc::ParseAddress(family_, buf, port, &c->ss, &c->len)) {
      c->valid = false;
      ThrowType(env, std::string(what) + " address is not an IPv" + std::to_string(family_) +
                         " literal: " + addr.As<Napi::String>().Utf8Value());
    }
    memcpy(c->text, buf, n + 1);
    c->port = port;
    c->valid = true;
  }

  // Receive options (pktinfo, kernel timestamps) go on lazily, before the socket can first
  // receive through this class: at an explicit bind, and at startReceiving (the only read
  // path: the poll loop and the receive thread both start there). Not at creation, because
  // SO_TIMESTAMPNS on any socket turns on the kernel's global receive-timestamp static key
  // (net_enable_timestamp; Documentation/networking/timestamping.rst: "the destination
  // socket, if any, is not known early in the network stack, the feature has to be enabled
  // for all packets"), so a send-only socket would make the host timestamp every packet it
  // receives, for every socket, while it is open. Bind alone is not enough: a socket that
  // sends first is bound implicitly (autobind) and may then receive the replies.
  //
  // Order matters. Enabled before bind(2), every datagram that can reach the socket finds
  // the options on: timestamps are arrival times and pktinfo is complete. A socket that
  // autobinds by sending and only then calls startReceiving may already hold replies that
  // arrived with the options off: the kernel stamps such a datagram when it is read
  // (net/socket.c __sock_recv_timestamp stamps an skb that has none, unless another socket
  // had the global key on at arrival), so its timestampNs is a receive time, not an arrival
  // time (socket(7), SO_TIMESTAMP: "the reception time of the last packet passed to the
  // user"), and on IPv4 its ifindex may be 0 (IP_PKTINFO's interface is recorded at
  // enqueue, net/ipv4/ip_sockglue.c ipv4_pktinfo_prepare). So: bind, or startReceiving,
  // before traffic arrives, as every caller in this repository does. (On a host where no
  // socket had timestamps on, the kernel flips its global switch from a work item,
  // net/core/dev.c net_enable_timestamp -> netstamp_clear, so datagrams in the first
  // moments after the very first enable may get a read-time stamp either way; that was so
  // when this ran at creation too.)
  void EnsureRecvInfo(Napi::Env env) {
    if (recvInfo_) return;
    nc::SysErr e;
    if (nc::EnableRecvInfo(fd_, family_, &e) != 0) ThrowSys(env, e);
    recvInfo_ = true;
  }

  // recvInfo() -> {pktinfo, timestamps}: the options as getsockopt reads them now.
  Napi::Value RecvInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    bool pktinfo = false, timestamps = false;
    nc::SysErr e;
    if (nc::GetRecvInfo(fd_, family_, &pktinfo, &timestamps, &e) != 0) ThrowSys(env, e);
    Napi::Object o = Napi::Object::New(env);
    o.Set("pktinfo", pktinfo);
    o.Set("timestamps", timestamps);
    return o;
  }

  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    DestCache c;
    ParseDest(env, info[0], info[1], &c, "bind");
    EnsureRecvInfo(env);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&c.ss), c.len) != 0) {
      nc::SysErr e;
      e.set(errno, "bind", std::string(c.text) + ":" + std::to_string(c.port));
      ThrowSys(env, e);
    }
    return env.Undefined();
  }

  Napi::Value Address(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
      nc::SysErr e;
      e.set(errno, "getsockname", "fd " + std::to_string(fd_));
      ThrowSys(env, e);
    }
    uint16_t port = 0;
    std::string a = nc::FormatAddress(reinterpret_cast<sockaddr*>(&ss), &port);
    Napi::Object o = Napi::Object::New(env);
    o.Set("address", a);
    o.Set("port", port);
    return o;
  }

  Napi::Value BindToDevice(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    std::string name;
    unsigned idx = 0;
    if (info[0].IsString()) {
      name = info[0].As<Napi::String>().Utf8Value();
    } else {
      idx = ArgIndex(env, info[0], "interface");
    }
    nc::SysErr e;
    if (nc::BindToDevice(fd_, family_, name, idx, &e) != 0) ThrowSys(env, e);
    return env.Undefined();
  }

  Napi::Value SetMulticastInterface(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    unsigned idx = ArgIndex(env, info[0], "ifindex");
    nc::SysErr e;
    if (nc::SetMulticastIf(fd_, family_, idx, &e) != 0) ThrowSys(env, e);
    return env.Undefined();
  }

  Napi::Value Member(const Napi::CallbackInfo& info, bool join) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    std::string group = ArgString(env, info[0], "group");
    unsigned idx = ArgIndex(env, info[1], "ifindex");
    sockaddr_storage ss;
    socklen_t len;
    if (!nc::ParseAddress(family_, group, 0, &ss, &len))
      ThrowType(env, "group is not an IPv" + std::to_string(family_) + " literal: " + group);
    nc::SysErr e;
    if (nc::Membership(fd_, family_, join, ss, idx, group, &e) != 0) ThrowSys(env, e);
    return env.Undefined();
  }
  Napi::Value AddMembership(const Napi::CallbackInfo& info) { return Member(info, true); }
  Napi::Value DropMembership(const Napi::CallbackInfo& info) { return Member(info, false); }

  void SetIntOpt(Napi::Env env, int level, int opt, int val, const char* name) {
    if (setsockopt(fd_, level, opt, &val, sizeof val) != 0) {
      nc::SysErr e;
      e.set(errno, "setsockopt", std::string(name) + "=" + std::to_string(val));
      ThrowSys(env, e);
    }
  }

  Napi::Value SetMulticastLoopback(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    int on = info[0].ToBoolean() ? 1 : 0;
    if (family_ == 4) {
      SetIntOpt(env, IPPROTO_IP, IP_MULTICAST_LOOP, on, "IP_MULTICAST_LOOP");
    } else {
      SetIntOpt(env, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on, "IPV6_MULTICAST_LOOP");
    }
    return env.Undefined();
  }

  Napi::Value SetMulticastTTL(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    if (!info[0].IsNumber()) ThrowType(env, "ttl must be a number");
    double d = info[0].As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 255) || d != static_cast<double>(static_cast<int>(d)))
      ThrowType(env, "ttl must be an integer in 0..255");
    int ttl = static_cast<int>(d);
    if (family_ == 4) {
      SetIntOpt(env, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL");
    } else {
      SetIntOpt(env, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl, "IPV6_MULTICAST_HOPS");
    }
    return env.Undefined();
  }

  Napi::Value SetBroadcast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    SetIntOpt(env, SOL_SOCKET, SO_BROADCAST, info[0].ToBoolean() ? 1 : 0, "SO_BROADCAST");
    return env.Undefined();
  }

  // setBufferSizes(recvBytes, sendBytes): 0 leaves one unchanged.
  Napi::Value SetBufferSizes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    unsigned r = ArgIndex(env, info[0], "recvBytes"), s = ArgIndex(env, info[1], "sendBytes");
#ifdef SO_RCVBUFFORCE
    // Privileged callers may exceed net.core.[rw]mem_max; others get the capped size.
    int ri = static_cast<int>(r), si = static_cast<int>(s);
    if (r > 0 && setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &ri, sizeof ri) == 0) r = 0;
    if (s > 0 && setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &si, sizeof si) == 0) s = 0;
#endif
    if (r > 0) SetIntOpt(env, SOL_SOCKET, SO_RCVBUF, static_cast<int>(r), "SO_RCVBUF");
    if (s > 0) SetIntOpt(env, SOL_SOCKET, SO_SNDBUF, static_cast<int>(s), "SO_SNDBUF");
    return env.Undefined();
  }

  // One napi call (it fails, without a pending exception, for anything not a typed array).
  static bool BufferBytes(napi_env env, napi_value v, const uint8_t** data, size_t* len) {
    napi_typedarray_type t;
    void* p = nullptr;
    if (napi_get_typedarray_info(env, v, &t, len, &p, nullptr, nullptr) != napi_ok ||
        t != napi_uint8_array)
      return false;
    *data = static_cast<const uint8_t*>(p);
    return true;
  }

  // send(data, address, port) -> bytes sent
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Value addr = info[1], port = info[2];
    return SendImpl(info.Env(), info[0], &addr, &port);
  }

  // Fast path for native/index.ts (not public): the socket comes as an External from
  // handle(), which skips napi_unwrap (the dearest part of a send), and with no address
  // the destination is the one the previous successful parse cached (the wrapper calls it
  // so only when address and port are === the last ones it sent to).
  Napi::Value SendImpl(Napi::Env env, const Napi::Value& datav, const Napi::Value* addr,
                       const Napi::Value* port) {
    CheckOpen(env);
    const uint8_t* data;
    size_t len;
    if (!BufferBytes(env, datav, &data, &len)) ThrowType(env, "data must be a Buffer or Uint8Array");
    if (addr != nullptr) {
      ParseDest(env, *addr, *port, &sendCache_, "send");
    } else if (!sendCache_.valid) {
      ThrowType(env, "send: no previous destination");
    }
    ssize_t r;
    do {
      r = sendto(fd_, data, len, 0, reinterpret_cast<sockaddr*>(&sendCache_.ss), sendCache_.len);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      nc::SysErr e;
      e.set(errno, "sendto", std::string(sendCache_.text) + ":" + std::to_string(sendCache_.port));
      ThrowSys(env, e);
    }
    return Napi::Number::New(env, static_cast<double>(r));
  }

  Napi::Value Handle(const Napi::CallbackInfo& info) {
    return Napi::External<UdpSocket>::New(info.Env(), this);
  }

 public:
  static UdpSocket* FromHandle(Napi::Env env, const Napi::Value& v) {
    void* p = nullptr;
    if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr)
      ThrowType(env, "not a socket handle");
    return static_cast<UdpSocket*>(p);
  }
  // sendTo(handle, data, address, port) / sendLast(handle, data)
  static Napi::Value SendTo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Value addr = info[2], port = info[3];
    return FromHandle(env, info[0])->SendImpl(env, info[1], &addr, &port);
  }
  static Napi::Value SendLast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return FromHandle(env, info[0])->SendImpl(env, info[1], nullptr, nullptr);
  }

 private:
  static const int32_t* Int32Data(Napi::Env env, napi_value v, size_t* n, const char* what) {
    napi_typedarray_type t;
    void* p = nullptr;
    if (napi_get_typedarray_info(env, v, &t, n, &p, nullptr, nullptr) != napi_ok ||
        t != napi_int32_array)
      ThrowType(env, std::string(what) + " must be an Int32Array");
    return static_cast<const int32_t*>(p);
  }

  // Fast path for native/index.ts (not public): sendStaged(handle, stage, count, lens,
  // destIndex, dests). The wrapper has walked the batch in JS and copied the payloads back
  // to back into `stage` (cheaper for small datagrams than the several N-API property and
  // element reads per datagram that sendBatch needs); dests is [address, port, ...] of the
  // distinct consecutive destinations, each parsed here (cached across calls). With a 7th
  // argument offsets (Int32Array), datagram i's payload is stage[offsets[i], +lens[i]]
  // (the wrapper stages a payload object once when consecutive items share it); without,
  // the payloads lie back to back. Same
  // argument errors as sendBatch for a bad destination; sendmmsg reads the payloads
  // straight from `stage`.
 public:
  static Napi::Value SendStaged(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    UdpSocket* self = FromHandle(env, info[0]);
    self->CheckOpen(env);
    if (!info[2].IsNumber() || !info[5].IsArray()) ThrowType(env, "sendStaged: bad arguments");
    uint32_t n = info[2].As<Napi::Number>().Uint32Value();
    if (n > kMaxBatch) ThrowRange(env, "sendBatch takes at most " + std::to_string(kMaxBatch) + " datagrams per call");
    Napi::Array dests = info[5].As<Napi::Array>();
    uint32_t ndest = dests.Length() / 2;
    if (ndest > n) ThrowType(env, "sendStaged: bad arguments");
    if (n == 0) return Napi::Number::New(env, 0);
    // Read every destination first: an element getter may run JS (and detach or shrink a
    // buffer), so no pointer into a typed array is taken before the last JS has run.
    std::vector<napi_value> dv(2 * static_cast<size_t>(ndest));
    for (uint32_t k = 0; k < 2 * ndest; k++) Check(env, napi_get_element(env, dests, k, &dv[k]));
    const uint8_t* stage;
    size_t stageLen, nl, nd;
    if (!BufferBytes(env, info[1], &stage, &stageLen)) ThrowType(env, "stage must be a Uint8Array");
    const int32_t* lens = Int32Data(env, info[3], &nl, "lens");
    const int32_t* dix = Int32Data(env, info[4], &nd, "destIndex");
    if (n > nl || n > nd) ThrowType(env, "sendStaged: bad arguments");
    const int32_t* offs = nullptr;
    if (info.Length() > 6 && !info[6].IsUndefined()) {
      size_t no;
      offs = Int32Data(env, info[6], &no, "offsets");
      if (n > no) ThrowType(env, "sendStaged: bad arguments");
    }
    std::vector<DestCache>& parsed = self->stagedDests_;
    if (parsed.size() < ndest) parsed.resize(ndest);
    for (uint32_t k = 0; k < ndest; k++)
      self->ParseDest(env, Napi::Value(env, dv[2 * k]), Napi::Value(env, dv[2 * k + 1]), &parsed[k], "sendBatch");
    self->batch_.resize(n);
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
      nc::OutMsg& m = self->batch_[i];
      if (offs != nullptr) {
        if (offs[i] < 0) ThrowType(env, "sendStaged: bad arguments");
        off = static_cast<size_t>(offs[i]);
      }
      if (lens[i] < 0 || off + static_cast<size_t>(lens[i]) > stageLen || dix[i] < 0 ||
          static_cast<uint32_t>(dix[i]) >= ndest)
        ThrowType(env, "sendStaged: bad arguments");
      m.data = stage + off;
      m.len = static_cast<size_t>(lens[i]);
      off += m.len;
      const DestCache& c = parsed[dix[i]];
      memcpy(&m.to, &c.ss, c.len);
      m.tolen = c.len;
    }
    nc::SysErr e;
    int r = nc::SendBatch(self->fd_, self->batch_.data(), static_cast<int>(n), &e);
    if (r < 0) ThrowSys(env, e);
    return Napi::Number::New(env, r);
  }

 private:
  // sendBatch([{data, address, port}, ...]) -> count sent
  Napi::Value SendBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    if (!info[0].IsArray()) ThrowType(env, "sendBatch expects an array of datagrams");
    Napi::Array arr = info[0].As<Napi::Array>();
    uint32_t n = arr.Length();
    if (n == 0) return Napi::Number::New(env, 0);
    if (n > kMaxBatch) ThrowRange(env, "sendBatch takes at most " + std::to_string(kMaxBatch) + " datagrams per call");
    // Property keys made once per call (primitives cannot be held in references).
    napi_value kData = Napi::String::New(env, "data"), kAddress = Napi::String::New(env, "address"),
               kPort = Napi::String::New(env, "port");
    // Pass 1 reads every item's properties; any of them may run JS (getters, Proxy traps),
    // which may throw (Check) or detach an earlier item's buffer. Pass 2 takes the buffer
    // pointers and parses destinations, and runs no JS, so the pointers stay valid.
    // Raw napi calls: this loop runs once per datagram and is the whole cost of a batch
    // beyond the kernel's.
    std::vector<napi_value>& vals = batchVals_;
    vals.resize(3 * static_cast<size_t>(n));
    for (uint32_t i = 0; i < n; i++) {
      napi_value item;
      napi_valuetype t;
      Check(env, napi_get_element(env, arr, i, &item));
      Check(env, napi_typeof(env, item, &t));
      if (t != napi_object) ThrowType(env, "sendBatch[" + std::to_string(i) + "] is not an object");
      Check(env, napi_get_property(env, item, kData, &vals[3 * i]));
      Check(env, napi_get_property(env, item, kAddress, &vals[3 * i + 1]));
      Check(env, napi_get_property(env, item, kPort, &vals[3 * i + 2]));
    }
    batch_.resize(n);
    DestCache& c = batchCache_;
    for (uint32_t i = 0; i < n; i++) {
      nc::OutMsg& m = batch_[i];
      napi_typedarray_type tt;
      size_t len;
      void* data;
      if (napi_get_typedarray_info(env, vals[3 * i], &tt, &len, &data, nullptr, nullptr) != napi_ok ||
          tt != napi_uint8_array)
        ThrowType(env, "sendBatch[" + std::to_string(i) + "].data must be a Buffer");
      m.data = static_cast<const uint8_t*>(data);
      m.len = len;
      ParseDest(env, Napi::Value(env, vals[3 * i + 1]), Napi::Value(env, vals[3 * i + 2]), &c, "sendBatch");
      memcpy(&m.to, &c.ss, c.len);
      m.tolen = c.len;
    }
    nc::SysErr e;
    int r = nc::SendBatch(fd_, batch_.data(), static_cast<int>(n), &e);
    if (r < 0) ThrowSys(env, e);
    return Napi::Number::New(env, r);
  }

  void EnsureBuffers(Napi::Env env) {
    if (!metaRef_.IsEmpty()) return;
    Napi::Int32Array meta = Napi::Int32Array::New(env, kDeliverSlots * kMetaStride);
    Napi::BigInt64Array ts = Napi::BigInt64Array::New(env, kDeliverSlots);
    Napi::Array addrs = Napi::Array::New(env, 2 * kDeliverSlots);
    metaPtr_ = meta.Data();
    tsPtr_ = ts.Data();
    metaRef_ = Napi::Persistent(meta);
    tsRef_ = Napi::Persistent(ts);
    addrsRef_ = Napi::Persistent(addrs.As<Napi::Object>());
    slotMem_.reset(new uint8_t[kSlots * kSlotSize]);
    slots_.resize(kSlots);
    cache_.assign(2 * kDeliverSlots, AddrKey{});
    for (int i = 0; i < kSlots; i++) {
      slots_[i].buf = slotMem_.get() + i * kSlotSize;
      slots_[i].cap = kSlotSize;
    }
  }

  // Packs n received payloads (payload(i) -> pointer, slot[i].len) into the pool; returns the
  // new pool when one was started.
  template <typename Payload>
  napi_value PackPayloads(Napi::Env env, const nc::RecvSlot* slot, int n, Payload payload) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += (slot[i].len + 7) & ~size_t{7};
    napi_value fresh = nullptr;
    if (poolRef_.IsEmpty() || poolOff_ + total > poolSize_) {
      size_t size = total > kPoolSize ? total : kPoolSize;
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, size);
      poolRef_.Reset(ab, 1);
      poolPtr_ = static_cast<uint8_t*>(ab.Data());
      poolSize_ = size;
      poolOff_ = 0;
      fresh = ab;
    }
    for (int i = 0; i < n; i++) {
      size_t len = slot[i].len;
      memcpy(poolPtr_ + poolOff_, payload(i), len);
      metaPtr_[i * kMetaStride + 4] = static_cast<int32_t>(poolOff_);
      poolOff_ += (len + 7) & ~size_t{7};
    }
    return fresh;
  }

  // recvBuffers() -> {meta, ts, addrs, slots, slotSize, stride}; each batch callback is
  // onBatch(count, error, pool): pool is the ArrayBuffer the payloads now go to when a new
  // one was started (else undefined); meta[i*stride + 4] is datagram i's offset in it.
  Napi::Value RecvBuffers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureBuffers(env);
    Napi::Object o = Napi::Object::New(env);
    o.Set("meta", metaRef_.Value());
    o.Set("ts", tsRef_.Value());
    o.Set("addrs", addrsRef_.Value());
    o.Set("slots", kDeliverSlots);
    o.Set("slotSize", static_cast<double>(kSlotSize));
    o.Set("stride", kMetaStride);
    return o;
  }

  // startReceiving(onBatch(count, error?, pool?), thread?, coalesceUs?): thread true reads on
  // a native thread (recv_thread.cc), holding datagrams for up to coalesceUs after a delivery.
  Napi::Value StartReceiving(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    if (!info[0].IsFunction()) ThrowType(env, "startReceiving expects a callback");
    bool threaded = info.Length() > 1 && info[1].ToBoolean();
    int64_t coalesce_ns = 0;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      if (!info[2].IsNumber()) ThrowType(env, "coalesceUs must be a number");
      double d = info[2].As<Napi::Number>().DoubleValue();
      if (!(d >= 0 && d <= 1000000) || d != static_cast<double>(static_cast<int>(d)))
        ThrowRange(env, "coalesceUs must be an integer in 0..1000000");
      if (d > 0 && !threaded) ThrowType(env, "coalesceUs needs the receive thread");
      coalesce_ns = static_cast<int64_t>(d) * 1000;
    }
    EnsureRecvInfo(env);  // before the first read, on either path
    EnsureBuffers(env);
    onBatch_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (!asyncCtx_) asyncCtx_ = std::make_unique<Napi::AsyncContext>(env, "NetconformUdpSocket");
    if (threaded) {
      if (polling_) {  // the thread reads from now on
        uv_poll_stop(poll_);
        polling_ = false;
      }
      if (thread_ != nullptr && thread_->coalesce_ns() != coalesce_ns) StopThread();
      if (thread_ == nullptr) {
        nc::SysErr e;
        thread_ = nc::ReceiveThread::Start(env, fd_, coalesce_ns, refed_, this, &e);
        if (thread_ == nullptr) {
          if (receiving_) {
            receiving_ = false;
            Unref();
          }
          ThrowSys(env, e);
        }
      }
      if (!receiving_) {
        receiving_ = true;
        Ref();
      }
      return env.Undefined();
    }
    StopThread();
    if (poll_ == nullptr) {
      uv_loop_t* loop = nullptr;
      napi_get_uv_event_loop(env, &loop);
      poll_ = new uv_poll_t;
      int r = uv_poll_init_socket(loop, poll_, fd_);
      if (r != 0) {
        delete poll_;
        poll_ = nullptr;
        nc::SysErr e;
        e.set(-r, "uv_poll_init", "fd " + std::to_string(fd_));
        ThrowSys(env, e);
      }
      poll_->data = this;
      if (!refed_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    }
    if (!polling_) {
      int r = uv_poll_start(poll_, UV_READABLE, &UdpSocket::OnPoll);
      if (r != 0) {
        if (receiving_) {  // it was the thread's until just now
          receiving_ = false;
          Unref();
        }
        nc::SysErr e;
        e.set(-r, "uv_poll_start", "fd " + std::to_string(fd_));
        ThrowSys(env, e);
      }
      polling_ = true;
    }
    if (!receiving_) {
      receiving_ = true;
      Ref();  // a receiving socket is not collected (its callback owns the JS wrapper)
    }
    return env.Undefined();
  }

  void StopNow() {
    StopThread();
    if (poll_ != nullptr) uv_poll_stop(poll_);
    polling_ = false;
    if (receiving_) {
      receiving_ = false;
      Unref();
    }
    onBatch_.Reset();
  }

  Napi::Value StopReceiving(const Napi::CallbackInfo& info) {
    StopNow();
    return info.Env().Undefined();
  }

  Napi::Value RefMethod(const Napi::CallbackInfo& info) {
    refed_ = true;
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    if (thread_ != nullptr) thread_->Ref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value UnrefMethod(const Napi::CallbackInfo& info) {
    refed_ = false;
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    if (thread_ != nullptr) thread_->Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopNow();
    CloseNow();
    return info.Env().Undefined();
  }

  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  static void OnPoll(uv_poll_t* h, int status, int) {
    static_cast<UdpSocket*>(h->data)->OnReadable(status);
  }

  struct AddrKey {
    int family = -1;
    uint8_t bytes[16] = {0};
    uint32_t scope = 0;
  };

  // Writes the address string into addrs[pos] unless that slot already holds it.
  void SetAddr(Napi::Env env, Napi::Object addrs, uint32_t pos, int family, const void* raw,
               uint32_t scope) {
    AddrKey& k = cache_[pos];
    size_t n = family == 4 ? 4 : 16;
    if (k.family == family && k.scope == scope && memcmp(k.bytes, raw, n) == 0) return;
    k.family = family;
    k.scope = scope;
    memcpy(k.bytes, raw, n);
    std::string s;
    if (family == 4) {
      s = nc::FormatIn4(*static_cast<const in_addr*>(raw));
    } else if (family == 6) {
      s = nc::FormatIn6(*static_cast<const in6_addr*>(raw));
      if (scope != 0) s += "%" + std::to_string(scope);
    }
    napi_set_element(env, addrs, pos, Napi::String::New(env, s));
  }

  void Deliver(Napi::Env env, std::initializer_list<napi_value> args) {
    try {
      onBatch_.MakeCallback(Value(), args, *asyncCtx_);
    } catch (const Napi::Error& err) {
      napi_fatal_exception(env, err.Value());
    }
  }

  void OnReadable(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status < 0) {
      nc::SysErr e;
      e.set(-status, "uv_poll", "fd " + std::to_string(fd_));
      Deliver(env, {Napi::Number::New(env, -1), MakeSysError(env, e).Value()});
      return;
    }
    Napi::Object addrs = addrsRef_.Value();
    int total = 0;
    while (receiving_ && polling_ && fd_ >= 0 && total < kMaxPerWake) {  // a callback may hand over to the thread
      nc::SysErr e;
      int n = nc::RecvBatch(fd_, slots_.data(), kSlots, &e);
      if (n < 0) {
        Deliver(env, {Napi::Number::New(env, -1), MakeSysError(env, e).Value()});
        break;
      }
      if (n == 0) break;
      FillMeta(env, addrs, slots_.data(), n);
      total += n;
      napi_value pool = PackPayloads(env, slots_.data(), n, [this](int i) { return slots_[i].buf; });
      if (pool != nullptr) {
        Deliver(env, {Napi::Number::New(env, n), env.Undefined(), pool});
      } else {
        Deliver(env, {Napi::Number::New(env, n)});
      }
      if (n < kSlots) break;  // queue drained; level-triggered poll wakes us for more
    }
  }

  // Datagram i's length, port, ifindex, truncation, addresses and timestamp into the JS arrays.
  void FillMeta(Napi::Env env, Napi::Object addrs, const nc::RecvSlot* slot, int n) {
      for (int i = 0; i < n; i++) {
        const nc::RecvSlot& s = slot[i];
        int32_t* m = metaPtr_ + i * kMetaStride;
        m[0] = static_cast<int32_t>(s.len);
        uint16_t port = 0;
        if (s.src.ss_family == AF_INET) {
          auto* sin = reinterpret_cast<const sockaddr_in*>(&s.src);
          port = ntohs(sin->sin_port);
          SetAddr(env, addrs, 2 * i, 4, &sin->sin_addr, 0);
        } else {
          auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&s.src);
          port = ntohs(sin6->sin6_port);
          SetAddr(env, addrs, 2 * i, 6, &sin6->sin6_addr, sin6->sin6_scope_id);
        }
        m[1] = port;
        m[2] = static_cast<int32_t>(s.ifindex);
        m[3] = s.truncated ? 1 : 0;
        if (s.dst_family == 4) {
          SetAddr(env, addrs, 2 * i + 1, 4, &s.dst4, 0);
        } else if (s.dst_family == 6) {
          SetAddr(env, addrs, 2 * i + 1, 6, &s.dst6, 0);
        } else {
          uint8_t zero[16] = {0};
          SetAddr(env, addrs, 2 * i + 1, 0, zero, 0);
        }
        tsPtr_[i] = s.ts_ns;
      }
  }

  // nc::BatchSink: the receive thread's batches, on the JS thread (inside its TSFN call).
  void OnThreadBatch(Napi::Env env, const nc::ReceivedBatch& b) override {
    Napi::HandleScope scope(env);
    if (!receiving_ || fd_ < 0) return;
    if (b.failed) {
      Deliver(env, {Napi::Number::New(env, -1), MakeSysError(env, b.err).Value()});
      return;
    }
    FillMeta(env, addrsRef_.Value(), b.info.data(), b.n);
    napi_value pool = PackPayloads(env, b.info.data(), b.n,
                                   [&b](int i) { return b.bytes.data() + b.offsets[i]; });
    if (pool != nullptr) {
      Deliver(env, {Napi::Number::New(env, b.n), env.Undefined(), pool});
    } else {
      Deliver(env, {Napi::Number::New(env, b.n)});
    }
  }

  // Only at environment teardown, where every reference goes anyway: just forget the thread.
  void OnReceiverGone() override { thread_ = nullptr; }

  int fd_ = -1;
  int family_ = 4;
  napi_env env_ = nullptr;
  bool hook_ = false;
  uv_poll_t* poll_ = nullptr;
  nc::ReceiveThread* thread_ = nullptr;  // frees itself after Stop()
  bool polling_ = false;                 // poll_ started
  bool receiving_ = false;
  bool refed_ = true;
  bool recvInfo_ = false;  // EnsureRecvInfo has run
  Napi::FunctionReference onBatch_;
  std::unique_ptr<Napi::AsyncContext> asyncCtx_;
  Napi::Reference<Napi::ArrayBuffer> poolRef_;
  uint8_t* poolPtr_ = nullptr;
  size_t poolSize_ = 0, poolOff_ = 0;
  std::unique_ptr<uint8_t[]> slotMem_;
  Napi::Reference<Napi::Int32Array> metaRef_;
  Napi::Reference<Napi::BigInt64Array> tsRef_;
  Napi::ObjectReference addrsRef_;
  int32_t* metaPtr_ = nullptr;
  int64_t* tsPtr_ = nullptr;
  std::vector<nc::RecvSlot> slots_;
  std::vector<AddrKey> cache_;
  std::vector<nc::OutMsg> batch_;
  std::vector<napi_value> batchVals_;  // only within one SendBatch call (its handle scope)
  DestCache sendCache_, batchCache_;
  std::vector<DestCache> stagedDests_;
};

#ifdef __linux__
// setLocalNetworkPolicy(cgroupDir, "allowed" | "denied" | "silent") → hooks now attached.
Napi::Value SetLocalNetworkPolicy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    ThrowType(env, "setLocalNetworkPolicy(cgroupDir: string, policy: string)");
  }
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  nc::LocalNetworkPolicy policy;
  if (name == "allowed") policy = nc::LocalNetworkPolicy::kAllowed;
  else if (name == "denied") policy = nc::LocalNetworkPolicy::kDenied;
  else if (name == "silent") policy = nc::LocalNetworkPolicy::kSilent;
  else ThrowType(env, "policy must be allowed, denied or silent, got " + name);
  std::vector<std::string> attached;
  nc::SysErr e;
  if (nc::SetLocalNetworkPolicy(dir, policy, &attached, &e) != 0) ThrowSys(env, e);
  Napi::Array out = Napi::Array::New(env, attached.size());
  for (size_t i = 0; i < attached.size(); i++) out.Set(static_cast<uint32_t>(i), attached[i]);
  return out;
}
#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpSocket", UdpSocket::Init(env));
  exports.Set("listInterfaces", Napi::Function::New(env, ListInterfaces));
  exports.Set("listInterfacesAsync", Napi::Function::New(env, ListInterfacesAsync));
  exports.Set("setTcpKeepalive", Napi::Function::New(env, SetTcpKeepalive));
  exports.Set("getTcpKeepalive", Napi::Function::New(env, GetTcpKeepalive));
  exports.Set("features", Napi::Function::New(env, Features));
  exports.Set("sendTo", Napi::Function::New(env, UdpSocket::SendTo));
  exports.Set("sendLast", Napi::Function::New(env, UdpSocket::SendLast));
  exports.Set("sendStaged", Napi::Function::New(env, UdpSocket::SendStaged));
#ifdef __linux__
  exports.Set("setLocalNetworkPolicy", Napi::Function::New(env, SetLocalNetworkPolicy));
#endif
#ifdef __APPLE__
  exports.Set("NwGroup", nc::InitNwGroup(env));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(netconform_native, Init)
