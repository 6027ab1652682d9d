// UdpSocket's receive side.
//
// Event loop (the default): a uv_poll_t watches the non-blocking fd; when readable, RecvBatch
// (recvmmsg on Linux) drains up to kSlots datagrams into native slots; the payloads are then
// packed (8-byte aligned, like Buffer.allocUnsafe's pool) into a JS-owned pool ArrayBuffer, so
// JS makes each datagram's Buffer as a view without copying again. Lengths, pool offsets,
// ports and ifindex go to an Int32Array, kernel timestamps to a BigInt64Array, address
// strings to an Array (rewritten only when a slot's address changes); then ONE JS call per
// batch delivers them, with the new pool when the previous one filled up. A pool is retained
// by the datagrams cut from it, exactly like Node's Buffer pool (kPoolSize is
// Buffer.poolSize). Nothing ever blocks or spins on the JS thread.
//
// Receive thread (startReceiving(cb, true, coalesceUs), recv_thread.cc): a native thread reads
// instead, and each ThreadSafeFunction wake-up delivers its batches (up to kDeliverMax
// datagrams each) through the same buffers and the same onBatch call; the JS arrays are sized
// for that. The thread is stopped and joined before the fd is closed.
#include <string.h>

#include <string>

#include "js_args.h"
#include "udp_socket.h"

