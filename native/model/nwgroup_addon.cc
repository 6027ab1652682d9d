// MODEL, NOT macOS: a Node addon holding only nwgroup_darwin.cc's NwGroup, built on Linux against
// the libdispatch and Network framework models (run.mjs), for nwgroup-driver.mjs.
#include <napi.h>

#include "nwgroup_darwin.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NwGroup", nc::InitNwGroup(env));
  return exports;
}

NODE_API_MODULE(netconform_nwgroup_model, Init)
