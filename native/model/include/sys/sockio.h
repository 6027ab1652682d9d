// MODEL, NOT macOS: <sys/sockio.h> as far as native/src/socket_darwin.cc uses it.
// SIOCGIFFUNCTIONALTYPE (Apple: _IOWR('i', 173, struct ifreq), "get interface functional type")
// is answered by the model's ioctl (darwin_model.cc), never by the kernel.
#pragma once
#define SIOCGIFFUNCTIONALTYPE 0x7f0173UL
