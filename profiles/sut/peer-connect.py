#!/usr/bin/env python3
"""Example symmetric peer for peers.symmetric-connect: it listens AND connects to its peer (the
Wi-Fi Aware report: both sides publish and subscribe). Every connection starts with one line each
way, `HELLO <id>`, so each side knows who opened it. The --policy decides what to do with two:
- tiebreak:   when two connections to the peer are up, both sides close the one opened by the
              larger id (the same one, so exactly one is left) — passes;
- keep-both:  keeps every connection — fails: 2 established;
- close-both: each side closes the connection it accepted whenever it has its own — fails:
              each side closed the other's, 0 left.
It prints `listening` once it accepts, then connects, retrying every 20 ms while refused (the peer
may not be listening yet) until its own connect succeeds. Runs until it is stopped.
Usage: peer-connect.py --id ID --listen A P --peer A P --policy tiebreak|keep-both|close-both"""
import argparse, socket, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--id", required=True)
ap.add_argument("--listen", nargs=2, required=True, metavar=("ADDRESS", "PORT"))
ap.add_argument("--peer", nargs=2, required=True, metavar=("ADDRESS", "PORT"))
ap.add_argument("--policy", choices=["tiebreak", "keep-both", "close-both"], required=True)
ap.add_argument("--connect-for", type=float, default=10.0, help="seconds to keep retrying a refused connect")
args = ap.parse_args()

lock = threading.Lock()
live = {}  # socket -> {"outbound": bool, "opener": id of the side that connected}


def say(text):
    print(text, flush=True)


def close(sock, why):
    with lock:
        info = live.pop(sock, None)
    if info is None:
        return
    say(f"close {'outbound' if info['outbound'] else 'inbound'} connection opened by {info['opener']}: {why}")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def decide():
    """Called with the lock held after a HELLO: which live connections to close."""
    if len(live) < 2:
        return []
    if args.policy == "tiebreak":
        loser = max(info["opener"] for info in live.values())
        return [s for s, i in live.items() if i["opener"] == loser]
    if args.policy == "close-both":
        if any(i["outbound"] for i in live.values()):
            return [s for s, i in live.items() if not i["outbound"]]
    return []


def serve(sock, outbound):
    try:
        sock.sendall(f"HELLO {args.id}\n".encode())
        f = sock.makefile("r")
        line = f.readline().split()
        if len(line) != 2 or line[0] != "HELLO":
            sock.close()
            return
        peer_id = line[1]
        with lock:
            live[sock] = {"outbound": outbound, "opener": args.id if outbound else peer_id}
            doomed = decide()
        say(f"{'connected to' if outbound else 'accepted from'} {peer_id} ({len(live)} live)")
        for s in doomed:
            close(s, "duplicate")
        while f.readline():  # hold it; EOF = the peer closed it
            pass
    except OSError:
        pass
    close(sock, "closed by the peer")


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((args.listen[0], int(args.listen[1])))
listener.listen(8)
say(f"listening on {args.listen[0]}:{args.listen[1]} as {args.id} ({args.policy})")


def accept_loop():
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, False), daemon=True).start()


threading.Thread(target=accept_loop, daemon=True).start()
deadline = time.monotonic() + args.connect_for
while time.monotonic() < deadline:
    try:
        sock = socket.create_connection((args.peer[0], int(args.peer[1])), timeout=2)
        sock.settimeout(None)
    except (ConnectionRefusedError, socket.timeout):
        time.sleep(0.02)
        continue
    threading.Thread(target=serve, args=(sock, True), daemon=True).start()
    break
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    sys.exit(0)
