// Local network privacy emulation for Linux labs (lnp_linux.cc): cgroup v2 BPF programs that
// make every process in one cgroup behave as a macOS process without local network permission.
// Linux only; nothing here touches N-API (see platform.h for the SysErr convention).
#pragma once

#include <string>
#include <vector>

#include "platform.h"

namespace nc {

enum class LocalNetworkPolicy { kAllowed = 0, kDenied = 1, kSilent = 2 };

// Detaches every program attached directly to cgroup_dir at the hooks this emulation uses,
// then attaches the policy's programs. On success fills `attached` with the hooks that now
// carry a program (read back with BPF_PROG_QUERY, so the caller sees what the kernel shows)
// and returns 0; -1 with e set otherwise.
int SetLocalNetworkPolicy(const std::string& cgroup_dir, LocalNetworkPolicy policy, std::vector<std::string>* attached,
                          SysErr* e);

}  // namespace nc
