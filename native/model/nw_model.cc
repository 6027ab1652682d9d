// MODEL, NOT macOS: the Network framework calls native/src/nw_api_darwin.h declares, implemented
// on Linux UDP sockets so nwgroup_darwin.cc runs unchanged (native/model/README.md). Each call
// follows Apple's documentation of it ("Network > Connection Groups", nw_parameters,
// nw_path_monitor, nw_ip_options; developer.apple.com/documentation/network):
// - objects are reference counted (nw_retain / nw_release);
// - a connection group's handlers run on the queue set with nw_connection_group_set_queue;
//   nw_connection_group_start reports `ready` once it can send and receive, or `failed` with a
//   POSIX error; nw_connection_group_cancel ends with `cancelled`, the last state, after which
//   the framework releases the handlers;
// - nw_connection_group_send_message with a NULL endpoint sends to the whole group and calls the
//   completion on the queue with NULL or the error;
// - a path monitor calls its update handler on its queue with the current path, whose
//   interfaces nw_path_enumerate_interfaces lists until the block returns false.
// Where Apple's documentation leaves a behaviour open, the model's choice is marked "model:".
#include <Block.h>
#include <arpa/inet.h>
#include <dispatch/dispatch.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "nw_api_darwin.h"

struct NwObj {
  std::atomic<int> refs{1};
  virtual ~NwObj() = default;
};

struct nc_nw_endpoint : NwObj {
  sockaddr_storage addr{};
  socklen_t len = 0;
};
struct nc_nw_parameters : NwObj {
  unsigned ifindex = 0;
  bool reuse = false;
  int hop_limit = 1;
  bool no_loopback = false;
};
struct nc_nw_protocol_stack : NwObj {
  nc_nw_parameters* params;
  explicit nc_nw_protocol_stack(nc_nw_parameters* p) : params(p) { p->refs++; }
  ~nc_nw_protocol_stack() override { nw_release(params); }
};
struct nc_nw_protocol_options : NwObj {
  nc_nw_parameters* params;  // model: IP options write through to the parameters they came from
  explicit nc_nw_protocol_options(nc_nw_parameters* p) : params(p) { p->refs++; }
  ~nc_nw_protocol_options() override { nw_release(params); }
};
struct nc_nw_group_descriptor : NwObj {
  nc_nw_endpoint* group;
  explicit nc_nw_group_descriptor(nc_nw_endpoint* g) : group(g) { g->refs++; }
  ~nc_nw_group_descriptor() override { nw_release(group); }
};
struct nc_nw_content_context : NwObj {
  sockaddr_storage from{};
  socklen_t from_len = 0;
};
struct nc_nw_error : NwObj {
  nw_error_domain_t domain = nw_error_domain_posix;
  int code = 0;
};
struct nc_nw_interface : NwObj {
  std::string name;
  uint32_t index = 0;
};
struct nc_nw_path : NwObj {
  std::vector<nc_nw_interface*> ifaces;
  ~nc_nw_path() override {
    for (auto* i : ifaces) nw_release(i);
  }
};
struct nc_nw_path_monitor : NwObj {
  dispatch_queue_t queue = nullptr;
  nw_path_monitor_update_handler_t handler = nullptr;
  ~nc_nw_path_monitor() override {
    if (handler) Block_release(handler);
    if (queue) dispatch_release(queue);
  }
};
struct nc_nw_connection_group : NwObj {
  nc_nw_endpoint* group;
  nc_nw_parameters* params;
  dispatch_queue_t queue = nullptr;
  nw_connection_group_state_changed_handler_t on_state = nullptr;
  nw_connection_group_receive_handler_t on_receive = nullptr;
  uint32_t max_size = 65535;
  int fd = -1;
  int wake[2] = {-1, -1};
  std::thread reader;
  nc_nw_connection_group(nc_nw_endpoint* g, nc_nw_parameters* p) : group(g), params(p) {
    g->refs++;
    p->refs++;
  }
  ~nc_nw_connection_group() override {
    if (fd >= 0) close(fd);
    if (on_state) Block_release(on_state);
    if (on_receive) Block_release(on_receive);
    if (queue) dispatch_release(queue);
    nw_release(group);
    nw_release(params);
  }
};

