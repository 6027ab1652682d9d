#!/usr/bin/env python3
"""Example client for keepalive.honoured with `strategy: sut`: it connects to the gateway, turns on
TCP keepalive with the timers it is given (tcp(7): SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL,
TCP_KEEPCNT), prints `connected` and waits. When the kernel gives up on the peer (ETIMEDOUT, and
Linux resets the connection) it prints `dead peer: <error>` and exits. The harness judges from the
wire, not from this output: when the probes went out and when the connection was reset.
--idle-only is the known-bad case: it sets SO_KEEPALIVE and TCP_KEEPIDLE and leaves the probe
interval and count at the system's defaults (net.ipv4.tcp_keepalive_intvl 75 s, _probes 9), as
an API that takes only an idle time does.
Usage: keepalive-client.py ADDRESS PORT --keepalive IDLE,INTERVAL,COUNT [--idle-only]"""
import argparse, socket

ap = argparse.ArgumentParser()
ap.add_argument("address")
ap.add_argument("port", type=int)
ap.add_argument("--keepalive", required=True, help="seconds idle, seconds between probes, probes")
ap.add_argument("--idle-only", action="store_true", help="set only the idle time (the known-bad case)")
args = ap.parse_args()
idle, interval, count = (int(x) for x in args.keepalive.split(","))

s = socket.create_connection((args.address, args.port), timeout=10)
s.settimeout(None)
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
if not args.idle_only:
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, count)
print("connected", flush=True)
try:
    while s.recv(4096):
        pass
    print("dead peer: closed by the peer", flush=True)
except OSError as e:
    print(f"dead peer: {e.strerror}", flush=True)
