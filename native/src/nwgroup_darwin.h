// NwGroup: one NWConnectionGroup multicast peer (Network framework), macOS only.
// See nwgroup_darwin.cc; registered by module.cc's Init on __APPLE__ builds.
#pragma once

#include <napi.h>

namespace nc {
Napi::Function InitNwGroup(Napi::Env env);
}  // namespace nc
