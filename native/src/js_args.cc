// Argument checks and error objects for the N-API layer (see js_args.h).
#include "js_args.h"

#include <string.h>

namespace nc::js {

Napi::Error MakeSysError(Napi::Env env, const SysErr& e) {
  const char* code = ErrnoCode(e.err);
  std::string scode = strcmp(code, "UNKNOWN") == 0 ? "E" + std::to_string(e.err) : code;
  std::string msg = e.syscall + " " + scode + (e.detail.empty() ? "" : " " + e.detail) + ": " + strerror(e.err);
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, scode));
  err.Set("errno", Napi::Number::New(env, -e.err));
  err.Set("syscall", Napi::String::New(env, e.syscall));
  return err;
}

void ThrowSys(Napi::Env env, const SysErr& e) { throw MakeSysError(env, e); }

void ThrowType(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

void ThrowRange(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

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

int ArgFd(Napi::Env env, const Napi::Value& v) {
  if (!v.IsNumber()) ThrowType(env, "fd must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < 2147483647.0) || d != static_cast<double>(static_cast<int>(d)))
    ThrowType(env, "fd must be a non-negative integer");
  return static_cast<int>(d);
}

void RefuseNul(Napi::Env env, const std::string& text, const char* what) {
  if (text.find('\0') != std::string::npos) ThrowType(env, std::string(what) + " must not contain a NUL character");
}

std::string ArgString(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsString()) ThrowType(env, std::string(what) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  RefuseNul(env, s, what);
  return s;
}

std::string NetnsArg(Napi::Env env, const Napi::CallbackInfo& info, size_t idx) {
  if (info.Length() <= idx || info[idx].IsUndefined() || info[idx].IsNull()) return "";
  return ArgString(env, info[idx], "netns");
}

}  // namespace nc::js
