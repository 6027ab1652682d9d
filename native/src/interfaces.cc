// listInterfaces / listInterfacesAsync: the interface inventory (platform.h ListInterfaces)
// as JS objects, in the caller's network namespace or a named one.
#include <string>
#include <vector>

#include "bindings.h"
#include "js_args.h"
#include "platform.h"

namespace nc::js {

namespace {

Napi::Object AddrToJs(Napi::Env env, const IfAddr& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", Napi::Number::New(env, a.family));
  o.Set("address", a.address);
  o.Set("prefixLength", Napi::Number::New(env, a.prefix));
  if (!a.broadcast.empty()) o.Set("broadcast", a.broadcast);
  if (a.family == 6 && a.scope_id != 0) o.Set("scopeId", Napi::Number::New(env, a.scope_id));
  return o;
}

Napi::Object IfToJs(Napi::Env env, const IfInfo& i) {
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
  for (size_t k = 0; k < i.addrs.size(); k++) addrs.Set(static_cast<uint32_t>(k), AddrToJs(env, i.addrs[k]));
  o.Set("addresses", addrs);
  return o;
}

Napi::Array IfsToJs(Napi::Env env, const std::vector<IfInfo>& list) {
  Napi::Array arr = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); i++) arr.Set(static_cast<uint32_t>(i), IfToJs(env, list[i]));
  return arr;
}

// The libuv thread pool runs Execute, which never touches N-API; setns happens on that
// worker thread and is undone before it returns (NetnsGuard).
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
  std::vector<IfInfo> list_;
  SysErr err_;
  bool failed_ = false;
};

}  // namespace

// Synchronous: getifaddrs and a few sysfs reads never block long.
Napi::Value ListInterfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = NetnsArg(env, info, 0);
  std::vector<IfInfo> list;
  SysErr e;
  if (nc::ListInterfaces(netns, &list, &e) != 0) ThrowSys(env, e);
  return IfsToJs(env, list);
}

Napi::Value ListInterfacesAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* w = new ListWorker(env, NetnsArg(env, info, 0));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace nc::js
