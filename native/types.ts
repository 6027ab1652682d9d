/**
 * The typed surface of the native socket addon (implemented by native/index.ts over the
 * C++ binding). Suites, the lab and preflight code against these types only.
 */
import type { EventEmitter } from 'node:events';

export type InterfaceType =
  | 'ethernet'
  | 'wireless'
  | 'loopback'
  | 'veth'
  | 'bridge'
  | 'tun' // Linux sysfs
  | 'wired'
  | 'wifi-infra'
  | 'awdl'
  | 'cellular' // macOS SIOCGIFFUNCTIONALTYPE
  | 'other';

export interface InterfaceAddress {
  family: 4 | 6;
  address: string;
  prefixLength: number;
  broadcast?: string;
  scopeId?: number;
}

export interface NetInterface {
  name: string;
  index: number;
  flags: {
    up: boolean;
    running: boolean;
    loopback: boolean;
    broadcast: boolean;
    multicast: boolean;
    pointToPoint: boolean;
  };
  mtu: number;
  mac: string | undefined;
  type: InterfaceType;
  addresses: InterfaceAddress[];
}

export interface UdpSocketOptions {
  family: 4 | 6;
  reuseAddr?: boolean;
  reusePort?: boolean;
  /** SO_BROADCAST. */
  broadcast?: boolean;
  /** Linux: create the socket inside /run/netns/<netns>. */
  netns?: string;
}

export interface Datagram {
  data: Buffer;
  /** Source address and port. */
  address: string;
  port: number;
  /** Arrival interface (IP_PKTINFO / IPV6_PKTINFO). */
  ifindex: number;
  /** Destination address the datagram was sent to (unicast, broadcast or group). */
  destination: string;
  /**
   * Kernel receive timestamp in ns since the Unix epoch (SO_TIMESTAMPNS / SO_TIMESTAMP): the
   * arrival time when the socket was bound, or receiving, before the datagram arrived.
   */
  timestampNs: bigint;
}

/**
 * The socket's receive options as getsockopt reads them. They are turned on at the first
 * bind() or startReceiving(), not at creation: a socket that only sends never turns on
 * SO_TIMESTAMPNS, which would make the kernel timestamp every packet the host receives.
 */
export interface ReceiveInfoOptions {
  /** IP_PKTINFO (Linux) / IP_RECVPKTINFO (macOS), or IPV6_RECVPKTINFO. */
  pktinfo: boolean;
  /** SO_TIMESTAMPNS (Linux) / SO_TIMESTAMP (macOS). */
  timestamps: boolean;
}

export interface OutgoingDatagram {
  data: Buffer;
  address: string;
  port: number;
}

/**
 * How startReceiving reads. Default: on the event loop, each wake-up delivered at once (the
 * lowest latency; an echo or a request/response peer wants this). `thread: true`: a native
 * thread reads (recvmmsg on Linux, a recvmsg loop on macOS) and hands batches to JS, and with
 * `coalesceUs` the JS thread wakes at most once per window, however many datagrams arrived in
 * it: far less CPU per datagram at high rates, paid for with up to that much delivery delay.
 * Kernel timestamps (timestampNs) still date each datagram at arrival.
 */
export interface ReceiveOptions {
  /** Read on a native receive thread instead of the event loop. */
  thread?: boolean;
  /**
   * With thread: after a delivery, hold datagrams for up to this many µs and deliver them
   * together (0..1_000_000, default 0: deliver at once). The first datagram after a quiet
   * window goes at once. macOS rounds it up to whole milliseconds (poll(2)).
   */
  coalesceUs?: number;
}

/** Emits 'message' (Datagram) and 'error' (NativeError) while receiving; 'close' once. */
export interface UdpSocket extends EventEmitter {
  readonly family: 4 | 6;
  readonly fd: number;
  bind(address: string, port: number): void;
  address(): { address: string; port: number };
  /** SO_BINDTODEVICE (Linux) / IP_BOUND_IF, IPV6_BOUND_IF (macOS). */
  bindToDevice(iface: string | number): void;
  /** IP_MULTICAST_IF with ip_mreqn (Linux), IP_MULTICAST_IFINDEX (macOS), IPV6_MULTICAST_IF. */
  setMulticastInterface(ifindex: number): void;
  addMembership(group: string, ifindex: number): void;
  dropMembership(group: string, ifindex: number): void;
  setMulticastLoopback(on: boolean): void;
  /** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS. */
  setMulticastTTL(ttl: number): void;
  setBroadcast(on: boolean): void;
  /** Sends one datagram; returns bytes sent; throws NativeError (e.g. code EACCES, ENETUNREACH). */
  send(data: Buffer, address: string, port: number): number;
  /** sendmmsg where available; returns how many were sent. */
  sendBatch(datagrams: OutgoingDatagram[]): number;
  /**
   * Starts receiving ('message' events): on the libuv loop, or on a native thread (see
   * ReceiveOptions). Calling it again while receiving switches to the new options; datagrams
   * the thread had read but not yet delivered are then dropped, as on stopReceiving/close.
   */
  startReceiving(options?: ReceiveOptions): void;
  stopReceiving(): void;
  close(): void;
}

export interface TcpKeepalive {
  enabled: boolean;
  idleSec: number;
  intervalSec: number;
  count: number;
}

/** Every failing syscall throws one of these. Decide by `code`, never by message. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export interface AddonStatus {
  loaded: boolean;
  /** Why it did not load ("run npm rebuild; a C++ toolchain is needed"). */
  reason?: string;
  features: { pktinfo: boolean; timestamps: boolean; mmsg: boolean; netns: boolean };
}

/** Options of a Network framework group peer (NWConnectionGroup; macOS 11+). */
export interface NwGroupOptions {
  /** Multicast group address (IPv4 or IPv6). */
  group: string;
  port: number;
  /** Interface the group must use (nw_parameters_require_interface); default: the system's choice. */
  interface?: string;
  /** Hop limit of sent datagrams (nw_ip_options_set_hop_limit). */
  ttl: number;
  /** Receive this host's own sends (nw_ip_options_set_disable_multicast_loopback(false)). */
  loopback: boolean;
}

/** An nw_error_t: its domain and code (posix: an errno). */
export interface NwError {
  domain: 'posix' | 'dns' | 'tls' | 'invalid';
  code: number;
}

export type NwGroupState = 'waiting' | 'ready' | 'failed' | 'cancelled' | 'invalid';

/** What the framework reports, in order, on the JS thread. */
export type NwGroupEvent =
  | { type: 'state'; state: NwGroupState; error?: NwError; detail?: string }
  | { type: 'message'; data: Buffer; from: string }
  | { type: 'sent'; id: number; error?: NwError };

export interface NwGroupHandle {
  start(): void;
  /** Sends to the whole group; the completion arrives as a `sent` event with this id. */
  send(data: Uint8Array): number;
  /** Cancels the group; the last event is `state: cancelled`. */
  close(): void;
}
