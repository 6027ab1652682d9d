// MODEL, NOT macOS: <net/if_dl.h> as far as native/src/socket_darwin.cc uses it. Apple's struct
// sockaddr_dl starts with sdl_len and sdl_family (one byte each); on Linux a sockaddr's family is
// two bytes at offset 0, so the model's struct starts with that (sdl_len is not used). LLADDR is
// Apple's: the link-level address follows the interface name in sdl_data.
#pragma once
#include <sys/socket.h>

struct sockaddr_dl {
  sa_family_t sdl_family;  // AF_LINK
  unsigned short sdl_index;
  unsigned char sdl_type;
  unsigned char sdl_nlen;  // name length
  unsigned char sdl_alen;  // link-level address length
  unsigned char sdl_slen;
  char sdl_data[46];       // name, then address
};
#define LLADDR(s) ((char*)((s)->sdl_data + (s)->sdl_nlen))
