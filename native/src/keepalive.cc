// setTcpKeepalive / getTcpKeepalive on any TCP socket's fd (a net.Socket's _handle.fd):
// Node's setKeepAlive sets only the idle time, the tests need interval and count too.
#include "bindings.h"
#include "js_args.h"
#include "platform.h"

namespace nc::js {

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
  SysErr e;
  if (SetKeepalive(fd, v[0], v[1], v[2], &e) != 0) ThrowSys(env, e);
  return env.Undefined();
}

Napi::Value GetTcpKeepalive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(env, info[0]);
  Keepalive k;
  SysErr e;
  if (GetKeepalive(fd, &k, &e) != 0) ThrowSys(env, e);
  Napi::Object o = Napi::Object::New(env);
  o.Set("enabled", k.enabled);
  o.Set("idleSec", k.idle);
  o.Set("intervalSec", k.interval);
  o.Set("count", k.count);
  return o;
}

}  // namespace nc::js
