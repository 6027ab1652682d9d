#!/usr/bin/env python3
"""Example client for keepalive.suspended-peer with `client: sut`: it keeps one TCP connection to
each gateway port it is given and sends a heartbeat line on each every --interval seconds (an app
heartbeat, as a VPN client's keepalive ping), leaving TCP keepalive to the peer. It prints
`connected` once every connection is up. Suspended (SIGSTOP), it sends nothing, while its kernel
still answers TCP keepalive probes. Runs until it is stopped; a dropped connection is not reopened.
Usage: heartbeat-client.py ADDRESS PORT [PORT ...] [--interval SECONDS]"""
import argparse, socket, time

ap = argparse.ArgumentParser()
ap.add_argument("address")
ap.add_argument("ports", type=int, nargs="+")
ap.add_argument("--interval", type=float, default=0.25)
args = ap.parse_args()

conns = [socket.create_connection((args.address, p), timeout=10) for p in args.ports]
print("connected", flush=True)
while True:
    for c in list(conns):
        try:
            c.sendall(b"ping\n")
        except OSError as e:
            print(f"dropped: {e.strerror}", flush=True)
            conns.remove(c)
    time.sleep(args.interval)
