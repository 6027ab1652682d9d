/**
 * TypeScript wrapper over the C++ binding (native/src, built by `npm ci` / `npm rebuild`
 * through native/build.mjs). Implements the contract in ./types.ts.
 *
 * Importing this module never throws: if the .node file is missing or fails to load,
 * addonStatus() says why and every other function throws an Error with code
 * 'ERR_ADDON_NOT_BUILT'.
 *
 * Lifetime choice: an idle socket (not receiving) holds no libuv handle, so it never keeps
 * the process alive, and if it becomes garbage without close() its fd is closed by the
 * native finalizer. A receiving socket keeps the event loop alive like a listening dgram
 * socket, unless socket.unref() was called; close() (or stopReceiving()) releases it.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import type {
  AddonStatus,
  NwGroupEvent,
  NwGroupHandle,
  NwGroupOptions,
  Datagram,
  NativeError,
  NetInterface,
  OutgoingDatagram,
  ReceiveInfoOptions,
  ReceiveOptions,
  TcpKeepalive,
  UdpSocket,
  UdpSocketOptions,
} from './types.ts';

export type * from './types.ts';

/** Shape of the compiled binding (native/src/module.cc exports it). */
interface RecvBuffers {
  meta: Int32Array;
  ts: BigInt64Array;
  addrs: string[];
  slots: number;
  slotSize: number;
  stride: number;
}
declare const socketHandle: unique symbol;
type SocketHandle = { readonly [socketHandle]: true };
interface BindingSocket {
  readonly fd: number;
  bind(address: string, port: number): void;
  address(): { address: string; port: number };
  recvInfo(): ReceiveInfoOptions;
  bindToDevice(iface: string | number): void;
  setMulticastInterface(ifindex: number): void;
  addMembership(group: string, ifindex: number): void;
  dropMembership(group: string, ifindex: number): void;
  setMulticastLoopback(on: boolean): void;
  setMulticastTTL(ttl: number): void;
  setBroadcast(on: boolean): void;
  setBufferSizes(recvBytes: number, sendBytes: number): void;
  send(data: Uint8Array, address: string, port: number): number;
  /** An External for the module-level fast paths below (never exposed by this wrapper). */
  handle(): SocketHandle;
  sendBatch(datagrams: OutgoingDatagram[]): number;
  recvBuffers(): RecvBuffers;
  /** thread: read on a native thread (recv_thread.cc), holding datagrams up to coalesceUs. */
  startReceiving(
    onBatch: (count: number, error?: NativeError, pool?: ArrayBuffer) => void,
    thread?: boolean,
    coalesceUs?: number,
  ): void;
  stopReceiving(): void;
  ref(): void;
  unref(): void;
  close(): void;
}
interface Binding {
  UdpSocket: new (
    family: 4 | 6,
    reuseAddr: boolean,
    reusePort: boolean,
    broadcast: boolean,
    netns: string | undefined,
  ) => BindingSocket;
  listInterfaces(netns?: string): NetInterface[];
  listInterfacesAsync(netns?: string): Promise<NetInterface[]>;
  setTcpKeepalive(fd: number, idleSec: number, intervalSec: number, count: number): void;
  getTcpKeepalive(fd: number): TcpKeepalive;
  features(): AddonStatus['features'];
  /** socket.send without napi_unwrap: the same checks, errors and result. */
  sendTo(h: SocketHandle, data: Uint8Array, address: string, port: number): number;
  /** The same, to the destination the previous successful sendTo parsed (no parsing). */
  sendLast(h: SocketHandle, data: Uint8Array): number;
  /** sendBatch of payloads copied back to back into stage; dests = [address, port, ...]. */
  sendStaged(
    h: SocketHandle,
    stage: Uint8Array,
    count: number,
    lens: Int32Array,
    destIndex: Int32Array,
    dests: (string | number)[],
    offsets?: Int32Array,
  ): number;
  /** Linux only (native/src/lnp_linux.cc): hooks attached after the change. */
  setLocalNetworkPolicy?(cgroupDir: string, policy: LocalNetworkPolicyName): string[];
  /** macOS only (native/src/nwgroup_darwin.cc). */
  NwGroup?: new (
    options: NwGroupOptions,
    onEvent: (e: NwGroupEvent) => void,
  ) => NwGroupHandle;
}

