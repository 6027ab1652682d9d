// MODEL, NOT macOS. Force-included (-include) before native/src's darwin files when they are
// compiled on Linux by native/model/run.mjs: it declares the Darwin names those files use and
// routes the calls whose BSD options Linux lacks to darwin_model.cc, which maps each to its
// Linux counterpart following Apple's documented meaning (cited per name). It lets the darwin
// code's logic run against a real kernel; it says nothing about how macOS itself behaves.
#pragma once

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stddef.h>

// <netinet/in.h> (Apple): "IP_RECVPKTINFO 26 /* get IP_PKTINFO on datagrams */" with the same value
// as IP_PKTINFO, an in_pktinfo control message. Linux's IP_PKTINFO is that option and message.
#define IP_RECVPKTINFO IP_PKTINFO
// <netinet/in.h> (Apple): "IP_BOUND_IF 25 /* int; set/get bound interface */" and
// <netinet6/in6.h> IPV6_BOUND_IF 125: an interface index. Model-private numbers, so the kernel
// never sees them: darwin_model.cc maps both to SO_BINDTODEVICE (socket(7)).
#define IP_BOUND_IF 0x7f01
#define IPV6_BOUND_IF 0x7f02
// <netinet/in.h> (Apple): "IP_MULTICAST_IFINDEX 66 /* int*; set/get IP multicast i/f index */".
// Mapped to IP_MULTICAST_IF with struct ip_mreqn's imr_ifindex (ip(7)).
#define IP_MULTICAST_IFINDEX 0x7f03
// <netinet/tcp.h> (Apple): "TCP_KEEPALIVE 0x10 /* idle time used when SO_KEEPALIVE is enabled */",
// in seconds. Mapped to TCP_KEEPIDLE (tcp(7)).
#define TCP_KEEPALIVE 0x7f04
// <sys/socket.h> (Apple): AF_LINK 18, "Link layer interface"; getifaddrs(3) lists one AF_LINK
// entry (struct sockaddr_dl) per interface. The model turns Linux's AF_PACKET entries into these.
#define AF_LINK 18
// <net/if.h> (Apple): the functional types SIOCGIFFUNCTIONALTYPE reports in ifr_functional_type.
#define IFRTYPE_FUNCTIONAL_UNKNOWN 0
#define IFRTYPE_FUNCTIONAL_LOOPBACK 1
#define IFRTYPE_FUNCTIONAL_WIRED 2
#define IFRTYPE_FUNCTIONAL_WIFI_INFRA 3
#define IFRTYPE_FUNCTIONAL_WIFI_AWDL 4
#define IFRTYPE_FUNCTIONAL_CELLULAR 5
// struct ifreq's ifr_ifru union has an int member on Linux: the model's functional type lives there.
#define ifru_functional_type ifru_ivalue

#ifdef __cplusplus
extern "C" {
#endif
int nc_model_setsockopt(int fd, int level, int name, const void* value, socklen_t len);
int nc_model_getsockopt(int fd, int level, int name, void* value, socklen_t* len);
int nc_model_ioctl(int fd, unsigned long request, void* arg);
int nc_model_getifaddrs(struct ifaddrs** out);
void nc_model_freeifaddrs(struct ifaddrs* list);
size_t nc_model_strlcpy(char* dst, const char* src, size_t size);
#ifdef __cplusplus
}
#endif

#define setsockopt nc_model_setsockopt
#define getsockopt nc_model_getsockopt
#define ioctl nc_model_ioctl
#define getifaddrs nc_model_getifaddrs
#define freeifaddrs nc_model_freeifaddrs
// strlcpy(3) (BSD): glibc before 2.38 has none.
#define strlcpy nc_model_strlcpy
