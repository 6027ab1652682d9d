// Argument checks and error objects shared by the N-API classes and functions (js_args.cc).
// Every check throws a Napi::Error (node-addon-api's C++ exceptions), which reaches JS as a
// TypeError / RangeError / Error with code, errno and syscall.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "platform.h"

namespace nc::js {

// Error with code ("EACCES", else "E<n>"), errno (negative, as Node's own) and syscall.
Napi::Error MakeSysError(Napi::Env env, const SysErr& e);
[[noreturn]] void ThrowSys(Napi::Env env, const SysErr& e);
[[noreturn]] void ThrowType(Napi::Env env, const std::string& msg);
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& msg);

// A raw N-API call that runs JS (a property read hits a getter or a Proxy trap) fails with
// napi_pending_exception and leaves that JS exception pending. Carrying on and throwing our
// own error would make node-addon-api's napi_throw fail, which it answers with a C++ throw
// out of its catch handler: std::terminate, exit 134. So every such call is checked, and a
// failure becomes a Napi::Error wrapping the pending exception (Error::New(env) takes and
// clears it), which the wrapper rethrows into JS unchanged.
inline void Check(napi_env env, napi_status status) {
  if (status != napi_ok) throw Napi::Error::New(env);
}

int ArgFamily(const Napi::Value& v);  // 4, 6, or 0 for anything else
unsigned ArgIndex(Napi::Env env, const Napi::Value& v, const char* what);
uint16_t ArgPort(Napi::Env env, const Napi::Value& v, const char* what);
int ArgFd(Napi::Env env, const Napi::Value& v);
// A string bound for the kernel or libc. A NUL inside it is refused: C APIs end the string
// there, so "lo\0evil" would silently name "lo".
std::string ArgString(Napi::Env env, const Napi::Value& v, const char* what);
// Throws the TypeError ArgString throws when text has a NUL inside.
void RefuseNul(Napi::Env env, const std::string& text, const char* what);
// info[idx] as a network namespace name; "" when absent, undefined or null.
std::string NetnsArg(Napi::Env env, const Napi::CallbackInfo& info, size_t idx);

}  // namespace nc::js