// NW_PARAMETERS_DISABLE_PROTOCOL / NW_PARAMETERS_DEFAULT_CONFIGURATION: blocks the framework calls
// with the protocol's options; the model's UDP needs no configuration.
extern "C" const nw_parameters_configure_protocol_block_t _nw_parameters_configure_protocol_disable =
    ^(nw_protocol_options_t) {
    };
extern "C" const nw_parameters_configure_protocol_block_t _nw_parameters_configure_protocol_default_configuration =
    ^(nw_protocol_options_t) {
    };
static nc_nw_content_context g_default_context;
extern "C" const nw_content_context_t _nw_content_context_default_message = &g_default_context;

static nw_error_t PosixError(int code) {
  auto* e = new nc_nw_error();
  e->code = code;
  return e;
}

extern "C" {

void nw_release(void* o) {
  auto* obj = static_cast<NwObj*>(o);
  if (obj == &g_default_context) return;
  if (--obj->refs == 0) delete obj;
}

void* nw_retain(void* o) {
  static_cast<NwObj*>(o)->refs++;
  return o;
}

nw_endpoint_t nw_endpoint_create_host(const char* host, const char* port) {
  auto* ep = new nc_nw_endpoint();
  uint16_t p = static_cast<uint16_t>(atoi(port));
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ep->addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep->addr);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(p);
    ep->len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(p);
    ep->len = sizeof(sockaddr_in6);
  } else {
    // model: only address literals (the driver passes nothing else).
    delete ep;
    return nullptr;
  }
  return ep;
}

char* nw_endpoint_copy_address_string(nw_endpoint_t ep) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ep->addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ep->addr)->sin_addr, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ep->addr)->sin6_addr, buf, sizeof buf);
  }
  return strdup(buf);
}

nw_parameters_t nw_parameters_create_secure_udp(nw_parameters_configure_protocol_block_t,
                                                nw_parameters_configure_protocol_block_t) {
  return new nc_nw_parameters();
}
void nw_parameters_require_interface(nw_parameters_t p, nw_interface_t i) { p->ifindex = i->index; }
void nw_parameters_set_allow_local_endpoint_reuse(nw_parameters_t p, bool allow) { p->reuse = allow; }
nw_protocol_stack_t nw_parameters_copy_default_protocol_stack(nw_parameters_t p) { return new nc_nw_protocol_stack(p); }
nw_protocol_options_t nw_protocol_stack_copy_internet_protocol(nw_protocol_stack_t s) {
  return new nc_nw_protocol_options(s->params);
}
void nw_ip_options_set_hop_limit(nw_protocol_options_t o, uint8_t hops) { o->params->hop_limit = hops; }
void nw_ip_options_set_disable_multicast_loopback(nw_protocol_options_t o, bool disable) {
  o->params->no_loopback = disable;
}

nw_group_descriptor_t nw_group_descriptor_create_multicast(nw_endpoint_t ep) {
  // model: NULL for an endpoint that is not a multicast address, the case the driver handles.
  bool multicast = ep->addr.ss_family == AF_INET
                       ? IN_MULTICAST(ntohl(reinterpret_cast<sockaddr_in*>(&ep->addr)->sin_addr.s_addr))
                       : IN6_IS_ADDR_MULTICAST(&reinterpret_cast<sockaddr_in6*>(&ep->addr)->sin6_addr);
  return multicast ? new nc_nw_group_descriptor(ep) : nullptr;
}

nw_connection_group_t nw_connection_group_create(nw_group_descriptor_t d, nw_parameters_t p) {
  return new nc_nw_connection_group(d->group, p);
}
void nw_connection_group_set_queue(nw_connection_group_t g, dispatch_queue_t q) {
  dispatch_retain(q);
  g->queue = q;
}
void nw_connection_group_set_state_changed_handler(nw_connection_group_t g,
                                                   nw_connection_group_state_changed_handler_t h) {
  g->on_state = Block_copy(h);
}
void nw_connection_group_set_receive_handler(nw_connection_group_t g, uint32_t max, bool,
                                             nw_connection_group_receive_handler_t h) {
  g->max_size = max;
  g->on_receive = Block_copy(h);
}

