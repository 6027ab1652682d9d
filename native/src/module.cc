// The addon's module: what it exports (every class and function, defined in the files
// bindings.h names), plus the two smallest functions, features() and, on Linux,
// setLocalNetworkPolicy() over lnp_linux.cc.
#include <napi.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "js_args.h"
#include "platform.h"
#ifdef __linux__
#include "lnp.h"
#endif
#ifdef __APPLE__
#include "nwgroup_darwin.h"
#endif

namespace nc::js {

namespace {

Napi::Value Features(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  nc::Features f = GetFeatures();
  Napi::Object o = Napi::Object::New(env);
  o.Set("pktinfo", f.pktinfo);
  o.Set("timestamps", f.timestamps);
  o.Set("mmsg", f.mmsg);
  o.Set("netns", f.netns);
  return o;
}

#ifdef __linux__
// setLocalNetworkPolicy(cgroupDir, "allowed" | "denied" | "silent") -> hooks now attached.
Napi::Value SetLocalNetworkPolicy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    ThrowType(env, "setLocalNetworkPolicy(cgroupDir: string, policy: string)");
  }
  std::string dir = ArgString(env, info[0], "cgroupDir");
  std::string name = ArgString(env, info[1], "policy");
  LocalNetworkPolicy policy;
  if (name == "allowed") {
    policy = LocalNetworkPolicy::kAllowed;
  } else if (name == "denied") {
    policy = LocalNetworkPolicy::kDenied;
  } else if (name == "silent") {
    policy = LocalNetworkPolicy::kSilent;
  } else {
    ThrowType(env, "policy must be allowed, denied or silent, got " + name);
  }
  std::vector<std::string> attached;
  SysErr e;
  if (nc::SetLocalNetworkPolicy(dir, policy, &attached, &e) != 0) ThrowSys(env, e);
  Napi::Array out = Napi::Array::New(env, attached.size());
  for (size_t i = 0; i < attached.size(); i++) out.Set(static_cast<uint32_t>(i), attached[i]);
  return out;
}
#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpSocket", InitUdpSocket(env));
  exports.Set("listInterfaces", Napi::Function::New(env, ListInterfaces));
  exports.Set("listInterfacesAsync", Napi::Function::New(env, ListInterfacesAsync));
  exports.Set("setTcpKeepalive", Napi::Function::New(env, SetTcpKeepalive));
  exports.Set("getTcpKeepalive", Napi::Function::New(env, GetTcpKeepalive));
  exports.Set("features", Napi::Function::New(env, Features));
  exports.Set("sendTo", Napi::Function::New(env, SendTo));
  exports.Set("sendLast", Napi::Function::New(env, SendLast));
  exports.Set("sendStaged", Napi::Function::New(env, SendStaged));
#ifdef __linux__
  exports.Set("setLocalNetworkPolicy", Napi::Function::New(env, SetLocalNetworkPolicy));
#endif
#ifdef __APPLE__
  exports.Set("NwGroup", InitNwGroup(env));
#endif
  return exports;
}

}  // namespace

}  // namespace nc::js

namespace {
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return nc::js::Init(env, exports); }
}  // namespace

NODE_API_MODULE(netconform_native, InitModule)
