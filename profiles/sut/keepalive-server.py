#!/usr/bin/env python3
"""Example gateway for darkwake.churn with `gateway.command`: a plain TCP echo server whose only
dead-peer detection is the kernel's TCP keepalive on every accepted connection (tcp(7):
TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT), as a server with `TCPKeepAlive` or a VPN server in
TCP mode relies on. A peer that answers no probe for idle + interval x count seconds is dropped
by the kernel (Linux resets the connection); the server then closes its end. It prints
`listening` once it accepts. Runs until it is stopped.
Usage: keepalive-server.py ADDRESS PORT [--keepalive IDLE,INTERVAL,COUNT]"""
import argparse, socket, threading

ap = argparse.ArgumentParser()
ap.add_argument("address")
ap.add_argument("port", type=int)
ap.add_argument("--keepalive", default="1,1,2", help="seconds idle, seconds between probes, probes")
args = ap.parse_args()
idle, interval, count = (int(x) for x in args.keepalive.split(","))


def serve(conn):
    peer = "%s:%d" % conn.getpeername()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, count)
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)
    except OSError as e:
        print(f"dropped {peer}: {e.strerror}", flush=True)
    finally:
        conn.close()


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((args.address, args.port))
srv.listen(16)
print("listening", flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