// The socket a group stands for: bound to the group's port (shared when reuse is allowed), the
// group joined on the required interface, hop limit and loopback as the IP options say.
static int OpenGroupSocket(nc_nw_connection_group* g) {
  const bool v6 = g->group->addr.ss_family == AF_INET6;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return errno;
  int on = 1;
  if (g->params->reuse) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  }
  sockaddr_storage any{};
  socklen_t len;
  uint16_t port = v6 ? reinterpret_cast<sockaddr_in6*>(&g->group->addr)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&g->group->addr)->sin_port;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&any);
    a->sin6_family = AF_INET6;
    a->sin6_port = port;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&any);
    a->sin_family = AF_INET;
    a->sin_port = port;
    len = sizeof *a;
  }
  group_req req{};
  req.gr_interface = g->params->ifindex;
  memcpy(&req.gr_group, &g->group->addr, g->group->len);
  int hops = g->params->hop_limit;
  int loop = g->params->no_loopback ? 0 : 1;
  unsigned ifindex = g->params->ifindex;
  ip_mreqn mreqn{};
  mreqn.imr_ifindex = static_cast<int>(ifindex);
  const int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  if (bind(fd, reinterpret_cast<sockaddr*>(&any), len) != 0 ||
      setsockopt(fd, level, MCAST_JOIN_GROUP, &req, sizeof req) != 0 ||
      setsockopt(fd, level, v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL, &hops, sizeof hops) != 0 ||
      setsockopt(fd, level, v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP, &loop, sizeof loop) != 0 ||
      (ifindex != 0 && (v6 ? setsockopt(fd, level, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex)
                           : setsockopt(fd, level, IP_MULTICAST_IF, &mreqn, sizeof mreqn)) != 0)) {
    int err = errno;
    close(fd);
    return err;
  }
  g->fd = fd;
  return 0;
}

static void EmitState(nc_nw_connection_group* g, nw_connection_group_state_t s, nw_error_t err) {
  nw_retain(g);
  dispatch_async(g->queue, ^{
    if (g->on_state) g->on_state(s, err);
    if (err) nw_release(err);
    if (s == nw_connection_group_state_cancelled) {
      // After `cancelled` the framework releases the handlers (nw_connection_group_cancel).
      if (g->on_state) Block_release(g->on_state);
      if (g->on_receive) Block_release(g->on_receive);
      g->on_state = nullptr;
      g->on_receive = nullptr;
    }
    nw_release(g);
  });
}