namespace nc::js {

namespace {
constexpr int kSlots = 32;                  // loop path: datagrams per recvmmsg
constexpr int kDeliverSlots = kDeliverMax;  // JS arrays: datagrams per onBatch call
constexpr size_t kSlotSize = 65536;         // any UDP payload fits
constexpr int kMaxPerWake = 8 * kSlots;     // then yield to the loop (level-triggered poll)
constexpr int kMetaStride = 5;              // len, port, ifindex, truncated, offset in the pool
constexpr size_t kPoolSize = 8192;          // as Buffer.poolSize: what one retained datagram pins
}  // namespace

void UdpSocket::EnsureBuffers(Napi::Env env) {
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
napi_value UdpSocket::PackPayloads(Napi::Env env, const RecvSlot* slot, int n, Payload payload) {
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
Napi::Value UdpSocket::RecvBuffers(const Napi::CallbackInfo& info) {
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
Napi::Value UdpSocket::StartReceiving(const Napi::CallbackInfo& info) {
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
  if (!threaded) {
    StartPolling(env);
  } else {
    if (polling_) {  // the thread reads from now on
      uv_poll_stop(poll_);
      polling_ = false;
    }
    if (thread_ != nullptr && thread_->coalesce_ns() != coalesce_ns) StopThread();
    if (thread_ == nullptr) {
      SysErr e;
      thread_ = ReceiveThread::Start(env, fd_, coalesce_ns, refed_, this, &e);
      if (thread_ == nullptr) {
        if (receiving_) {
          receiving_ = false;
          Unref();
        }
        ThrowSys(env, e);
      }
    }
  }
  if (!receiving_) {
    receiving_ = true;
    Ref();  // a receiving socket is not collected (its callback owns the JS wrapper)
  }
  return env.Undefined();
}

void UdpSocket::StartPolling(Napi::Env env) {
  StopThread();
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    int r = uv_poll_init_socket(loop, poll_, fd_);
    if (r != 0) {
      delete poll_;
      poll_ = nullptr;
      SysErr e;
      e.set(-r, "uv_poll_init", "fd " + std::to_string(fd_));
      ThrowSys(env, e);
    }
    poll_->data = this;
    if (!refed_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }
  if (polling_) return;
  int r = uv_poll_start(poll_, UV_READABLE, &UdpSocket::OnPoll);
  if (r != 0) {
    if (receiving_) {  // it was the thread's until just now
      receiving_ = false;
      Unref();
    }
    SysErr e;
    e.set(-r, "uv_poll_start", "fd " + std::to_string(fd_));
    ThrowSys(env, e);
  }
  polling_ = true;
}

void UdpSocket::StopThread() {
  if (thread_ != nullptr) {
    thread_->Stop();  // joined: nothing reads fd_ any more
    thread_ = nullptr;
  }
}

void UdpSocket::StopNow() {
  StopThread();
  if (poll_ != nullptr) uv_poll_stop(poll_);
  polling_ = false;
  if (receiving_) {
    receiving_ = false;
    Unref();
  }
  onBatch_.Reset();
}

Napi::Value UdpSocket::StopReceiving(const Napi::CallbackInfo& info) {
  StopNow();
  return info.Env().Undefined();
}

void UdpSocket::OnPoll(uv_poll_t* h, int status, int) { static_cast<UdpSocket*>(h->data)->OnReadable(status); }

// Writes the address string into addrs[pos] unless that slot already holds it.
void UdpSocket::SetAddr(Napi::Env env, Napi::Object addrs, uint32_t pos, int family, const void* raw, uint32_t scope) {
  AddrKey& k = cache_[pos];
  size_t n = family == 4 ? 4 : 16;
  if (k.family == family && k.scope == scope && memcmp(k.bytes, raw, n) == 0) return;
  k.family = family;
  k.scope = scope;
  memcpy(k.bytes, raw, n);
  std::string s;
  if (family == 4) {
    s = FormatIn4(*static_cast<const in_addr*>(raw));
  } else if (family == 6) {
    s = FormatIn6(*static_cast<const in6_addr*>(raw));
    if (scope != 0) s += "%" + std::to_string(scope);
  }
  napi_set_element(env, addrs, pos, Napi::String::New(env, s));
}

void UdpSocket::Deliver(Napi::Env env, std::initializer_list<napi_value> args) {
  try {
    onBatch_.MakeCallback(Value(), args, *asyncCtx_);
  } catch (const Napi::Error& err) {
    napi_fatal_exception(env, err.Value());
  }
}

void UdpSocket::DeliverBatch(Napi::Env env, int n, napi_value pool) {
  if (pool != nullptr) {
    Deliver(env, {Napi::Number::New(env, n), env.Undefined(), pool});
  } else {
    Deliver(env, {Napi::Number::New(env, n)});
  }
}

void UdpSocket::OnReadable(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (status < 0) {
    SysErr e;
    e.set(-status, "uv_poll", "fd " + std::to_string(fd_));
    Deliver(env, {Napi::Number::New(env, -1), MakeSysError(env, e).Value()});
    return;
  }
  Napi::Object addrs = addrsRef_.Value();
  int total = 0;
  // The conditions are re-read after every delivery: a callback may stop, close or hand
  // over to the receive thread.
  while (receiving_ && polling_ && fd_ >= 0 && total < kMaxPerWake) {
    SysErr e;
    int n = RecvBatch(fd_, slots_.data(), kSlots, &e);
    if (n < 0) {
      Deliver(env, {Napi::Number::New(env, -1), MakeSysError(env, e).Value()});
      break;
    }
    if (n == 0) break;
    FillMeta(env, addrs, slots_.data(), n);
    total += n;
    DeliverBatch(env, n, PackPayloads(env, slots_.data(), n, [this](int i) { return slots_[i].buf; }));
    if (n < kSlots) break;  // queue drained; level-triggered poll wakes us for more
  }
}

// Datagram i's length, port, ifindex, truncation, addresses and timestamp into the JS arrays.
void UdpSocket::FillMeta(Napi::Env env, Napi::Object addrs, const RecvSlot* slot, int n) {
  for (int i = 0; i < n; i++) {
    const RecvSlot& s = slot[i];
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

// BatchSink: the receive thread's batches, on the JS thread (inside its TSFN call).
void UdpSocket::OnThreadBatch(Napi::Env env, const ReceivedBatch& b) {
  Napi::HandleScope scope(env);
  if (!receiving_ || fd_ < 0) return;
  if (b.failed) {
    Deliver(env, {Napi::Number::New(env, -1), MakeSysError(env, b.err).Value()});
    return;
  }
  FillMeta(env, addrsRef_.Value(), b.info.data(), b.n);
  DeliverBatch(env, b.n, PackPayloads(env, b.info.data(), b.n, [&b](int i) { return b.bytes.data() + b.offsets[i]; }));
}

}  // namespace nc::js
