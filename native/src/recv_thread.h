// A native receive thread for one UDP socket (recv_thread.cc): it waits for the fd, drains it
// with RecvBatch (recvmmsg on Linux, a recvmsg loop on macOS) into batches, and wakes the JS
// thread through one ThreadSafeFunction call per batch (none while a wake-up is pending: the
// JS side takes every ready batch at once). Not an N-API class: the UdpSocket owns it.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "platform.h"

namespace nc {

// Datagrams handed to JS in one call, at most.
constexpr int kDeliverMax = 256;

// Datagrams the thread read: payloads back to back (8-byte aligned) in bytes, each one's
// metadata in info (info[i].buf is unused) and its offset in offsets. failed: instead of
// datagrams, a receive error for JS.
struct ReceivedBatch {
  std::vector<uint8_t> bytes;
  size_t used = 0;
  std::vector<RecvSlot> info;
  std::vector<uint32_t> offsets;
  int n = 0;
  bool failed = false;
  SysErr err;
};

// What the owning socket does with a batch, on the JS thread.
class BatchSink {
 public:
  virtual void OnThreadBatch(Napi::Env env, const ReceivedBatch& batch) = 0;
  // The environment tore the thread down before the socket stopped it (teardown order).
  virtual void OnReceiverGone() = 0;

 protected:
  ~BatchSink() = default;
};

class ReceiveThread {
 public:
  // Starts receiving on fd (owned by the caller, who must Stop() before closing it). coalesce_ns
  // > 0: after a delivery, datagrams arriving within that time are held and go in the next
  // batch (the first one after a quiet period goes at once). Returns nullptr with e set, or
  // throws a JS error if the ThreadSafeFunction cannot be made.
  static ReceiveThread* Start(Napi::Env env, int fd, int64_t coalesce_ns, bool refed, BatchSink* sink, SysErr* e);
  // JS thread. Stops and joins the thread; queued batches are discarded and nothing more is
  // delivered. The object frees itself once the ThreadSafeFunction is finalized; the caller
  // must forget the pointer. Safe from inside a delivery.
  void Stop();
  void Ref(napi_env env);
  void Unref(napi_env env);
  int64_t coalesce_ns() const { return coalesce_ns_; }

 private:
  ReceiveThread(int fd, int64_t coalesce_ns, BatchSink* sink) : fd_(fd), coalesce_ns_(coalesce_ns), sink_(sink) {}
  ~ReceiveThread();
  void Loop();
  ReceivedBatch* Acquire();  // nullptr once stopping; waits while kMaxQueued are ready
  void Publish(ReceivedBatch* b);
  void PublishError(const SysErr& e);
  void StopThread();
  void Dispatch(napi_env env);
  static void CallJs(napi_env env, napi_value js_cb, void* context, void* data);
  static void Finalize(napi_env env, void* data, void* hint);

  const int fd_;
  const int64_t coalesce_ns_;
  BatchSink* sink_;  // JS thread only; nullptr once stopped
  napi_threadsafe_function tsfn_ = nullptr;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable space_;      // signalled when JS took the ready batches, or on stop
  std::vector<ReceivedBatch*> ready_;  // guarded by mu_
  std::vector<ReceivedBatch*> free_;   // guarded by mu_
  bool signaled_ = false;              // guarded by mu_: a TSFN call is pending
  std::atomic<bool> stop_{false};
  bool stopped_ = false;          // JS thread
  bool in_dispatch_ = false;      // JS thread
  bool release_pending_ = false;  // JS thread
  bool released_ = false;         // JS thread
};

}  // namespace nc
