// The addon's free functions and classes, each defined in the file named beside it, all
// exported by module.cc's Init.
#pragma once

#include <napi.h>

namespace nc::js {

// interfaces.cc: listInterfaces(netns?) and listInterfacesAsync(netns?).
Napi::Value ListInterfaces(const Napi::CallbackInfo& info);
Napi::Value ListInterfacesAsync(const Napi::CallbackInfo& info);

// keepalive.cc: setTcpKeepalive(fd, idleSec, intervalSec, count) / getTcpKeepalive(fd).
Napi::Value SetTcpKeepalive(const Napi::CallbackInfo& info);
Napi::Value GetTcpKeepalive(const Napi::CallbackInfo& info);

// udp_socket.cc: the UdpSocket class; udp_send.cc: the handle-based send paths.
Napi::Function InitUdpSocket(Napi::Env env);
Napi::Value SendTo(const Napi::CallbackInfo& info);
Napi::Value SendLast(const Napi::CallbackInfo& info);
Napi::Value SendStaged(const Napi::CallbackInfo& info);

}  // namespace nc::js
