// The slice of Network framework's C API that nwgroup_darwin.cc uses, declared here because
// the cross-compile check (npm run check:macos, zig 0.11) ships macOS libc headers but no
// framework headers. Every declaration is checked against Apple's Network framework
// documentation ("Network > Connection Groups", "nw_parameters", "nw_path_monitor",
// "nw_ip_options"; developer.apple.com/documentation/network) and Network/*.h of the macOS
// 11 SDK; availability is macOS 11.0 for the connection-group calls, 10.14 for the rest.
//
// Object types: compiled as C++ without Objective-C, Apple's headers declare every nw_* type
// as an opaque object pointer (OS_OBJECT_USE_OBJC=0) that must be released with nw_release
// ("Network > nw_release"): the same ABI as the opaque struct pointers below. Handlers are
// blocks (clang -fblocks, on by default for Darwin targets); the framework copies the
// blocks it keeps.
#pragma once

#include <dispatch/dispatch.h>
#include <stdint.h>

extern "C" {

typedef struct nc_nw_object* nw_object_t;
typedef struct nc_nw_endpoint* nw_endpoint_t;
typedef struct nc_nw_parameters* nw_parameters_t;
typedef struct nc_nw_protocol_options* nw_protocol_options_t;
typedef struct nc_nw_protocol_stack* nw_protocol_stack_t;
typedef struct nc_nw_group_descriptor* nw_group_descriptor_t;
typedef struct nc_nw_connection_group* nw_connection_group_t;
typedef struct nc_nw_content_context* nw_content_context_t;
typedef struct nc_nw_error* nw_error_t;
typedef struct nc_nw_interface* nw_interface_t;
typedef struct nc_nw_path* nw_path_t;
typedef struct nc_nw_path_monitor* nw_path_monitor_t;

// nw_connection_group_state_t (Network/connection_group.h).
typedef enum {
  nw_connection_group_state_invalid = 0,
  nw_connection_group_state_waiting = 1,
  nw_connection_group_state_ready = 2,
  nw_connection_group_state_failed = 3,
  nw_connection_group_state_cancelled = 4,
} nw_connection_group_state_t;

// nw_error_domain_t (Network/error.h): posix carries an errno, dns a DNSServiceErrorType.
typedef enum {
  nw_error_domain_invalid = 0,
  nw_error_domain_posix = 1,
  nw_error_domain_dns = 2,
  nw_error_domain_tls = 3,
} nw_error_domain_t;

typedef void (^nw_parameters_configure_protocol_block_t)(nw_protocol_options_t options);
typedef void (^nw_connection_group_state_changed_handler_t)(nw_connection_group_state_t state, nw_error_t error);
typedef void (^nw_connection_group_receive_handler_t)(dispatch_data_t content, nw_content_context_t context,
                                                      bool is_complete);
typedef void (^nw_connection_group_send_completion_t)(nw_error_t error);
typedef void (^nw_path_monitor_update_handler_t)(nw_path_t path);
typedef bool (^nw_path_enumerate_interfaces_block_t)(nw_interface_t interface);

// NW_PARAMETERS_DISABLE_PROTOCOL / NW_PARAMETERS_DEFAULT_CONFIGURATION and
// NW_CONNECTION_DEFAULT_MESSAGE_CONTEXT are these exported constants (Network/parameters.h,
// Network/content_context.h).
extern const nw_parameters_configure_protocol_block_t _nw_parameters_configure_protocol_disable;
extern const nw_parameters_configure_protocol_block_t _nw_parameters_configure_protocol_default_configuration;
extern const nw_content_context_t _nw_content_context_default_message;

void nw_release(void* object);
void* nw_retain(void* object);

nw_endpoint_t nw_endpoint_create_host(const char* hostname, const char* port);
char* nw_endpoint_copy_address_string(nw_endpoint_t endpoint);  // malloc'd; caller frees

nw_parameters_t nw_parameters_create_secure_udp(nw_parameters_configure_protocol_block_t configure_dtls,
                                                nw_parameters_configure_protocol_block_t configure_udp);
void nw_parameters_require_interface(nw_parameters_t parameters, nw_interface_t interface);
void nw_parameters_set_allow_local_endpoint_reuse(nw_parameters_t parameters, bool allow_reuse);
nw_protocol_stack_t nw_parameters_copy_default_protocol_stack(nw_parameters_t parameters);
nw_protocol_options_t nw_protocol_stack_copy_internet_protocol(nw_protocol_stack_t stack);
void nw_ip_options_set_hop_limit(nw_protocol_options_t options, uint8_t hop_limit);
void nw_ip_options_set_disable_multicast_loopback(nw_protocol_options_t options, bool disable_multicast_loopback);

nw_group_descriptor_t nw_group_descriptor_create_multicast(nw_endpoint_t multicast_group);

nw_connection_group_t nw_connection_group_create(nw_group_descriptor_t group_descriptor, nw_parameters_t parameters);
void nw_connection_group_set_queue(nw_connection_group_t group, dispatch_queue_t queue);
void nw_connection_group_set_state_changed_handler(nw_connection_group_t group,
                                                   nw_connection_group_state_changed_handler_t handler);
void nw_connection_group_set_receive_handler(nw_connection_group_t group, uint32_t maximum_message_size,
                                             bool reject_oversized_messages,
                                             nw_connection_group_receive_handler_t handler);
void nw_connection_group_start(nw_connection_group_t group);
void nw_connection_group_cancel(nw_connection_group_t group);
void nw_connection_group_send_message(nw_connection_group_t group, dispatch_data_t content, nw_endpoint_t endpoint,
                                      nw_content_context_t context, nw_connection_group_send_completion_t completion);
nw_endpoint_t nw_connection_group_copy_remote_endpoint_for_message(nw_connection_group_t group,
                                                                   nw_content_context_t context);

nw_error_domain_t nw_error_get_error_domain(nw_error_t error);
int nw_error_get_error_code(nw_error_t error);

nw_path_monitor_t nw_path_monitor_create(void);
void nw_path_monitor_set_queue(nw_path_monitor_t monitor, dispatch_queue_t queue);
void nw_path_monitor_set_update_handler(nw_path_monitor_t monitor, nw_path_monitor_update_handler_t handler);
void nw_path_monitor_start(nw_path_monitor_t monitor);
void nw_path_monitor_cancel(nw_path_monitor_t monitor);
void nw_path_enumerate_interfaces(nw_path_t path, nw_path_enumerate_interfaces_block_t enumerate_block);
const char* nw_interface_get_name(nw_interface_t interface);
uint32_t nw_interface_get_index(nw_interface_t interface);

}  // extern "C"
