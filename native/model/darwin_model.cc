// MODEL, NOT macOS: the calls darwin_model.h routes here, each mapped to what Linux offers for
// the meaning Apple documents (see the header for the citations). Compiled without the header's
// macros, so the real calls below are Linux's.
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <unordered_map>

// The model's values of the Darwin names (darwin_model.h), repeated here because that header's
// macros must not apply to this file.
namespace {
constexpr int kIpBoundIf = 0x7f01, kIpv6BoundIf = 0x7f02, kIpMulticastIfindex = 0x7f03, kTcpKeepalive = 0x7f04;
constexpr unsigned long kSiocgifFunctionalType = 0x7f0173UL;
constexpr int kAfLink = 18;
enum { kUnknown = 0, kLoopback = 1, kWired = 2, kWifiInfra = 3, kAwdl = 4, kCellular = 5 };

struct ModelSockaddrDl {  // native/model/include/net/if_dl.h
  sa_family_t sdl_family;
  unsigned short sdl_index;
  unsigned char sdl_type, sdl_nlen, sdl_alen, sdl_slen;
  char sdl_data[46];
};

std::mutex g_mu;
std::unordered_map<ifaddrs*, ModelSockaddrDl*> g_links;  // replaced ifa_addr → ours, to free

// SO_BINDTODEVICE by index; index 0 removes the binding, as IP_BOUND_IF 0 does.
int BindIndex(int fd, const void* value, socklen_t len) {
  if (len < sizeof(int)) {
    errno = EINVAL;
    return -1;
  }
  unsigned idx;
  memcpy(&idx, value, sizeof idx);
  char name[IF_NAMESIZE] = "";
  if (idx != 0 && if_indextoname(idx, name) == nullptr) {
    errno = ENXIO;
    return -1;
  }
  return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, static_cast<socklen_t>(strlen(name)));
}

// The functional type the model reports: NC_MODEL_FUNCTIONAL_TYPES ("en0=wired,awdl0=awdl,…",
// set by the driver) first, then what Linux knows (loopback flag, sysfs "wireless").
int FunctionalType(const char* name) {
  if (const char* table = getenv("NC_MODEL_FUNCTIONAL_TYPES")) {
    std::string t = std::string(",") + table + ",";
    const std::string key = std::string(",") + name + "=";
    size_t at = t.find(key);
    if (at != std::string::npos) {
      std::string v = t.substr(at + key.size(), t.find(',', at + key.size()) - at - key.size());
      if (v == "loopback") return kLoopback;
      if (v == "wired") return kWired;
      if (v == "wifi-infra") return kWifiInfra;
      if (v == "awdl") return kAwdl;
      if (v == "cellular") return kCellular;
      return kUnknown;
    }
  }
  if (strncmp(name, "lo", 2) == 0) return kLoopback;
  std::string wireless = std::string("/sys/class/net/") + name + "/wireless";
  return access(wireless.c_str(), F_OK) == 0 ? kWifiInfra : kWired;
}
}  // namespace

extern "C" {

int nc_model_setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  if ((level == IPPROTO_IP && name == kIpBoundIf) || (level == IPPROTO_IPV6 && name == kIpv6BoundIf)) {
    return BindIndex(fd, value, len);
  }
  if (level == IPPROTO_IP && name == kIpMulticastIfindex) {
    unsigned idx = 0;
    memcpy(&idx, value, len < sizeof idx ? len : sizeof idx);
    ip_mreqn m;
    memset(&m, 0, sizeof m);
    m.imr_ifindex = static_cast<int>(idx);
    return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
  }
  if (level == IPPROTO_TCP && name == kTcpKeepalive) return setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, value, len);
  return setsockopt(fd, level, name, value, len);
}

int nc_model_getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  if (level == IPPROTO_TCP && name == kTcpKeepalive) return getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, value, len);
  return getsockopt(fd, level, name, value, len);
}

int nc_model_ioctl(int fd, unsigned long request, void* arg) {
  if (request != kSiocgifFunctionalType) return ioctl(fd, request, arg);
  auto* req = static_cast<ifreq*>(arg);
  if (if_nametoindex(req->ifr_name) == 0) {
    errno = ENXIO;
    return -1;
  }
  req->ifr_ifru.ifru_ivalue = FunctionalType(req->ifr_name);
  return 0;
}

int nc_model_getifaddrs(ifaddrs** out) {
  if (getifaddrs(out) != 0) return -1;
  std::lock_guard<std::mutex> lock(g_mu);
  for (ifaddrs* i = *out; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_PACKET) continue;
    auto* ll = reinterpret_cast<const sockaddr_ll*>(i->ifa_addr);
    auto* dl = static_cast<ModelSockaddrDl*>(calloc(1, sizeof(ModelSockaddrDl)));
    dl->sdl_family = kAfLink;
    dl->sdl_index = static_cast<unsigned short>(ll->sll_ifindex);
    size_t nlen = strnlen(i->ifa_name, IF_NAMESIZE);
    dl->sdl_nlen = static_cast<unsigned char>(nlen);
    dl->sdl_alen = ll->sll_halen;
    memcpy(dl->sdl_data, i->ifa_name, nlen);
    memcpy(dl->sdl_data + nlen, ll->sll_addr, ll->sll_halen);
    g_links[i] = dl;
    i->ifa_addr = reinterpret_cast<sockaddr*>(dl);
  }
  return 0;
}

void nc_model_freeifaddrs(ifaddrs* list) {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      auto it = g_links.find(i);
      if (it == g_links.end()) continue;
      free(it->second);
      g_links.erase(it);
    }
  }
  freeifaddrs(list);
}

size_t nc_model_strlcpy(char* dst, const char* src, size_t size) {
  size_t n = strlen(src);
  if (size > 0) {
    size_t k = n < size - 1 ? n : size - 1;
    memcpy(dst, src, k);
    dst[k] = '\0';
  }
  return n;
}

}  // extern "C"
