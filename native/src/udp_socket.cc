// UdpSocket: creation, lifetime and socket options (see udp_socket.h for the file split).
#include "udp_socket.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "bindings.h"
#include "js_args.h"

namespace nc::js {

Napi::Function UdpSocket::Init(Napi::Env env) {
  return DefineClass(env, "UdpSocket",
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

Napi::Function InitUdpSocket(Napi::Env env) { return UdpSocket::Init(env); }

UdpSocket::UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info) {
  Napi::Env env = info.Env();
  family_ = ArgFamily(info[0]);
  if (family_ == 0) ThrowType(env, "family must be 4 or 6");
  bool reuseAddr = info[1].ToBoolean(), reusePort = info[2].ToBoolean(), broadcast = info[3].ToBoolean();
  std::string netns = NetnsArg(env, info, 4);
  SysErr e;
  fd_ = OpenUdp(family_, netns, &e);
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

void UdpSocket::CleanupHook(void* arg) {
  auto* self = static_cast<UdpSocket*>(arg);
  self->hook_ = false;  // hooks are removed by running
  self->CloseNow();
}

void UdpSocket::CloseNow() {
  StopThread();
  polling_ = false;
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
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

void UdpSocket::CheckOpen(Napi::Env env) {
  if (fd_ < 0) {
    SysErr e;
    e.set(EBADF, "socket", "socket is closed");
    ThrowSys(env, e);
  }
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
// moments after the very first enable may get a read-time stamp either way.)
void UdpSocket::EnsureRecvInfo(Napi::Env env) {
  if (recvInfo_) return;
  SysErr e;
  if (EnableRecvInfo(fd_, family_, &e) != 0) ThrowSys(env, e);
  recvInfo_ = true;
}

// recvInfo() -> {pktinfo, timestamps}: the options as getsockopt reads them now.
Napi::Value UdpSocket::RecvInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  bool pktinfo = false, timestamps = false;
  SysErr e;
  if (GetRecvInfo(fd_, family_, &pktinfo, &timestamps, &e) != 0) ThrowSys(env, e);
  Napi::Object o = Napi::Object::New(env);
  o.Set("pktinfo", pktinfo);
  o.Set("timestamps", timestamps);
  return o;
}

Napi::Value UdpSocket::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  DestCache c;
  ParseDest(env, info[0], info[1], &c, "bind");
  EnsureRecvInfo(env);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&c.ss), c.len) != 0) {
    SysErr e;
    e.set(errno, "bind", std::string(c.text) + ":" + std::to_string(c.port));
    ThrowSys(env, e);
  }
  return env.Undefined();
}

Napi::Value UdpSocket::Address(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    SysErr e;
    e.set(errno, "getsockname", "fd " + std::to_string(fd_));
    ThrowSys(env, e);
  }
  uint16_t port = 0;
  std::string a = FormatAddress(reinterpret_cast<sockaddr*>(&ss), &port);
  Napi::Object o = Napi::Object::New(env);
  o.Set("address", a);
  o.Set("port", port);
  return o;
}

Napi::Value UdpSocket::BindToDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  std::string name;
  unsigned idx = 0;
  if (info[0].IsString()) {
    name = ArgString(env, info[0], "interface");
  } else {
    idx = ArgIndex(env, info[0], "interface");
  }
  SysErr e;
  if (nc::BindToDevice(fd_, family_, name, idx, &e) != 0) ThrowSys(env, e);
  return env.Undefined();
}

Napi::Value UdpSocket::SetMulticastInterface(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  unsigned idx = ArgIndex(env, info[0], "ifindex");
  SysErr e;
  if (SetMulticastIf(fd_, family_, idx, &e) != 0) ThrowSys(env, e);
  return env.Undefined();
}

Napi::Value UdpSocket::Member(const Napi::CallbackInfo& info, bool join) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  std::string group = ArgString(env, info[0], "group");
  unsigned idx = ArgIndex(env, info[1], "ifindex");
  sockaddr_storage ss;
  socklen_t len;
  if (!ParseAddress(family_, group, 0, &ss, &len))
    ThrowType(env, "group is not an IPv" + std::to_string(family_) + " literal: " + group);
  SysErr e;
  if (Membership(fd_, family_, join, ss, idx, group, &e) != 0) ThrowSys(env, e);
  return env.Undefined();
}

void UdpSocket::SetIntOpt(Napi::Env env, int level, int opt, int val, const char* name) {
  if (setsockopt(fd_, level, opt, &val, sizeof val) != 0) {
    SysErr e;
    e.set(errno, "setsockopt", std::string(name) + "=" + std::to_string(val));
    ThrowSys(env, e);
  }
}

Napi::Value UdpSocket::SetMulticastLoopback(const Napi::CallbackInfo& info) {
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

Napi::Value UdpSocket::SetMulticastTTL(const Napi::CallbackInfo& info) {
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

Napi::Value UdpSocket::SetBroadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  SetIntOpt(env, SOL_SOCKET, SO_BROADCAST, info[0].ToBoolean() ? 1 : 0, "SO_BROADCAST");
  return env.Undefined();
}

// setBufferSizes(recvBytes, sendBytes): 0 leaves one unchanged.
Napi::Value UdpSocket::SetBufferSizes(const Napi::CallbackInfo& info) {
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

Napi::Value UdpSocket::Handle(const Napi::CallbackInfo& info) {
  return Napi::External<UdpSocket>::New(info.Env(), this);
}

UdpSocket* UdpSocket::FromHandle(Napi::Env env, const Napi::Value& v) {
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) ThrowType(env, "not a socket handle");
  return static_cast<UdpSocket*>(p);
}

Napi::Value UdpSocket::RefMethod(const Napi::CallbackInfo& info) {
  refed_ = true;
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  if (thread_ != nullptr) thread_->Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value UdpSocket::UnrefMethod(const Napi::CallbackInfo& info) {
  refed_ = false;
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  if (thread_ != nullptr) thread_->Unref(info.Env());
  return info.Env().Undefined();
}

Napi::Value UdpSocket::Close(const Napi::CallbackInfo& info) {
  StopNow();
  CloseNow();
  return info.Env().Undefined();
}

Napi::Value UdpSocket::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

}  // namespace nc::js