/** Batches up to this many datagrams and bytes go through the staged sendBatch path. */
const STAGE_MAX_COUNT = 1024;
const STAGE_MAX_BYTES = 256 * 1024;

export const NOT_BUILT_REASON =
  'native addon not built: run `npm rebuild`; a C++ toolchain (g++, make, python3) is needed';

const NO_FEATURES: AddonStatus['features'] = { pktinfo: false, timestamps: false, mmsg: false, netns: false };

let binding: Binding | undefined;
let loadError: string | undefined;
try {
  const require = createRequire(import.meta.url);
  const load = require('node-gyp-build') as (dir: string) => unknown;
  // NETCONFORM_NATIVE_DIR points at another build folder (tests use it to check the
  // not-built path); by default the folder holding this file.
  const dir = process.env.NETCONFORM_NATIVE_DIR ?? dirname(fileURLToPath(import.meta.url));
  binding = load(dir) as Binding;
} catch (e) {
  const msg = e instanceof Error ? e.message : String(e);
  loadError = /No native build was found/i.test(msg)
    ? NOT_BUILT_REASON
    : `native addon failed to load (${msg.split('\n')[0]}): run \`npm rebuild\`; a C++ toolchain (g++, make, python3) is needed`;
}

function need(): Binding {
  if (binding) return binding;
  throw Object.assign(new Error(loadError ?? NOT_BUILT_REASON), { code: 'ERR_ADDON_NOT_BUILT' });
}

export function addonStatus(): AddonStatus {
  if (!binding) return { loaded: false, reason: loadError ?? NOT_BUILT_REASON, features: { ...NO_FEATURES } };
  return { loaded: true, features: binding.features() };
}

export function isNativeError(e: unknown): e is NativeError {
  if (!(e instanceof Error)) return false;
  const r = e as Error & Record<string, unknown>;
  return typeof r.code === 'string' && typeof r.errno === 'number' && typeof r.syscall === 'string';
}

function checkNetns(netns: unknown): string | undefined {
  if (netns === undefined) return undefined;
  if (typeof netns !== 'string' || netns === '' || netns.includes('/') || netns === '.' || netns === '..') {
    throw new TypeError(`netns must be a namespace name under /run/netns, got ${JSON.stringify(netns)}`);
  }
  return netns;
}

/** Interface inventory (getifaddrs + sysfs/ioctl type); inside /run/netns/<netns> if given. */
export function listInterfaces(opts: { netns?: string } = {}): NetInterface[] {
  const b = need();
  return b.listInterfaces(checkNetns(opts.netns));
}

/** Same as listInterfaces, on the libuv thread pool. */
export async function listInterfacesAsync(opts: { netns?: string } = {}): Promise<NetInterface[]> {
  const b = need();
  return b.listInterfacesAsync(checkNetns(opts.netns));
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 32767) {
    throw new TypeError(`${name} must be an integer in 1..32767, got ${String(v)}`);
  }
  return v;
}

/** SO_KEEPALIVE on + TCP_KEEPIDLE/INTVL/CNT (Linux) or TCP_KEEPALIVE/KEEPINTVL/KEEPCNT (macOS). */
export function setTcpKeepalive(fd: number, ka: { idleSec: number; intervalSec: number; count: number }): void {
  const b = need();
  if (typeof ka !== 'object' || ka === null) throw new TypeError('keepalive settings must be an object');
  b.setTcpKeepalive(
    fd,
    positiveInt('idleSec', ka.idleSec),
    positiveInt('intervalSec', ka.intervalSec),
    positiveInt('count', ka.count),
  );
}