// Reads datagrams on its own thread and hands each to the receive handler on the group's queue.
static void ReadLoop(nc_nw_connection_group* g) {
  std::vector<uint8_t> buf(g->max_size);
  for (;;) {
    pollfd p[2] = {{g->fd, POLLIN, 0}, {g->wake[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0 && errno == EINTR) continue;
    if (p[1].revents != 0) break;
    auto* ctx = new nc_nw_content_context();
    ctx->from_len = sizeof ctx->from;
    auto* from = reinterpret_cast<sockaddr*>(&ctx->from);
    ssize_t n = recvfrom(g->fd, buf.data(), buf.size(), MSG_DONTWAIT, from, &ctx->from_len);
    if (n < 0) {
      nw_release(ctx);
      continue;
    }
    dispatch_data_t content =
        dispatch_data_create(buf.data(), static_cast<size_t>(n), g->queue, DISPATCH_DATA_DESTRUCTOR_DEFAULT);
    nw_retain(g);
    dispatch_async(g->queue, ^{
      if (g->on_receive) g->on_receive(content, ctx, true);
      dispatch_release(content);
      nw_release(ctx);
      nw_release(g);
    });
  }
}

void nw_connection_group_start(nw_connection_group_t g) {
  nw_retain(g);
  dispatch_async(g->queue, ^{
    int err = OpenGroupSocket(g);
    if (err != 0) {
      EmitState(g, nw_connection_group_state_failed, PosixError(err));
    } else if (pipe(g->wake) != 0) {
      EmitState(g, nw_connection_group_state_failed, PosixError(errno));
    } else {
      nw_retain(g);  // the reader's reference, dropped by cancel
      g->reader = std::thread(ReadLoop, g);
      EmitState(g, nw_connection_group_state_ready, nullptr);
    }
    nw_release(g);
  });
}

void nw_connection_group_cancel(nw_connection_group_t g) {
  nw_retain(g);
  dispatch_async(g->queue, ^{
    if (g->reader.joinable()) {
      if (write(g->wake[1], "x", 1) != 1) abort();
      g->reader.join();
      close(g->wake[0]);
      close(g->wake[1]);
      nw_release(g);  // the reader's reference
    }
    EmitState(g, nw_connection_group_state_cancelled, nullptr);
    nw_release(g);
  });
}

void nw_connection_group_send_message(nw_connection_group_t g, dispatch_data_t content, nw_endpoint_t ep,
                                      nw_content_context_t, nw_connection_group_send_completion_t completion) {
  nc_nw_endpoint* to = ep != nullptr ? ep : g->group;  // NULL: the whole group
  __block int err = 0;
  if (g->fd < 0) {
    err = ENOTCONN;
  } else {
    dispatch_data_apply(content, ^bool(dispatch_data_t, size_t, const void* buf, size_t size) {
      if (sendto(g->fd, buf, size, 0, reinterpret_cast<sockaddr*>(&to->addr), to->len) < 0) err = errno;
      return true;
    });
  }
  nw_connection_group_send_completion_t done = Block_copy(completion);
  nw_retain(g);
  dispatch_async(g->queue, ^{
    done(err != 0 ? PosixError(err) : nullptr);
    Block_release(done);
    nw_release(g);
  });
}

nw_endpoint_t nw_connection_group_copy_remote_endpoint_for_message(nw_connection_group_t, nw_content_context_t ctx) {
  if (ctx->from_len == 0) return nullptr;
  auto* ep = new nc_nw_endpoint();
  memcpy(&ep->addr, &ctx->from, ctx->from_len);
  ep->len = ctx->from_len;
  return ep;
}

nw_error_domain_t nw_error_get_error_domain(nw_error_t e) { return e->domain; }
int nw_error_get_error_code(nw_error_t e) { return e->code; }

nw_path_monitor_t nw_path_monitor_create(void) { return new nc_nw_path_monitor(); }
void nw_path_monitor_set_queue(nw_path_monitor_t m, dispatch_queue_t q) {
  dispatch_retain(q);
  m->queue = q;
}
void nw_path_monitor_set_update_handler(nw_path_monitor_t m, nw_path_monitor_update_handler_t h) {
  m->handler = Block_copy(h);
}
void nw_path_monitor_start(nw_path_monitor_t m) {
  auto* path = new nc_nw_path();
  if (struct if_nameindex* list = if_nameindex()) {
    for (struct if_nameindex* i = list; i->if_index != 0; i++) {
      auto* ni = new nc_nw_interface();
      ni->name = i->if_name;
      ni->index = i->if_index;
      path->ifaces.push_back(ni);
    }
    if_freenameindex(list);
  }
  nw_retain(m);
  dispatch_async(m->queue, ^{
    if (m->handler) m->handler(path);
    nw_release(path);
    nw_release(m);
  });
}
void nw_path_monitor_cancel(nw_path_monitor_t m) {
  // model: no further updates are sent (the model sends only the first).
  (void)m;
}
void nw_path_enumerate_interfaces(nw_path_t path, nw_path_enumerate_interfaces_block_t block) {
  for (auto* i : path->ifaces) {
    if (!block(i)) break;
  }
}
const char* nw_interface_get_name(nw_interface_t i) { return i->name.c_str(); }
uint32_t nw_interface_get_index(nw_interface_t i) { return i->index; }

}  // extern "C"
