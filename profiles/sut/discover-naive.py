#!/usr/bin/env python3
"""Example SUT with the classic mistake: one unbound socket sends one all-hosts broadcast
(255.255.255.255) per round.  The kernel routes it like any destination, so it leaves via the
default route's interface only; peers on the other segments never hear it.
Usage: discover-naive.py --port P [--interval S] [--duration S]"""
import argparse, select, socket, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--duration", type=float, default=5.0)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    print(f"discovering on port {a.port}", flush=True)
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        s.sendto(b"DISCOVER example-naive", ("255.255.255.255", a.port))
        deadline = time.monotonic() + a.interval
        while time.monotonic() < deadline:
            ready, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                data, src = s.recvfrom(2048)
                print(f"found {data.decode(errors='replace').strip()} from {src[0]}", flush=True)


if __name__ == "__main__":
    main()