/** Local network privacy emulation for Linux labs (native/src/lnp_linux.cc). */
export type LocalNetworkPolicyName = 'allowed' | 'denied' | 'silent';

/**
 * Attaches the BPF programs that make every process in the cgroup v2 directory behave as a
 * macOS process with that local network permission; returns the hooks the kernel now shows.
 * Linux only: elsewhere throws code ERR_LNP_UNSUPPORTED.
 */
export function setLocalNetworkPolicy(cgroupDir: string, policy: LocalNetworkPolicyName): string[] {
  const b = need();
  if (!b.setLocalNetworkPolicy) {
    throw Object.assign(new Error(`local network policy emulation is Linux only (this is ${process.platform})`), {
      code: 'ERR_LNP_UNSUPPORTED',
    });
  }
  return b.setLocalNetworkPolicy(cgroupDir, policy);
}

/**
 * A Network framework multicast group peer (NWConnectionGroup). macOS only: elsewhere throws
 * code ERR_NW_UNSUPPORTED. Call start(), then send(); events arrive through onEvent.
 */
/** Whether the loaded addon has NwGroup (built for macOS with Network framework). */
export function nwGroupAvailable(): boolean {
  return binding?.NwGroup !== undefined;
}

export function openNwGroup(options: NwGroupOptions, onEvent: (e: NwGroupEvent) => void): NwGroupHandle {
  const b = need();
  if (!b.NwGroup) {
    throw Object.assign(new Error(`Network framework is macOS-only (this is ${process.platform})`), {
      code: 'ERR_NW_UNSUPPORTED',
    });
  }
  return new b.NwGroup(options, onEvent);
}

export function getTcpKeepalive(fd: number): TcpKeepalive {
  return need().getTcpKeepalive(fd);
}

class NativeUdpSocket extends EventEmitter implements UdpSocket {
  readonly family: 4 | 6;
  readonly #h: BindingSocket;
  readonly #b: Binding;
  readonly #handle: SocketHandle;
  /** Destination of the last successful send (the addon keeps it parsed), else undefined. */
  #lastAddress: string | undefined;
  #lastPort = -1;
  #stage: Uint8Array | undefined;
  #lens = new Int32Array(64);
  #destIndex = new Int32Array(64);
  #offsets = new Int32Array(64);
  /** sendBatch is walking a batch into the staging buffer. */
  #staging = false;
  #closed = false;
  #receiving = false;
  #bufs: RecvBuffers | undefined;
  /** The pool the addon packs payloads into (replaced by the batch callback when full). */
  #pool: ArrayBuffer | undefined;

  constructor(b: Binding, h: BindingSocket, family: 4 | 6) {
    super();
    this.#b = b;
    this.#h = h;
    this.#handle = h.handle();
    this.family = family;
  }

  get fd(): number {
    return this.#h.fd;
  }

