// NwGroup: a multicast group peer through Network framework's NWConnectionGroup, the API
// macOS products use instead of BSD sockets (Apple, "Network > Connection Groups";
// TN3179 "Understanding local network privacy" for why its sends can succeed while nothing is
// transmitted). JS:
//   const g = new NwGroup({ group, port, interface?, ttl, loopback }, onEvent);
//   g.start(); const id = g.send(buffer); g.close();
// onEvent receives { type: 'state', state, error? }, { type: 'message', data, from } and
// { type: 'sent', id, error? } with error = { domain, code } (nw_error_domain_t name, code).
//
// Threading: every Network framework handler runs on this peer's serial dispatch queue, and
// the connection group object is touched only there; events cross to the JS thread through a
// ThreadSafeFunction. The JS object is kept alive (Ref) from start() until the group reports
// `cancelled`, the last event the framework sends (nw_connection_group_cancel docs).
//
// Compiled for arm64 and x86_64 macOS by `npm run check:macos`; run on Linux only against a
// model of libdispatch and Network framework (`npm run check:darwin-model`, native/model/).
#include "nwgroup_darwin.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "nw_api_darwin.h"

namespace nc {
namespace {

struct NwEvent {
  enum Kind { kState, kMessage, kSent };
  explicit NwEvent(Kind k) : kind(k) {}
  Kind kind;
  int state = 0;
  int err_domain = 0;  // nw_error_domain_invalid: no error
  int err_code = 0;
  uint32_t send_id = 0;
  std::string from;
  std::string detail;
  std::vector<uint8_t> data;
};

const char* StateName(int s) {
  switch (s) {
    case nw_connection_group_state_waiting:
      return "waiting";
    case nw_connection_group_state_ready:
      return "ready";
    case nw_connection_group_state_failed:
      return "failed";
    case nw_connection_group_state_cancelled:
      return "cancelled";
    default:
      return "invalid";
  }
}

const char* DomainName(int d) {
  switch (d) {
    case nw_error_domain_posix:
      return "posix";
    case nw_error_domain_dns:
      return "dns";
    case nw_error_domain_tls:
      return "tls";
    default:
      return "invalid";
  }
}

void SetError(NwEvent* ev, nw_error_t err) {
  if (err == nullptr) return;
  ev->err_domain = nw_error_get_error_domain(err);
  ev->err_code = nw_error_get_error_code(err);
}

class NwGroup : public Napi::ObjectWrap<NwGroup> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NwGroup",
                       {InstanceMethod<&NwGroup::Start>("start"), InstanceMethod<&NwGroup::Send>("send"),
                        InstanceMethod<&NwGroup::Close>("close")});
  }

  explicit NwGroup(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NwGroup>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "NwGroup(options, onEvent)").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value group = o.Get("group");
    Napi::Value port = o.Get("port");
    if (env.IsExceptionPending()) return;
    if (!group.IsString() || !port.IsNumber()) {
      Napi::TypeError::New(env, "options.group (string) and options.port (number) are required")
          .ThrowAsJavaScriptException();
      return;
    }
    group_ = group.As<Napi::String>().Utf8Value();
    port_ = std::to_string(port.As<Napi::Number>().Uint32Value());
    Napi::Value iface = o.Get("interface");
    Napi::Value ttl = o.Get("ttl");
    Napi::Value loop = o.Get("loopback");
    if (env.IsExceptionPending()) return;
    if (iface.IsString()) iface_name_ = iface.As<Napi::String>().Utf8Value();
    ttl_ = ttl.IsNumber() ? static_cast<uint8_t>(ttl.As<Napi::Number>().Uint32Value()) : 1;
    loopback_ = loop.IsBoolean() ? loop.As<Napi::Boolean>().Value() : true;
    on_event_ = Napi::Persistent(info[1].As<Napi::Function>());
    queue_ = dispatch_queue_create("netconform.nwgroup", DISPATCH_QUEUE_SERIAL);
  }

  ~NwGroup() override {
    if (queue_ != nullptr) dispatch_release(queue_);
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (started_) {
      Napi::Error::New(info.Env(), "NwGroup already started").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    started_ = true;
    tsfn_ = Napi::ThreadSafeFunction::New(info.Env(), on_event_.Value(), "netconform-nwgroup", 0, 1);
    Ref();  // until `cancelled` (Deliver)
    if (iface_name_.empty()) {
      dispatch_async(queue_, ^{
        CreateAndStart(nullptr);
      });
    } else {
      ResolveInterfaceThenStart();
    }
    return info.Env().Undefined();
  }

  // A required interface is an nw_interface_t, which only a path lists ("nw_parameters_require_
  // interface"; "nw_path_enumerate_interfaces"): take the first path update, find the name.
  void ResolveInterfaceThenStart() {
    nw_path_monitor_t monitor = nw_path_monitor_create();
    nw_path_monitor_set_queue(monitor, queue_);
    __block bool handled = false;
    nw_path_monitor_set_update_handler(monitor, ^(nw_path_t path) {
      if (handled) return;
      handled = true;
      __block nw_interface_t found = nullptr;
      const std::string want = iface_name_;
      nw_path_enumerate_interfaces(path, ^bool(nw_interface_t i) {
        const char* name = nw_interface_get_name(i);
        if (name != nullptr && want == name) {
          found = static_cast<nw_interface_t>(nw_retain(i));
          return false;
        }
        return true;
      });
      nw_path_monitor_cancel(monitor);
      nw_release(monitor);
      if (found == nullptr) {
        FailBeforeStart("Network framework lists no interface named " + want);
        return;
      }
      CreateAndStart(found);
      nw_release(found);
    });
    nw_path_monitor_start(monitor);
  }

  // On queue_.
  void CreateAndStart(nw_interface_t iface) {
    // close() came first (e.g. while the interface was being resolved): a group never started
    // may never report `cancelled`, so do not make one.
    if (cancel_requested_) {
      EmitCancelled();
      return;
    }
    nw_endpoint_t ep = nw_endpoint_create_host(group_.c_str(), port_.c_str());
    nw_group_descriptor_t desc = ep != nullptr ? nw_group_descriptor_create_multicast(ep) : nullptr;
    if (desc == nullptr) {
      if (ep != nullptr) nw_release(ep);
      FailBeforeStart("nw_group_descriptor_create_multicast refused " + group_ + " (not a multicast group address)");
      return;
    }
    nw_parameters_t params = nw_parameters_create_secure_udp(_nw_parameters_configure_protocol_disable,
                                                             _nw_parameters_configure_protocol_default_configuration);
    // Several peers of one host share the group's port, as BSD peers with SO_REUSEADDR do.
    nw_parameters_set_allow_local_endpoint_reuse(params, true);
    if (iface != nullptr) nw_parameters_require_interface(params, iface);
    nw_protocol_stack_t stack = nw_parameters_copy_default_protocol_stack(params);
    nw_protocol_options_t ip = nw_protocol_stack_copy_internet_protocol(stack);
    nw_ip_options_set_hop_limit(ip, ttl_);
    nw_ip_options_set_disable_multicast_loopback(ip, !loopback_);
    nw_release(ip);
    nw_release(stack);
    group_obj_ = nw_connection_group_create(desc, params);
    nw_release(params);
    nw_release(desc);
    nw_release(ep);
    if (group_obj_ == nullptr) {
      FailBeforeStart("nw_connection_group_create returned NULL for " + group_);
      return;
    }
    nw_connection_group_set_queue(group_obj_, queue_);
    nw_connection_group_set_state_changed_handler(group_obj_, ^(nw_connection_group_state_t state, nw_error_t err) {
      auto* ev = new NwEvent(NwEvent::kState);
      ev->state = state;
      SetError(ev, err);
      if (state == nw_connection_group_state_cancelled) {
        nw_release(group_obj_);
        group_obj_ = nullptr;
      }
      Emit(ev);
      if (state == nw_connection_group_state_cancelled) tsfn_.Release();
    });
    nw_connection_group_set_receive_handler(
        group_obj_, 65535, true, ^(dispatch_data_t content, nw_content_context_t ctx, bool) {
          auto* ev = new NwEvent(NwEvent::kMessage);
          if (content != nullptr) {
            ev->data.reserve(dispatch_data_get_size(content));
            dispatch_data_apply(content, ^bool(dispatch_data_t, size_t, const void* buf, size_t size) {
              const auto* p = static_cast<const uint8_t*>(buf);
              ev->data.insert(ev->data.end(), p, p + size);
              return true;
            });
          }
          nw_endpoint_t from = nw_connection_group_copy_remote_endpoint_for_message(group_obj_, ctx);
          if (from != nullptr) {
            char* s = nw_endpoint_copy_address_string(from);
            if (s != nullptr) ev->from = s;
            free(s);
            nw_release(from);
          }
          Emit(ev);
        });
    nw_connection_group_start(group_obj_);
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!started_ || closed_) {
      Napi::Error::New(env, "NwGroup is not started or already closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 1 || !info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "send(data: Uint8Array)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
    // DISPATCH_DATA_DESTRUCTOR_DEFAULT: dispatch copies the bytes now (dispatch_data_create).
    dispatch_data_t content =
        dispatch_data_create(data.Data(), data.ByteLength(), queue_, DISPATCH_DATA_DESTRUCTOR_DEFAULT);
    const uint32_t id = next_send_id_++;
    dispatch_async(queue_, ^{
      if (group_obj_ == nullptr) {
        auto* ev = new NwEvent(NwEvent::kSent);
        ev->send_id = id;
        ev->err_domain = nw_error_domain_posix;
        ev->err_code = 57;  // ENOTCONN on Darwin (sys/errno.h): the group is not (or no longer) there
        Emit(ev);
      } else {
        // endpoint NULL: to the whole group (nw_connection_group_send_message docs).
        nw_connection_group_send_message(group_obj_, content, nullptr, _nw_content_context_default_message,
                                         ^(nw_error_t err) {
                                           auto* ev = new NwEvent(NwEvent::kSent);
                                           ev->send_id = id;
                                           SetError(ev, err);
                                           Emit(ev);
                                         });
      }
      dispatch_release(content);
    });
    return Napi::Number::New(env, id);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!started_ || closed_) return info.Env().Undefined();
    closed_ = true;
    dispatch_async(queue_, ^{
      cancel_requested_ = true;
      if (group_obj_ != nullptr) nw_connection_group_cancel(group_obj_);
    });
    return info.Env().Undefined();
  }

  // The group could not be made: `failed` with why, then the `cancelled` the framework would send.
  void FailBeforeStart(const std::string& detail) {
    auto* ev = new NwEvent(NwEvent::kState);
    ev->state = nw_connection_group_state_failed;
    ev->detail = detail;
    Emit(ev);
    EmitCancelled();
  }

  // When the group never existed (no interface, create failed) there is no `cancelled` from the
  // framework: say it ourselves so the JS side and Ref() are released the same way.
  void EmitCancelled() {
    auto* ev = new NwEvent(NwEvent::kState);
    ev->state = nw_connection_group_state_cancelled;
    Emit(ev);
    tsfn_.Release();
  }

  void Emit(NwEvent* ev) {
    if (tsfn_.NonBlockingCall(ev, [this](Napi::Env env, Napi::Function cb, NwEvent* e) { Deliver(env, cb, e); }) !=
        napi_ok)
      delete ev;
  }

  // JS thread.
  void Deliver(Napi::Env env, Napi::Function cb, NwEvent* e) {
    Napi::Object o = Napi::Object::New(env);
    const bool cancelled = e->kind == NwEvent::kState && e->state == nw_connection_group_state_cancelled;
    switch (e->kind) {
      case NwEvent::kState:
        o.Set("type", "state");
        o.Set("state", StateName(e->state));
        if (!e->detail.empty()) o.Set("detail", e->detail);
        break;
      case NwEvent::kMessage:
        o.Set("type", "message");
        o.Set("data", Napi::Buffer<uint8_t>::Copy(env, e->data.data(), e->data.size()));
        o.Set("from", e->from);
        break;
      case NwEvent::kSent:
        o.Set("type", "sent");
        o.Set("id", e->send_id);
        break;
    }
    if (e->err_domain != nw_error_domain_invalid) {
      Napi::Object err = Napi::Object::New(env);
      err.Set("domain", DomainName(e->err_domain));
      err.Set("code", e->err_code);
      o.Set("error", err);
    }
    delete e;
    cb.Call({o});
    if (cancelled) Unref();
  }

  std::string group_, port_, iface_name_;
  uint8_t ttl_ = 1;
  bool loopback_ = true;
  bool started_ = false, closed_ = false;  // JS thread
  bool cancel_requested_ = false;          // queue_
  uint32_t next_send_id_ = 1;              // JS thread
  Napi::FunctionReference on_event_;
  Napi::ThreadSafeFunction tsfn_;
  dispatch_queue_t queue_ = nullptr;
  nw_connection_group_t group_obj_ = nullptr;  // queue_ only
};

}  // namespace

Napi::Function InitNwGroup(Napi::Env env) { return NwGroup::Init(env); }

}  // namespace nc
