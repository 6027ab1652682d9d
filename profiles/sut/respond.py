#!/usr/bin/env python3
"""Example responder SUT for discovery.responds: answers mDNS questions for one name (PTR), or
SSDP M-SEARCHes, arriving on its port.  --mode says how well it does it:
  every-interface  joins the group on every interface and answers on the interface the query
                   arrived on (IP_PKTINFO in, IP_MULTICAST_IF out): the correct responder
  one-interface    joins with INADDR_ANY, so the kernel picks one interface (the default route's)
                   and queries on the others never arrive
  default-route    joins on every interface but multicasts every answer without choosing the
                   interface, so the routing table sends it out of the default route
Usage: respond.py --proto mdns|ssdp --port P --group G --name N [--mode M] [--duration S]"""
import argparse, fcntl, socket, struct, sys, time

SIOCGIFADDR, SIOCGIFFLAGS = 0x8915, 0x8913
IFF_UP, IFF_LOOPBACK = 0x1, 0x8
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)


def ipv4_interfaces():
    """(index, name, address) of every up, non-loopback interface with an IPv4 address."""
    out = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for index, name in socket.if_nameindex():
            req = struct.pack("256s", name.encode()[:15])
            try:
                flags = struct.unpack("H", fcntl.ioctl(probe.fileno(), SIOCGIFFLAGS, req)[16:18])[0]
                if not flags & IFF_UP or flags & IFF_LOOPBACK:
                    continue
                addr = socket.inet_ntoa(fcntl.ioctl(probe.fileno(), SIOCGIFADDR, req)[20:24])
            except OSError:
                continue
            out.append((index, name, addr))
    finally:
        probe.close()
    return out


def read_name(msg, off):
    """A DNS name at off (RFC 1035 4.1.4, pointers followed); returns (name, offset after it)."""
    labels, end, hops = [], None, 0
    while off < len(msg) and hops < 32:
        n = msg[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0 == 0xC0:
            end = end if end is not None else off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            continue
        labels.append(msg[off + 1:off + 1 + n].decode("latin1"))
        off += 1 + n
    return ".".join(labels), (end if end is not None else off)


def encode_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\0"


def mdns_answer(msg, name, instance):
    """A response for a query that asks for `name` (PTR or ANY), else None."""
    if len(msg) < 12 or msg[2] & 0x80:
        return None  # too short, or a response
    qdcount = struct.unpack("!H", msg[4:6])[0]
    off = 12
    for _ in range(qdcount):
        qname, off = read_name(msg, off)
        qtype = struct.unpack("!H", msg[off:off + 2])[0]
        off += 4
        if qname.lower() == name.lower() and qtype in (12, 255):
            rdata = encode_name(instance)
            record = encode_name(name) + struct.pack("!HHIH", 12, 1, 120, len(rdata)) + rdata
            return struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, 0) + record
    return None


def ssdp_answer(msg, st, usn, location):
    text = msg.decode("latin1")
    if not text.startswith("M-SEARCH"):
        return None
    asked = next((l.split(":", 1)[1].strip() for l in text.split("\r\n") if l.upper().startswith("ST:")), "")
    if asked not in ("ssdp:all", st):
        return None
    return (f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: {st}\r\nUSN: {usn}\r\n"
            f"LOCATION: {location}\r\nEXT:\r\n\r\n").encode("latin1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proto", choices=["mdns", "ssdp"], required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--name", required=True, help="mDNS name answered (PTR) / SSDP ST answered")
    ap.add_argument("--mode", choices=["every-interface", "one-interface", "default-route"], default="every-interface")
    ap.add_argument("--duration", type=float, default=60.0)
    a = ap.parse_args()
    ifaces = ipv4_interfaces()
    by_index = {i: (n, addr) for i, n, addr in ifaces}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.bind(("0.0.0.0", a.port))
    group = socket.inet_aton(a.group)
    if a.mode == "one-interface":
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, group + socket.inet_aton("0.0.0.0"))
    else:
        for _, _, addr in ifaces:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, group + socket.inet_aton(addr))
    names = ", ".join(n for _, n, _ in ifaces)
    print(f"responding to {a.proto} on {a.group}:{a.port} ({a.mode}, interfaces: {names})", flush=True)
    end = time.monotonic() + a.duration
    s.settimeout(0.2)
    while time.monotonic() < end:
        try:
            msg, anc, _, src = s.recvmsg(2048, socket.CMSG_SPACE(12))
        except socket.timeout:
            continue
        # struct in_pktinfo starts with the arrival interface's index (ip(7)).
        ifindex = next((struct.unpack("i", d[:4])[0] for lvl, t, d in anc
                        if lvl == socket.IPPROTO_IP and t == IP_PKTINFO), 0)
        name, addr = by_index.get(ifindex, ("?", "0.0.0.0"))
        if a.proto == "mdns":
            reply = mdns_answer(msg, a.name, f"example-responder-{a.mode}.{a.name}")
            dest = (a.group, a.port) if src[1] == a.port else src  # legacy unicast (RFC 6762 6.7) from other ports
        else:
            reply = ssdp_answer(msg, a.name, "uuid:netconform-example::" + a.name, f"http://{addr}:8080/desc.xml")
            dest = src
        if reply is None:
            continue
        if a.mode == "every-interface":
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(addr))
        try:
            s.sendto(reply, dest)
            print(f"answered a query from {src[0]} on {name} to {dest[0]}", flush=True)
        except OSError as e:
            print(f"error: answer on {name}: {e}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
