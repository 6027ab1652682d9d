#!/usr/bin/env python3
"""Example SUT that ignores local network privacy: it broadcasts on every interface like
discover-good.py but swallows every send error and never tells the user anything — under
macOS's denial it just keeps retrying in silence. lnp.sut-detects-denial fails it.
Usage: lnp-naive.py --port P [--interval S] [--duration S]"""
import argparse, fcntl, select, socket, struct, time

SIOCGIFADDR, SIOCGIFFLAGS = 0x8915, 0x8913
IFF_UP, IFF_LOOPBACK = 0x1, 0x8
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)


def ipv4_interfaces():
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
                continue
            out.append((name, addr))
    finally:
        probe.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--duration", type=float, default=30.0)
    a = ap.parse_args()
    print(f"discovering on port {a.port}", flush=True)
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        socks = []
        for name, addr in ipv4_interfaces():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            try:
                s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, name.encode())
                s.bind(("0.0.0.0", 0))
            except PermissionError:
                s.bind((addr, 0))
            try:
                s.sendto(b"DISCOVER example-lnp-naive", ("255.255.255.255", a.port))
            except OSError:
                pass  # the mistake: the error is the only sign of the denial, and it is dropped
            socks.append(s)
        deadline = time.monotonic() + a.interval
        while time.monotonic() < deadline:
            ready, _, _ = select.select(socks, [], [], max(0.0, deadline - time.monotonic()))
            for s in ready:
                data, src = s.recvfrom(2048)
                print(f"found {data.decode(errors='replace').strip()} from {src[0]}", flush=True)
        for s in socks:
            s.close()


if __name__ == "__main__":
    main()
