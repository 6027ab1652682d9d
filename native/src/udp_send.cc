// UdpSocket's send paths: send, sendBatch, and the handle-based fast paths native/index.ts
// uses (sendTo, sendLast, sendStaged), which skip napi_unwrap and per-item property reads.
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings.h"
#include "js_args.h"
#include "udp_socket.h"

namespace nc::js {

namespace {

// Datagrams per sendBatch call: bounds what one call allocates (sendmmsg(2) itself takes at
// most UIO_MAXIOV = 1024 per call; SendBatch chunks), so a hostile length cannot exhaust memory.
constexpr uint32_t kMaxBatch = 65536;

// Borrows a socket's scratch vector for one call and gives it back at the end, however the
// call ends. A getter that re-enters a send on the same socket finds the member empty and
// works on a fresh vector, so the outer call's items are never overwritten.
template <typename T>
class ScratchLease {
 public:
  explicit ScratchLease(std::vector<T>* home) : home_(home), vec_(std::move(*home)) { home->clear(); }
  ~ScratchLease() {
    if (vec_.capacity() >= home_->capacity()) *home_ = std::move(vec_);
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  std::vector<T>& operator*() { return vec_; }

 private:
  std::vector<T>* home_;
  std::vector<T> vec_;
};

// One napi call (it fails, without a pending exception, for anything not a typed array).
bool BufferBytes(napi_env env, napi_value v, const uint8_t** data, size_t* len) {
  napi_typedarray_type t;
  void* p = nullptr;
  if (napi_get_typedarray_info(env, v, &t, len, &p, nullptr, nullptr) != napi_ok || t != napi_uint8_array) return false;
  *data = static_cast<const uint8_t*>(p);
  return true;
}

const int32_t* Int32Data(Napi::Env env, napi_value v, size_t* n, const char* what) {
  napi_typedarray_type t;
  void* p = nullptr;
  if (napi_get_typedarray_info(env, v, &t, n, &p, nullptr, nullptr) != napi_ok || t != napi_int32_array)
    ThrowType(env, std::string(what) + " must be an Int32Array");
  return static_cast<const int32_t*>(p);
}

[[noreturn]] void ThrowTooMany(Napi::Env env) {
  ThrowRange(env, "sendBatch takes at most " + std::to_string(kMaxBatch) + " datagrams per call");
}

}  // namespace

void UdpSocket::ParseDest(Napi::Env env, const Napi::Value& addr, const Napi::Value& portv, DestCache* c,
                          const char* what) {
  if (!addr.IsString()) ThrowType(env, std::string(what) + " address must be a string");
  uint16_t port = ArgPort(env, portv, "port");
  char buf[80];
  size_t n = 0;
  Check(env, napi_get_value_string_utf8(env, addr, buf, sizeof buf, &n));
  if (c->valid && c->port == port && strcmp(buf, c->text) == 0 && strlen(buf) == n) return;
  // strlen < n: a NUL inside, where inet_pton would stop and accept the prefix.
  if (n >= sizeof buf - 1 || strlen(buf) != n || !ParseAddress(family_, buf, port, &c->ss, &c->len)) {
    c->valid = false;
    ThrowType(env, std::string(what) + " address is not an IPv" + std::to_string(family_) +
                       " literal: " + addr.As<Napi::String>().Utf8Value());
  }
  memcpy(c->text, buf, n + 1);
  c->port = port;
  c->valid = true;
}

// send(data, address, port) -> bytes sent
Napi::Value UdpSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Value addr = info[1], port = info[2];
  return SendImpl(info.Env(), info[0], &addr, &port);
}

// With no address the destination is the one the previous successful parse cached (the
// wrapper calls it so only when address and port are === the last ones it sent to).
Napi::Value UdpSocket::SendImpl(Napi::Env env, const Napi::Value& datav, const Napi::Value* addr,
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
    SysErr e;
    e.set(errno, "sendto", std::string(sendCache_.text) + ":" + std::to_string(sendCache_.port));
    ThrowSys(env, e);
  }
  return Napi::Number::New(env, static_cast<double>(r));
}

// sendTo(handle, data, address, port) / sendLast(handle, data): the socket comes as an
// External from handle(), which skips napi_unwrap (the dearest part of a send).
Napi::Value SendTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Value addr = info[2], port = info[3];
  return UdpSocket::FromHandle(env, info[0])->SendImpl(env, info[1], &addr, &port);
}

Napi::Value SendLast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return UdpSocket::FromHandle(env, info[0])->SendImpl(env, info[1], nullptr, nullptr);
}