  bind(address: string, port: number): void {
    this.#h.bind(address, port);
  }
  address(): { address: string; port: number } {
    return this.#h.address();
  }
  /** Receive options as getsockopt reads them (on from the first bind or startReceiving). */
  receiveInfoOptions(): ReceiveInfoOptions {
    return this.#h.recvInfo();
  }
  bindToDevice(iface: string | number): void {
    if (typeof iface !== 'string' && typeof iface !== 'number') throw new TypeError('iface must be a name or an index');
    this.#h.bindToDevice(iface);
  }
  setMulticastInterface(ifindex: number): void {
    this.#h.setMulticastInterface(ifindex);
  }
  addMembership(group: string, ifindex: number): void {
    this.#h.addMembership(group, ifindex);
  }
  dropMembership(group: string, ifindex: number): void {
    this.#h.dropMembership(group, ifindex);
  }
  setMulticastLoopback(on: boolean): void {
    this.#h.setMulticastLoopback(on);
  }
  setMulticastTTL(ttl: number): void {
    this.#h.setMulticastTTL(ttl);
  }
  setBroadcast(on: boolean): void {
    this.#h.setBroadcast(on);
  }
  /** SO_RCVBUF / SO_SNDBUF in bytes (0 leaves one unchanged). */
  setBufferSizes(recvBytes: number, sendBytes: number): void {
    this.#h.setBufferSizes(recvBytes, sendBytes);
  }
  // Fast path: repeated sends to one destination (a reply, a stream to one peer) skip
  // napi_unwrap and address parsing; any other send parses, and only a send that
  // succeeded makes its destination the cached one. Errors are the same either way.
  send(data: Buffer, address: string, port: number): number {
    if (address === this.#lastAddress && port === this.#lastPort) return this.#b.sendLast(this.#handle, data);
    this.#lastAddress = undefined;
    const n = this.#b.sendTo(this.#handle, data, address, port);
    this.#lastAddress = address;
    this.#lastPort = port;
    return n;
  }
  // Fast path: a batch of plain {data, address, port} objects (Uint8Array data, at most
  // STAGE_MAX_COUNT datagrams and STAGE_MAX_BYTES in all) is walked here, its payloads
  // copied back to back into one reused staging buffer, and handed over in one call: the
  // addon then does no property reads per datagram, which cost more than copying a small
  // payload; consecutive items with the same payload object (one probe to many peers, a
  // burst of one datagram) share one staged copy. Anything else (big batches, odd items)
  // takes the addon's own sendBatch, which
  // also produces every argument error; destination errors are the same on both paths.
  // A getter on an item may itself send a batch on this socket; the staging buffer and
  // arrays hold the outer call's half-walked batch then, so that inner call takes the
  // addon's path, which pins its own items.
  sendBatch(datagrams: OutgoingDatagram[]): number {
    const n = Array.isArray(datagrams) ? datagrams.length : 0;
    if (n === 0 || n > STAGE_MAX_COUNT || this.#staging) return this.#h.sendBatch(datagrams);
    this.#staging = true;
    try {
      return this.#sendStaged(datagrams, n);
    } finally {
      this.#staging = false;
    }
  }

  #sendStaged(datagrams: OutgoingDatagram[], n: number): number {
    if (this.#lens.length < n) {
      this.#lens = new Int32Array(n);
      this.#destIndex = new Int32Array(n);
      this.#offsets = new Int32Array(n);
    }
    const lens = this.#lens;
    const destIndex = this.#destIndex;
    const offsets = this.#offsets;
    let lastData: Uint8Array | undefined;
    const dests: (string | number)[] = [];
    let stage = (this.#stage ??= new Uint8Array(16384));
    let lastAddress: string | undefined;
    let lastPort = -1;
    let d = -1;
    let off = 0;
    for (let i = 0; i < n; i++) {
      const dg = datagrams[i];
      if (typeof dg !== 'object' || dg === null) return this.#h.sendBatch(datagrams);
      const { data, address, port } = dg;
      if (!(data instanceof Uint8Array) || typeof address !== 'string' || typeof port !== 'number')
        return this.#h.sendBatch(datagrams);
      if (address !== lastAddress || port !== lastPort) {
        dests.push(address, port);
        lastAddress = address;
        lastPort = port;
        d++;
      }
      const len = data.byteLength;
      // Same object and length as the item before: its bytes are already staged. (Only a
      // getter on this item that writes into that very buffer could tell the difference.)
      if (data === lastData && len === lens[i - 1]) {
        lens[i] = len;
        destIndex[i] = d;
        offsets[i] = offsets[i - 1]!;
        continue;
      }
      lastData = data;
      if (off + len > stage.length) {
        if (off + len > STAGE_MAX_BYTES) return this.#h.sendBatch(datagrams);
        const bigger = new Uint8Array(Math.min(STAGE_MAX_BYTES, Math.max(2 * stage.length, off + len)));
        bigger.set(stage.subarray(0, off));
        this.#stage = stage = bigger;
      }
      stage.set(data, off);
      lens[i] = len;
      destIndex[i] = d;
      offsets[i] = off;
      off += len;
    }
    return this.#b.sendStaged(this.#handle, stage, n, lens, destIndex, dests, offsets);
  }

  startReceiving(options: ReceiveOptions = {}): void {
    if (this.#closed) throw Object.assign(new Error('socket is closed'), { code: 'ERR_SOCKET_CLOSED' });
    if (typeof options !== 'object' || options === null)
      throw new TypeError('startReceiving options must be an object');
    const { thread = false, coalesceUs = 0 } = options;
    if (typeof thread !== 'boolean') throw new TypeError(`thread must be a boolean, got ${String(thread)}`);
    if (typeof coalesceUs !== 'number' || !Number.isInteger(coalesceUs) || coalesceUs < 0 || coalesceUs > 1_000_000) {
      throw new RangeError(`coalesceUs must be an integer in 0..1000000, got ${String(coalesceUs)}`);
    }
    if (coalesceUs > 0 && !thread)
      throw new TypeError('coalesceUs needs thread: true (the event-loop path delivers each wake-up at once)');
    this.#bufs ??= this.#h.recvBuffers();
    this.#h.startReceiving(this.#onBatch, thread, coalesceUs);
    this.#receiving = true;
  }

  stopReceiving(): void {
    this.#receiving = false;
    if (!this.#closed) this.#h.stopReceiving();
  }

  /** Let a receiving socket keep (ref) or not keep (unref) the process alive. */
  ref(): this {
    this.#h.ref();
    return this;
  }
  unref(): this {
    this.#h.unref();
    return this;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#receiving = false;
    this.#h.close();
    process.nextTick(() => this.emit('close'));
  }

  // One call per drained batch. The addon has already packed the payloads into #pool (a
  // fresh pool arrives as the third argument), so each datagram's data is a Buffer view of
  // it: no second copy, and a retained datagram pins at most that pool, as with
  // Buffer.allocUnsafe. Addresses are strings the addon rewrites only when they change.
  readonly #onBatch = (count: number, error?: NativeError, pool?: ArrayBuffer): void => {
    if (count < 0) {
      this.emit('error', error);
      return;
    }
    if (pool !== undefined) this.#pool = pool;
    const ab = this.#pool!;
    const { meta, ts, addrs, stride } = this.#bufs!;
    for (let i = 0, m = 0; i < count && this.#receiving; i++, m += stride) {
      const dg: Datagram = {
        data: Buffer.from(ab, meta[m + 4]!, meta[m]!),
        address: addrs[2 * i]!,
        port: meta[m + 1]!,
        ifindex: meta[m + 2]!,
        destination: addrs[2 * i + 1]!,
        timestampNs: ts[i]!,
      };
      this.emit('message', dg);
    }
  };
}

/**
 * A non-blocking UDP socket; pktinfo and kernel timestamps are turned on at its first bind()
 * or startReceiving() (native/src/udp_socket.cc EnsureRecvInfo says why and the order).
 */
export function createUdpSocket(opts: UdpSocketOptions): UdpSocket & {
  setBufferSizes(recvBytes: number, sendBytes: number): void;
  receiveInfoOptions(): ReceiveInfoOptions;
  ref(): UdpSocket;
  unref(): UdpSocket;
} {
  const b = need();
  if (typeof opts !== 'object' || opts === null) throw new TypeError('createUdpSocket expects an options object');
  if (opts.family !== 4 && opts.family !== 6) throw new TypeError(`family must be 4 or 6, got ${String(opts.family)}`);
  const netns = checkNetns(opts.netns);
  const h = new b.UdpSocket(opts.family, !!opts.reuseAddr, !!opts.reusePort, !!opts.broadcast, netns);
  return new NativeUdpSocket(b, h, opts.family);
}
