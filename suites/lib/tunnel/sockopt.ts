/**
 * TCP keepalive on a Node socket through the native addon. Node's own
 * `socket.setKeepAlive(true, ms)` takes only the idle time: the probe interval and count are
 * whatever libuv or the kernel picks (measured here with Node 20: 1 s × 10 probes; older libuv
 * leaves the kernel defaults, 75 s × 9), so dead-peer detection is not what the caller asked
 * for. The addon sets all three (tcp(7): TCP_KEEPIDLE = idle
 * seconds before the first probe, TCP_KEEPINTVL = seconds between probes, TCP_KEEPCNT =
 * unanswered probes before the connection is dropped with ETIMEDOUT).
 */
import type { Socket } from 'node:net';
import type { TcpKeepalive } from '../../../native/types.ts';

export interface KeepaliveSetting {
  idleSec: number;
  intervalSec: number;
  count: number;
}

/** The socket's file descriptor (libuv's TCP handle exposes it on Unix). */
export function socketFd(sock: Socket): number {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor (not connected yet?)');
  return fd;
}

/** Sets idle/interval/count and reads back what the kernel holds. */
export async function applyKeepalive(sock: Socket, ka: KeepaliveSetting): Promise<TcpKeepalive> {
  const native = await import('../../../native/index.ts');
  const fd = socketFd(sock);
  native.setTcpKeepalive(fd, ka);
  return native.getTcpKeepalive(fd);
}

/** Reads the keepalive settings the kernel holds for this socket. */
export async function readKeepalive(sock: Socket): Promise<TcpKeepalive> {
  const native = await import('../../../native/index.ts');
  return native.getTcpKeepalive(socketFd(sock));
}
