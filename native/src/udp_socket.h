// UdpSocket, the addon's UDP socket class. Its methods are split by role:
//   udp_socket.cc   creation, lifetime, socket options, bind, address
//   udp_send.cc     send, sendBatch and the handle-based fast paths of native/index.ts
//   udp_receive.cc  event-loop and receive-thread delivery into JS-owned buffers
//
// Lifetime: the poll handle exists only while receiving. A receiving socket is ref'd (keeps
// the loop and itself alive, like dgram) unless unref() was called; an idle socket keeps
// nothing alive, and if it is garbage-collected without close() its fd is closed by the
// finalizer. An environment cleanup hook closes any socket still open at teardown.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "platform.h"
#include "recv_thread.h"

namespace nc::js {

// The last parsed destination, so repeated sends to one peer skip inet_pton.
struct DestCache {
  char text[80] = {0};
  uint16_t port = 0;
  bool valid = false;
  sockaddr_storage ss{};
  socklen_t len = 0;
};

class UdpSocket : public Napi::ObjectWrap<UdpSocket>, public BatchSink {
 public:
  static Napi::Function Init(Napi::Env env);
  // new UdpSocket(family, reuseAddr, reusePort, broadcast, netns?)
  explicit UdpSocket(const Napi::CallbackInfo& info);
  ~UdpSocket() override { CloseNow(); }

  // The External that handle() returned, back to its socket (udp_send.cc's fast paths).
  static UdpSocket* FromHandle(Napi::Env env, const Napi::Value& v);
  Napi::Value SendImpl(Napi::Env env, const Napi::Value& datav, const Napi::Value* addr, const Napi::Value* port);
  Napi::Value SendStagedImpl(const Napi::CallbackInfo& info);

 private:
  // udp_socket.cc
  static void CleanupHook(void* arg);
  void CloseNow();
  void CheckOpen(Napi::Env env);
  void EnsureRecvInfo(Napi::Env env);
  void SetIntOpt(Napi::Env env, int level, int opt, int val, const char* name);
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Address(const Napi::CallbackInfo& info);
  Napi::Value RecvInfo(const Napi::CallbackInfo& info);
  Napi::Value BindToDevice(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastInterface(const Napi::CallbackInfo& info);
  Napi::Value Member(const Napi::CallbackInfo& info, bool join);
  Napi::Value AddMembership(const Napi::CallbackInfo& info) { return Member(info, true); }
  Napi::Value DropMembership(const Napi::CallbackInfo& info) { return Member(info, false); }
  Napi::Value SetMulticastLoopback(const Napi::CallbackInfo& info);
  Napi::Value SetMulticastTTL(const Napi::CallbackInfo& info);
  Napi::Value SetBroadcast(const Napi::CallbackInfo& info);
  Napi::Value SetBufferSizes(const Napi::CallbackInfo& info);
  Napi::Value Handle(const Napi::CallbackInfo& info);
  Napi::Value RefMethod(const Napi::CallbackInfo& info);
  Napi::Value UnrefMethod(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);

  // udp_send.cc
  void ParseDest(Napi::Env env, const Napi::Value& addr, const Napi::Value& portv, DestCache* c, const char* what);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendBatch(const Napi::CallbackInfo& info);

  // udp_receive.cc
  struct AddrKey {
    int family = -1;
    uint8_t bytes[16] = {0};
    uint32_t scope = 0;
  };
  void EnsureBuffers(Napi::Env env);
  template <typename Payload>
  napi_value PackPayloads(Napi::Env env, const RecvSlot* slot, int n, Payload payload);
  Napi::Value RecvBuffers(const Napi::CallbackInfo& info);
  Napi::Value StartReceiving(const Napi::CallbackInfo& info);
  void StartPolling(Napi::Env env);
  Napi::Value StopReceiving(const Napi::CallbackInfo& info);
  void StopThread();
  void StopNow();
  static void OnPoll(uv_poll_t* h, int status, int events);
  void OnReadable(int status);
  void SetAddr(Napi::Env env, Napi::Object addrs, uint32_t pos, int family, const void* raw, uint32_t scope);
  void FillMeta(Napi::Env env, Napi::Object addrs, const RecvSlot* slot, int n);
  void Deliver(Napi::Env env, std::initializer_list<napi_value> args);
  void DeliverBatch(Napi::Env env, int n, napi_value pool);
  void OnThreadBatch(Napi::Env env, const ReceivedBatch& b) override;
  // Only at environment teardown, where every reference goes anyway: just forget the thread.
  void OnReceiverGone() override { thread_ = nullptr; }

  int fd_ = -1;
  int family_ = 4;
  napi_env env_ = nullptr;
  bool hook_ = false;
  uv_poll_t* poll_ = nullptr;
  ReceiveThread* thread_ = nullptr;  // frees itself after Stop()
  bool polling_ = false;             // poll_ started
  bool receiving_ = false;
  bool refed_ = true;
  bool recvInfo_ = false;  // EnsureRecvInfo has run
  Napi::FunctionReference onBatch_;
  std::unique_ptr<Napi::AsyncContext> asyncCtx_;
  Napi::Reference<Napi::ArrayBuffer> poolRef_;
  uint8_t* poolPtr_ = nullptr;
  size_t poolSize_ = 0, poolOff_ = 0;
  std::unique_ptr<uint8_t[]> slotMem_;
  Napi::Reference<Napi::Int32Array> metaRef_;
  Napi::Reference<Napi::BigInt64Array> tsRef_;
  Napi::ObjectReference addrsRef_;
  int32_t* metaPtr_ = nullptr;
  int64_t* tsPtr_ = nullptr;
  std::vector<RecvSlot> slots_;
  std::vector<AddrKey> cache_;
  // Scratch kept between send calls to spare an allocation per batch. A call borrows it for
  // its whole length (udp_send.cc ScratchLease), so a call re-entered from a getter works on
  // its own vectors and never on the outer call's.
  std::vector<OutMsg> batch_;
  std::vector<napi_value> batchVals_;
  DestCache sendCache_, batchCache_;
  std::vector<DestCache> stagedDests_;
};

}  // namespace nc::js