// sendStaged(handle, stage, count, lens, destIndex, dests, offsets?). The wrapper has walked
// the batch in JS and copied the payloads back to back into `stage` (cheaper for small
// datagrams than the several N-API property and element reads per datagram that sendBatch
// needs); dests is [address, port, ...] of the distinct consecutive destinations, each
// parsed here (cached across calls). With offsets, datagram i's payload is
// stage[offsets[i], +lens[i]] (the wrapper stages a payload object once when consecutive
// items share it); without, the payloads lie back to back. Same argument errors as
// sendBatch for a bad destination; sendmmsg reads the payloads straight from `stage`.
Napi::Value SendStaged(const Napi::CallbackInfo& info) {
  return UdpSocket::FromHandle(info.Env(), info[0])->SendStagedImpl(info);
}

Napi::Value UdpSocket::SendStagedImpl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (!info[2].IsNumber() || !info[5].IsArray()) ThrowType(env, "sendStaged: bad arguments");
  uint32_t n = info[2].As<Napi::Number>().Uint32Value();
  if (n > kMaxBatch) ThrowTooMany(env);
  Napi::Array dests = info[5].As<Napi::Array>();
  uint32_t ndest = dests.Length() / 2;
  if (ndest > n) ThrowType(env, "sendStaged: bad arguments");
  if (n == 0) return Napi::Number::New(env, 0);
  // Read every destination first: an element getter may run JS (and detach or shrink a
  // buffer, or send on this socket), so no pointer into a typed array is taken and no
  // scratch is filled before the last JS has run.
  std::vector<napi_value> dv(2 * static_cast<size_t>(ndest));
  for (uint32_t k = 0; k < 2 * ndest; k++) Check(env, napi_get_element(env, dests, k, &dv[k]));
  CheckOpen(env);
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
  ScratchLease<DestCache> parsedLease(&stagedDests_);
  ScratchLease<OutMsg> batchLease(&batch_);
  std::vector<DestCache>& parsed = *parsedLease;
  std::vector<OutMsg>& batch = *batchLease;
  if (parsed.size() < ndest) parsed.resize(ndest);
  for (uint32_t k = 0; k < ndest; k++)
    ParseDest(env, Napi::Value(env, dv[2 * k]), Napi::Value(env, dv[2 * k + 1]), &parsed[k], "sendBatch");
  batch.resize(n);
  size_t off = 0;
  for (uint32_t i = 0; i < n; i++) {
    OutMsg& m = batch[i];
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
  SysErr e;
  int r = nc::SendBatch(fd_, batch.data(), static_cast<int>(n), &e);
  if (r < 0) ThrowSys(env, e);
  return Napi::Number::New(env, r);
}

// sendBatch([{data, address, port}, ...]) -> count sent
Napi::Value UdpSocket::SendBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (!info[0].IsArray()) ThrowType(env, "sendBatch expects an array of datagrams");
  Napi::Array arr = info[0].As<Napi::Array>();
  uint32_t n = arr.Length();
  if (n == 0) return Napi::Number::New(env, 0);
  if (n > kMaxBatch) ThrowTooMany(env);
  // Property keys made once per call (primitives cannot be held in references).
  napi_value kData = Napi::String::New(env, "data"), kAddress = Napi::String::New(env, "address"),
             kPort = Napi::String::New(env, "port");
  // Pass 1 reads and pins every item's properties (handles in this call's scope, in this
  // call's own scratch); any read may run JS (getters, Proxy traps), which may throw
  // (Check), detach an earlier item's buffer or send on this very socket. Pass 2 takes the
  // buffer pointers and parses destinations, and runs no JS, so the pointers stay valid.
  // Raw napi calls: this loop runs once per datagram and is the whole cost of a batch
  // beyond the kernel's.
  ScratchLease<napi_value> valsLease(&batchVals_);
  std::vector<napi_value>& vals = *valsLease;
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
  CheckOpen(env);  // a getter may have closed it
  ScratchLease<OutMsg> batchLease(&batch_);
  std::vector<OutMsg>& batch = *batchLease;
  batch.resize(n);
  DestCache& c = batchCache_;
  for (uint32_t i = 0; i < n; i++) {
    OutMsg& m = batch[i];
    const uint8_t* data;
    if (!BufferBytes(env, vals[3 * i], &data, &m.len))
      ThrowType(env, "sendBatch[" + std::to_string(i) + "].data must be a Buffer");
    m.data = data;
    ParseDest(env, Napi::Value(env, vals[3 * i + 1]), Napi::Value(env, vals[3 * i + 2]), &c, "sendBatch");
    memcpy(&m.to, &c.ss, c.len);
    m.tolen = c.len;
  }
  SysErr e;
  int r = nc::SendBatch(fd_, batch.data(), static_cast<int>(n), &e);
  if (r < 0) ThrowSys(env, e);
  return Napi::Number::New(env, r);
}

}  // namespace nc::js
