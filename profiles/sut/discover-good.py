#!/usr/bin/env python3
"""Example SUT that discovers correctly: every round it lists the interfaces again and sends
one all-hosts broadcast per interface from a socket bound to that interface (SO_BINDTODEVICE
when root, else bound to the interface's address) with SO_BROADCAST set, then prints every
peer that answers.  Usage: discover-good.py --port P [--interval S] [--duration S]"""
import argparse, fcntl, select, socket, struct, sys, time

SIOCGIFADDR, SIOCGIFFLAGS = 0x8915, 0x8913
IFF_UP, IFF_LOOPBACK = 0x1, 0x8
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)


def ipv4_interfaces():
    """(name, address) of every up, non-loopback interface with an IPv4 address (Linux ioctls)."""
    out = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _, name in socket.if_nameindex():
            req = struct.pack("256s", name.encode()[:15])
            try:
                flags = struct.unpack("H", fcntl.ioctl(probe.fileno(), SIOCGIFFLAGS, req)[16:18])[0]
                if not flags & IFF_UP or flags & IFF_LOOPBACK:
                    continue
                addr = socket.inet_ntoa(fcntl.ioctl(probe.fileno(), SIOCGIFADDR, req)[20:24])
            except OSError:
                continue  # no IPv4 address
            out.append((name, addr))
    finally:
        probe.close()
    return out


def one_round(port, wait):
    socks = []
    for name, addr in ipv4_interfaces():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, name.encode())
            s.bind(("0.0.0.0", 0))
        except PermissionError:
            s.bind((addr, 0))  # without root: the source address picks the interface
        try:
            s.sendto(b"DISCOVER example-good", ("255.255.255.255", port))
        except OSError as e:
            print(f"error: send on {name}: {e}", file=sys.stderr, flush=True)
        socks.append((s, name))
    deadline = time.monotonic() + wait
    while socks and time.monotonic() < deadline:
        ready, _, _ = select.select([s for s, _ in socks], [], [], max(0.0, deadline - time.monotonic()))
        for s in ready:
            data, src = s.recvfrom(2048)
            name = dict((x, n) for x, n in socks)[s]
            print(f"found {data.decode(errors='replace').strip()} from {src[0]} via {name}", flush=True)
    for s, _ in socks:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--duration", type=float, default=5.0)
    a = ap.parse_args()
    print(f"discovering on port {a.port}", flush=True)
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        one_round(a.port, a.interval)


if __name__ == "__main__":
    main()
