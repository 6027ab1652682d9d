/**
 * Contracts for a running lab (implemented in harness/lab/). Scenarios see only this.
 * Addresses come from 198.18.0.0/15 and 2001:2::/48 (RFC 2544 / RFC 5180 benchmarking
 * ranges) plus link-local; interface names are generated, never eth0/en0/wlan0.
 */
import type { UdpSocket, UdpSocketOptions } from '../../native/types.ts';
import type { ManagedProcess, SpawnOptions } from '../process/types.ts';
import type { LocalNetworkPolicy } from './schema.ts';

export type { LocalNetworkPolicy } from './schema.ts';

export interface LabInterface {
  /** Generated name inside the host, e.g. `nc2a`. */
  name: string;
  index: number;
  segment: string;
  mtu: number;
  mac: string;
  ipv4: { address: string; prefixLength: number; broadcast: string } | undefined;
  ipv6: { address: string; prefixLength: number } | undefined;
  linkLocal6: string | undefined;
}

export interface LabHost {
  name: string;
  /** Network namespace name (carries the run id). */
  netns: string;
  interfaces(): LabInterface[];
  /** The host's interface on a segment; throws if it has none. */
  iface(segment: string): LabInterface;
  /** A tracked process inside this host (see ScenarioContext.spawn, which registers cleanup). */
  spawn(argv: string[], opts?: Omit<SpawnOptions, 'host'>): ManagedProcess;
  /** A native UDP socket created inside this host's namespace. */
  socket(opts: Omit<UdpSocketOptions, 'netns'>): UdpSocket;
  /** Runs a short command (ip, tc, …) in the namespace; rejects with its stderr on failure. */
  exec(argv: string[]): Promise<{ stdout: string; stderr: string }>;
  /** The local network policy its own programs (SUT, `spawn(…, { app: true })`) run under now. */
  localNetwork(): LocalNetworkPolicy;
  /**
   * The cgroup v2 directory its own programs start in (created on first use); throws LabError
   * ELNP when this machine has no writable cgroup v2.
   */
  appCgroup(): string;
}

export interface LabSegment {
  name: string;
  ipv4Prefix: string; // e.g. 198.18.1.0/24
  ipv6Prefix: string; // e.g. 2001:2:0:1::/64
  /** Host names with a link on it. */
  members: string[];
}

export interface LinkProps {
  mtu?: number;
  /** tbf rate, e.g. "10mbit". */
  rate?: string;
  /** netem; the scenario is skipped when the kernel lacks netem. */
  delayMs?: number;
  jitterMs?: number;
  lossPercent?: number;
}

export interface Lab {
  runId: string;
  hosts: LabHost[];
  segments: LabSegment[];
  host(name: string): LabHost;
  segment(name: string): LabSegment;
  /** Segment name → interface name, per host: for the report. */
  describe(): Record<string, Record<string, string>>;

  // Faults: each resolves once the kernel reflects the change.
  linkDown(host: string, segment: string): Promise<void>;
  linkUp(host: string, segment: string): Promise<void>;
  flap(
    host: string,
    segment: string,
    schedule: { downMs: number; upMs: number; count: number },
    signal?: AbortSignal,
  ): Promise<void>;
  /** Replaces the IPv4 address of the host's interface on the segment (CIDR, inside the segment or 198.18.0.0/15). */
  setAddress(host: string, segment: string, cidr: string): Promise<void>;
  /** Points the host's default route (v4 and v6) at the segment. */
  setDefaultRoute(host: string, segment: string): Promise<void>;
  addLink(host: string, segment: string, props?: LinkProps): Promise<LabInterface>;
  removeLink(host: string, segment: string): Promise<void>;
  setLinkProps(host: string, segment: string, props: LinkProps): Promise<void>;
  /**
   * Local network privacy faults: `lnpDeny` makes the host's own programs lose local network
   * access (`denied`: EHOSTUNREACH; `silent`: sends succeed, nothing leaves), `lnpGrant` gives
   * it back. Running programs are affected at once, without a restart, as on macOS. Each
   * resolves once the kernel shows the policy's BPF programs attached (or none).
   */
  lnpDeny(host: string, how?: 'denied' | 'silent'): Promise<void>;
  lnpGrant(host: string): Promise<void>;
  setLocalNetwork(host: string, policy: LocalNetworkPolicy): Promise<void>;

  /**
   * Names every host resolves through its /etc/hosts from now on (a product that connects by
   * name): name → a host of this lab (its addresses on the segments the resolving host shares
   * with it) or an address inside the lab's ranges. Programs already running see them too.
   * Throws LabError ESPEC for a malformed name or an unknown target.
   */
  addNames(names: Record<string, string>): void;
  removeNames(names: string[]): void;

  /** Tears everything down (processes, namespaces, veths, bridges). Idempotent. */
  down(): Promise<void>;
}
