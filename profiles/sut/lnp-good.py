#!/usr/bin/env python3
"""Example SUT that copes with local network privacy (macOS 15+, Apple TN3179): it discovers like
discover-good.py (one bound all-hosts broadcast per interface) and
- when sends fail (EHOSTUNREACH is what macOS returns without permission), says
  `local network access denied` once and retries with exponential backoff (0.2 s .. 2 s);
- when sends succeed but nobody answers for 3 rounds (a silent drop looks like this), says
  `local network access denied?` too — it cannot tell that from an empty network, so it says so;
- when answers come back, says `local network access restored` and carries on, no restart.
Usage: lnp-good.py --port P [--interval S] [--duration S]"""
import argparse, errno, fcntl, select, socket, struct, sys, time

SIOCGIFADDR, SIOCGIFFLAGS = 0x8915, 0x8913
IFF_UP, IFF_LOOPBACK = 0x1, 0x8
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
DENIED = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EPERM, errno.EACCES}
SILENT_ROUNDS = 3


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
                continue
            out.append((name, addr))
    finally:
        probe.close()
    return out


def one_round(port, wait):
    """Returns (sends that went out, errno of refused sends, answers)."""
    socks, refused, found = [], [], 0
    for name, addr in ipv4_interfaces():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, name.encode())
            s.bind(("0.0.0.0", 0))
        except PermissionError:
            s.bind((addr, 0))
        try:
            s.sendto(b"DISCOVER example-lnp-good", ("255.255.255.255", port))
            socks.append((s, name))
        except OSError as e:
            if e.errno not in DENIED:
                print(f"error: send on {name}: {e}", file=sys.stderr, flush=True)
            refused.append(errno.errorcode.get(e.errno, str(e.errno)))
            s.close()
    deadline = time.monotonic() + wait
    while socks and time.monotonic() < deadline:
        ready, _, _ = select.select([s for s, _ in socks], [], [], max(0.0, deadline - time.monotonic()))
        for s in ready:
            data, src = s.recvfrom(2048)
            found += 1
            name = dict((x, n) for x, n in socks)[s]
            print(f"found {data.decode(errors='replace').strip()} from {src[0]} via {name}", flush=True)
    for s, _ in socks:
        s.close()
    return len(socks), refused, found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--duration", type=float, default=30.0)
    a = ap.parse_args()
    print(f"discovering on port {a.port}", flush=True)
    end = time.monotonic() + a.duration
    denied, quiet, backoff = False, 0, 0.2
    while time.monotonic() < end:
        sent, refused, found = one_round(a.port, a.interval)
        if refused and not sent:
            if not denied:
                print(f"local network access denied (sendto: {refused[0]}): allow this app in System Settings > "
                      "Privacy & Security > Local Network; retrying", flush=True)
            denied = True
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
            continue
        if found:
            if denied:
                print("local network access restored", flush=True)
            denied, quiet, backoff = False, 0, 0.2
            continue
        quiet += 1
        if quiet == SILENT_ROUNDS and not denied:
            print(f"local network access denied? {SILENT_ROUNDS} rounds of sends went out and no device answered "
                  "(macOS may drop them silently); retrying", flush=True)
            denied = True


if __name__ == "__main__":
    main()
