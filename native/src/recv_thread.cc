// The receive thread (see recv_thread.h). Why a thread: a wake-up of the JS thread costs the
// whole event-loop iteration and a JS call, several times what the kernel spends per datagram,
// so an event-loop receiver pays it per arrival. The thread waits and reads the way a C
// receiver does, and with a coalescing window the JS thread wakes once per window however
// many datagrams arrived in it (kernel timestamps still date each one at arrival).
//
// Backpressure: at most kMaxQueued batches wait for JS; then the thread stops reading until
// JS takes them, so the kernel's receive buffer fills and the kernel drops and counts
// (RcvbufErrors in /proc/net/snmp), as it does for any socket nobody reads fast enough.
// Memory stays bounded: (2 * kMaxQueued + 1) batches of at most kDeliverMax datagrams or
// about kBatchBytes of payload (one recvmmsg vector more).
//
// Lifetime: the JS thread starts and stops it (Stop joins), and the fd is closed only after
// that. The ThreadSafeFunction's context is this object, freed in its finalizer, so a
// wake-up still queued after Stop finds the object alive and does nothing. If the
// environment finalizes the ThreadSafeFunction first (teardown), the finalizer joins the
// thread and tells the socket.
#include "recv_thread.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

namespace nc {

namespace {
constexpr int kThreadSlots = 32;             // datagrams per RecvBatch call
constexpr size_t kSlotSize = 65536;          // any UDP payload fits
constexpr int kMaxQueued = 4;                // ready batches before the thread stops reading
constexpr size_t kBatchBytes = 256 * 1024;   // a batch is closed once its payloads reach this
constexpr int64_t kErrorPauseNs = 10000000;  // after a receive error: no hot loop

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

ReceiveThread* ReceiveThread::Start(Napi::Env env, int fd, int64_t coalesce_ns, bool refed, BatchSink* sink,
                                    SysErr* e) {
  auto* self = new ReceiveThread(fd, coalesce_ns, sink);
  if (OpenWakePipe(self->wake_, e) != 0) {
    delete self;
    return nullptr;
  }
  napi_value name;
  napi_status st = napi_create_string_utf8(env, "netconform:receive", NAPI_AUTO_LENGTH, &name);
  if (st == napi_ok)
    st = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, self, &ReceiveThread::Finalize, self,
                                         &ReceiveThread::CallJs, &self->tsfn_);
  if (st != napi_ok) {
    delete self;
    throw Napi::Error::New(env, "napi_create_threadsafe_function failed");
  }
  // From here the finalizer owns the object.
  if (!refed) napi_unref_threadsafe_function(env, self->tsfn_);
  try {
    self->thread_ = std::thread(&ReceiveThread::Loop, self);
  } catch (const std::system_error& err) {
    self->stopped_ = true;
    self->sink_ = nullptr;
    self->released_ = true;
    napi_release_threadsafe_function(self->tsfn_, napi_tsfn_release);
    e->set(err.code().value() != 0 ? err.code().value() : EAGAIN, "pthread_create",
           "receive thread for fd " + std::to_string(fd));
    return nullptr;
  }
  return self;
}

ReceiveThread::~ReceiveThread() {
  for (int& w : wake_) {
    if (w >= 0) close(w);
    w = -1;
  }
  for (ReceivedBatch* b : ready_) delete b;
  for (ReceivedBatch* b : free_) delete b;
}

ReceivedBatch* ReceiveThread::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  space_.wait(lock, [this] { return stop_.load() || static_cast<int>(ready_.size()) < kMaxQueued; });
  if (stop_.load()) return nullptr;
  ReceivedBatch* b;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else {
    b = new ReceivedBatch;
    b->info.resize(kDeliverMax);
    b->offsets.resize(kDeliverMax);
  }
  b->n = 0;
  b->used = 0;
  b->failed = false;
  return b;
}

void ReceiveThread::Publish(ReceivedBatch* b) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.push_back(b);
    wake = !signaled_;
    signaled_ = true;
  }
  // napi_closing once released (stopping): the batch is freed with the object.
  if (wake) napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
}

void ReceiveThread::PublishError(const SysErr& e) {
  ReceivedBatch* b = Acquire();
  if (b == nullptr) return;
  b->failed = true;
  b->err = e;
  Publish(b);
}

void ReceiveThread::Loop() {
  std::unique_ptr<uint8_t[]> mem(new uint8_t[kThreadSlots * kSlotSize]);
  std::vector<RecvSlot> slots(kThreadSlots);
  for (int i = 0; i < kThreadSlots; i++) {
    slots[i].buf = mem.get() + i * kSlotSize;
    slots[i].cap = kSlotSize;
  }
  int64_t last = 0;  // when the previous batch was handed over
  while (!stop_.load()) {
    SysErr e;
    int w = WaitReadable(fd_, wake_[0], -1, &e);
    if (stop_.load()) break;
    if (w < 0) {
      PublishError(e);
      WaitReadable(-1, wake_[0], kErrorPauseNs, &e);
      continue;
    }
    if (w != 1) continue;  // woken (only Stop wakes us) or spurious
    if (coalesce_ns_ > 0) {
      int64_t wait = last + coalesce_ns_ - NowNs();
      if (wait > 0 && WaitReadable(-1, wake_[0], wait, &e) != 0) continue;  // woken: stopping
    }
    ReceivedBatch* b = Acquire();
    if (b == nullptr) break;
    bool failed = false;
    while (b->n < kDeliverMax && b->used < kBatchBytes) {
      int want = kDeliverMax - b->n < kThreadSlots ? kDeliverMax - b->n : kThreadSlots;
      int n = RecvBatch(fd_, slots.data(), want, &e);
      if (n < 0) {
        failed = true;
        break;
      }
      for (int i = 0; i < n; i++) {
        const RecvSlot& s = slots[i];
        size_t need = b->used + ((s.len + 7) & ~size_t{7});
        if (b->bytes.size() < need) b->bytes.resize(need > 2 * b->bytes.size() ? need : 2 * b->bytes.size());
        memcpy(b->bytes.data() + b->used, s.buf, s.len);
        RecvSlot& meta = b->info[b->n];
        meta = s;
        meta.buf = nullptr;
        b->offsets[b->n] = static_cast<uint32_t>(b->used);
        b->used = need;
        b->n++;
      }
      if (n < want) break;  // the socket is drained
    }
    // A full batch means more may be queued: the next one starts at once.
    bool full = b->n == kDeliverMax || b->used >= kBatchBytes;
    last = full ? 0 : NowNs();
    if (b->n > 0) {
      Publish(b);
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(b);
    }
    if (failed) {
      PublishError(e);
      WaitReadable(-1, wake_[0], kErrorPauseNs, &e);
    } else if (coalesce_ns_ > 0 && !full) {
      // Sleep the window out now rather than wake for the next arrival and then sleep the
      // rest of it: one thread wake-up per window instead of two. The delivery time is the
      // same (nothing is handed over before last + coalesce_ns either way).
      if (WaitReadable(-1, wake_[0], coalesce_ns_, &e) != 0) continue;  // woken: stopping
    }
  }
}

void ReceiveThread::Dispatch(napi_env env) {
  std::vector<ReceivedBatch*> take;
  {
    std::lock_guard<std::mutex> lock(mu_);
    take.swap(ready_);
    signaled_ = false;
  }
  space_.notify_one();
  in_dispatch_ = true;
  for (ReceivedBatch* b : take) {
    // sink_ becomes nullptr if JS stopped or closed the socket in an earlier callback.
    if (sink_ != nullptr) sink_->OnThreadBatch(Napi::Env(env), *b);
  }
  in_dispatch_ = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (ReceivedBatch* b : take) free_.push_back(b);
  }
  if (release_pending_) {
    release_pending_ = false;
    napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
  }
}

void ReceiveThread::CallJs(napi_env env, napi_value, void* context, void*) {
  // env is NULL while the ThreadSafeFunction is torn down: nothing to deliver then.
  if (env == nullptr) return;
  static_cast<ReceiveThread*>(context)->Dispatch(env);
}

void ReceiveThread::StopThread() {
  if (stopped_) return;
  stopped_ = true;
  sink_ = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  space_.notify_all();
  if (wake_[1] >= 0) {
    ssize_t r;
    do {
      r = write(wake_[1], "x", 1);
    } while (r < 0 && errno == EINTR);
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (ReceivedBatch* b : ready_) free_.push_back(b);
  ready_.clear();
}

void ReceiveThread::Stop() {
  StopThread();
  if (released_) return;
  released_ = true;
  // Releasing inside Dispatch could finalize (free) this object under its own feet: defer.
  if (in_dispatch_) {
    release_pending_ = true;
  } else {
    napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
  }
}

void ReceiveThread::Ref(napi_env env) {
  if (!released_) napi_ref_threadsafe_function(env, tsfn_);
}

void ReceiveThread::Unref(napi_env env) {
  if (!released_) napi_unref_threadsafe_function(env, tsfn_);
}

void ReceiveThread::Finalize(napi_env, void* data, void*) {
  auto* self = static_cast<ReceiveThread*>(data);
  BatchSink* sink = self->sink_;
  self->StopThread();  // no-op after Stop(); joins when the environment got here first
  if (sink != nullptr) sink->OnReceiverGone();
  delete self;
}

}  // namespace nc
