/**
 * A running lab: the `Lab` scenarios see. Every fault is one `ip -batch` (plus `tc` when
 * shaping changes) that ends with a read-back, and resolves only once the kernel shows the
 * change. Interface info is cached from those read-backs, so `interfaces()` is synchronous.
 */
import { execa } from 'execa';
import { contains4, formatV4, formatV6, labV4, parseCidr4 } from './addr.ts';
import { pickV4, pickV6 } from './alloc.ts';
import { LabError, ipBatch, ipJson, parseJsonStream, tcBatch, type IpLink } from './ip.ts';
import {
  broadcastText,
  defaultRouteLines,
  hasShaping,
  ifUpLines,
  needsNetem,
  newIf,
  portLines,
  segmentText,
  shapingLines,
  vethLine,
  type HostModel,
  type IfModel,
  type LabModel,
  type SegModel,
} from './model.ts';
import { writeState, type LabState } from './state.ts';
import { destroyNamespaces } from './teardown.ts';
import { applyPolicy, ensureCgroup, type PolicyBinding } from './local-network.ts';
import type { LocalNetworkPolicy } from './schema.ts';
import type { Lab, LabHost, LabInterface, LabSegment, LinkProps } from './types.ts';
import { makePrivateDirs, nameProblem, writeHostsFiles } from './host-files.ts';
import { netnsExecArgv } from '../process/netns-exec.ts';
import { spawnManaged } from '../process/spawn.ts';
import { pidStartTime } from '../process/procfs.ts';
import type { ManagedProcess, SpawnOptions } from '../process/types.ts';
import type { UdpSocket, UdpSocketOptions } from '../../native/types.ts';

export interface NativeSockets extends PolicyBinding {
  createUdpSocket(opts: UdpSocketOptions): UdpSocket;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CARRIER_TIMEOUT_MS = 3_000;
const MAX_FLAPS = 10_000;

export class LabImpl implements Lab {
  readonly runId: string;
  readonly hosts: LabHost[] = [];
  readonly segments: LabSegment[] = [];
  persistent = false;
  /** Called once teardown has finished (index.ts drops the state file and the exit hook). */
  onDown: (() => void) | undefined;
  profile: string | undefined;
  profilePath: string | undefined;
  private readonly infos = new Map<string, Map<string, LabInterface>>();
  private readonly procs = new Set<ManagedProcess>();
  /** Extra /etc/hosts names (the profile's `lab.names`, then scenarios'): name → host or address. */
  private readonly names = new Map<string, string>();
  private downing: Promise<void> | undefined;

  constructor(
    readonly model: LabModel,
    private readonly log: (line: string) => void,
    private readonly netem: () => Promise<boolean>,
    private readonly native: { mod?: NativeSockets; reason?: string },
  ) {
    this.runId = model.runId;
    for (const s of model.segments.values()) {
      const t = segmentText(s);
      const members = [...model.hosts.values()].filter((h) => h.ifs.has(s.name)).map((h) => h.name);
      this.segments.push({ name: s.name, ipv4Prefix: t.ipv4, ipv6Prefix: t.ipv6, members });
    }
    for (const h of model.hosts.values()) {
      this.infos.set(h.name, new Map());
      this.hosts.push(this.makeHost(h));
    }
  }

  get isDown(): boolean {
    return this.downing !== undefined;
  }

  namespaces(): string[] {
    return [
      ...[...this.model.segments.values()].map((s) => s.netns),
      ...[...this.model.hosts.values()].map((h) => h.netns),
    ];
  }

  state(): LabState {
    return {
      runId: this.runId,
      ownerPid: process.pid,
      ownerStart: pidStartTime(process.pid),
      createdAt: new Date().toISOString(),
      persistent: this.persistent,
      profile: this.profile,
      profilePath: this.profilePath,
      namespaces: this.namespaces(),
      hosts: [...this.model.hosts.values()].map((h) => ({
        name: h.name,
        netns: h.netns,
        interfaces: [...h.ifs.values()].map((i) => ({ name: i.name, segment: i.segment })),
      })),
      segments: [...this.model.segments.values()].map((s) => ({ name: s.name, netns: s.netns, ...segmentText(s) })),
    };
  }

  private makeHost(h: HostModel): LabHost {
    return {
      name: h.name,
      netns: h.netns,
      interfaces: () => [...(this.infos.get(h.name)?.values() ?? [])],
      iface: (segment) => {
        const i = this.infos.get(h.name)?.get(segment);
        if (!i) throw new LabError('ENOSEG', `host ${h.name} has no interface on segment ${segment}`);
        return i;
      },
      spawn: (argv, opts?: Omit<SpawnOptions, 'host'>) => {
        if (this.downing) throw new LabError('EDOWN', `lab ${this.runId} is down`);
        const cgroup = opts?.app ? this.appCgroup(h) : undefined;
        const p = spawnManaged(argv, { netns: h.netns, env: opts?.env, cwd: opts?.cwd, onLine: opts?.onLine, cgroup });
        this.procs.add(p);
        void p.exited.then(() => this.procs.delete(p));
        return p;
      },
      socket: (opts) => {
        if (!this.native.mod)
          throw new LabError('EIP', `native addon not available: ${this.native.reason ?? 'not loaded'}`);
        return this.native.mod.createUdpSocket({ ...opts, netns: h.netns });
      },
      exec: async (argv) => {
        const [file, ...args] = netnsExecArgv(h.netns, argv);
        const r = await execa(file!, args, { reject: false, stdin: 'ignore' });
        if (r.exitCode !== 0)
          throw new Error(`${argv.join(' ')} (in host ${h.name}) failed: ${r.stderr.trim() || r.shortMessage}`);
        return { stdout: r.stdout, stderr: r.stderr };
      },
      localNetwork: () => h.localNetwork,
      appCgroup: () => this.appCgroup(h),
    };
  }

  /**
   * Each host's /etc/hosts and private folders (host-files.ts); at bring-up, before any program
   * runs in the lab, since `ip netns exec` mounts only what exists when it starts.
   */
  makeHostFiles(names: Record<string, string>): void {
    for (const [n, target] of Object.entries(names)) this.names.set(n, target);
    writeHostsFiles(this.model, this.names);
    for (const h of this.model.hosts.values()) makePrivateDirs(h);
  }

  addNames(names: Record<string, string>): void {
    if (this.downing) throw new LabError('EDOWN', `lab ${this.runId} is down`);
    const problems = Object.entries(names).flatMap(([n, t]) => nameProblem(this.model, n, t) ?? []);
    if (problems.length) {
      throw new LabError('ESPEC', `cannot add names to the lab's /etc/hosts: ${problems.join('; ')}`);
    }
    for (const [n, target] of Object.entries(names)) this.names.set(n, target);
    writeHostsFiles(this.model, this.names);
    this.log(
      `lab: names ${Object.entries(names)
        .map(([n, t]) => `${n} → ${t}`)
        .join(', ')}`,
    );
  }

  removeNames(names: string[]): void {
    if (this.downing) return;
    for (const n of names) this.names.delete(n);
    writeHostsFiles(this.model, this.names);
  }

  /** After an address or a link changed: every host's /etc/hosts names what is there now. */
  private refreshNames(): void {
    if (!this.downing) writeHostsFiles(this.model, this.names);
  }

  /** The host's cgroup for its own programs; created on first use (see local-network.ts). */
  appCgroup(h: HostModel): string {
    if (this.downing) throw new LabError('EDOWN', `lab ${this.runId} is down`);
    return ensureCgroup(h.netns);
  }

  /** Attaches the host's starting policy (bring-up), when it is not the default. */
  async applyInitialPolicy(h: HostModel): Promise<void> {
    if (h.localNetwork !== 'allowed') applyPolicy(this.native.mod, this.appCgroup(h), h.localNetwork);
  }

  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h)
      throw new LabError(
        'ENOHOST',
        `no host "${name}" in this lab (hosts: ${this.hosts.map((x) => x.name).join(', ')})`,
      );
    return h;
  }

  segment(name: string): LabSegment {
    const s = this.segments.find((x) => x.name === name);
    if (!s)
      throw new LabError(
        'ENOSEG',
        `no segment "${name}" in this lab (segments: ${this.segments.map((x) => x.name).join(', ')})`,
      );
    return s;
  }

  describe(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const h of this.model.hosts.values())
      out[h.name] = Object.fromEntries([...h.ifs.values()].map((i) => [i.segment, i.name]));
    return out;
  }

  // ---- helpers ----

  private hm(host: string): HostModel {
    const h = this.model.hosts.get(host);
    if (!h) throw new LabError('ENOHOST', `no host "${host}" in this lab`);
    if (this.downing) throw new LabError('EDOWN', `lab ${this.runId} is down`);
    return h;
  }

  private im(host: string, segment: string): { h: HostModel; i: IfModel; s: SegModel } {
    const h = this.hm(host);
    const i = h.ifs.get(segment);
    const s = this.model.segments.get(segment);
    if (!i || !s) throw new LabError('ENOSEG', `host ${host} has no link on segment "${segment}"`);
    return { h, i, s };
  }

  /** Runs `lines` in the host, then `addr show` in the same process; refreshes the cache. */
  async hostBatch(h: HostModel, lines: string[]): Promise<IpLink[]> {
    return this.readBack(h, await ipBatch([...lines, 'addr show'], { netns: h.netns, json: true }));
  }

  /** The links a host batch ending in `addr show` (run with -json) printed last; refreshes the cache. */
  readBack(h: HostModel, out: string): IpLink[] {
    const arrays = parseJsonStream(out);
    const links = (arrays[arrays.length - 1] ?? []) as IpLink[];
    this.absorb(h, links);
    return links;
  }

  private absorb(h: HostModel, links: IpLink[]): void {
    const m = new Map<string, LabInterface>();
    for (const i of h.ifs.values()) {
      const l = links.find((x) => x.ifname === i.name);
      if (!l) continue;
      const v4 = l.addr_info?.find((a) => a.family === 'inet');
      const v6 = l.addr_info?.find((a) => a.family === 'inet6' && a.scope === 'global');
      const ll = l.addr_info?.find((a) => a.family === 'inet6' && a.scope === 'link');
      m.set(i.segment, {
        name: l.ifname,
        index: l.ifindex,
        segment: i.segment,
        mtu: l.mtu,
        mac: l.address ?? i.mac,
        ipv4: v4
          ? { address: v4.local, prefixLength: v4.prefixlen, broadcast: v4.broadcast ?? broadcastText(i) }
          : undefined,
        ipv6: v6 ? { address: v6.local, prefixLength: v6.prefixlen } : undefined,
        linkLocal6: ll?.local,
      });
    }
    this.infos.set(h.name, m);
  }

  /** Waits (bounded) until the kernel reports carrier on each interface (operstate UP). */
  async waitOperUp(h: HostModel, names: string[], links?: IpLink[]): Promise<void> {
    const deadline = Date.now() + CARRIER_TIMEOUT_MS;
    let cur = links;
    for (;;) {
      const pending = names.filter((n) => cur?.find((l) => l.ifname === n)?.operstate !== 'UP');
      if (pending.length === 0) return;
      if (Date.now() > deadline)
        throw new LabError(
          'EIP',
          `${pending.join(', ')} in host ${h.name} did not come up within ${CARRIER_TIMEOUT_MS} ms`,
        );
      await sleep(10);
      cur = await ipJson<IpLink[]>(h.netns, ['link', 'show']);
    }
  }

  async shape(h: HostModel, s: SegModel, i: IfModel, next: LinkProps): Promise<void> {
    if (!hasShaping(next) && !hasShaping(i.shaping)) return;
    if (needsNetem(next) && !(await this.netem()))
      throw new LabError('ENETEM', 'netem is not available in this kernel');
    // Both ends: the host's egress and the switch port's egress (traffic towards the host).
    await Promise.all([
      tcBatch(shapingLines(i.name, next, i.mtu), { netns: h.netns, force: !hasShaping(next) }),
      tcBatch(shapingLines(i.port, next, i.mtu), { netns: s.netns, force: !hasShaping(next) }),
    ]);
    i.shaping = { ...next };
  }

  private save(): void {
    if (!this.downing) writeState(this.state());
  }

  // ---- faults ----

  async linkDown(host: string, segment: string): Promise<void> {
    const { h, i } = this.im(host, segment);
    const links = await this.hostBatch(h, [`link set ${i.name} down`]);
    if (links.find((l) => l.ifname === i.name)?.flags.includes('UP'))
      throw new LabError('EIP', `${i.name} in ${host} is still up`);
    this.log(`lab: ${host}/${segment} (${i.name}) down`);
  }

  /** Also restores what the kernel drops on down: IPv6 addresses (keep_addr_on_down=0) and routes via the device. */
  async linkUp(host: string, segment: string): Promise<void> {
    const { h, i } = this.im(host, segment);
    const links = await this.hostBatch(h, ifUpLines(i, h.defaultRoute === segment, 'replace'));
    await this.waitOperUp(h, [i.name], links);
    this.log(`lab: ${host}/${segment} (${i.name}) up`);
  }

  async flap(
    host: string,
    segment: string,
    schedule: { downMs: number; upMs: number; count: number },
    signal?: AbortSignal,
  ): Promise<void> {
    const count = Math.min(Math.max(0, Math.floor(schedule.count)), MAX_FLAPS);
    const wait = (ms: number): Promise<void> =>
      new Promise((r) => {
        if (signal?.aborted) return r();
        const t = setTimeout(done, ms);
        function done(): void {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          r();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    try {
      for (let n = 0; n < count && !signal?.aborted; n++) {
        await this.linkDown(host, segment);
        await wait(schedule.downMs);
        await this.linkUp(host, segment);
        if (n < count - 1) await wait(schedule.upMs);
      }
    } finally {
      // An aborted flap never leaves the link down.
      if (!this.downing && this.model.hosts.get(host)?.ifs.has(segment)) await this.linkUp(host, segment);
    }
  }

  async setAddress(host: string, segment: string, cidr: string): Promise<void> {
    const { h, i } = this.im(host, segment);
    const c = parseCidr4(cidr, false);
    if (!c || c.prefix.len < 8 || c.prefix.len > 30)
      throw new LabError('ESPEC', `"${cidr}" is not an IPv4 address/prefix-length (/8–/30)`);
    if (!contains4(labV4, c.addr))
      throw new LabError('ESPEC', `${cidr} is outside 198.18.0.0/15, the only range a lab may use`);
    const old = `${formatV4(i.v4.addr)}/${i.v4.len}`;
    i.v4 = { addr: c.addr, len: c.prefix.len };
    // Deleting the last IPv4 address flushes the routes via the device: re-add the default.
    const lines = [`addr del ${old} dev ${i.name}`, `addr add ${cidr} broadcast + dev ${i.name}`];
    if (h.defaultRoute === segment) lines.push(defaultRouteLines(i)[0]!);
    await this.hostBatch(h, lines);
    const got = this.infos.get(host)?.get(segment)?.ipv4?.address;
    if (got !== formatV4(c.addr))
      throw new LabError('EIP', `${i.name} in ${host} shows ${got ?? 'no address'}, not ${cidr}`);
    this.refreshNames();
    this.log(`lab: ${host}/${segment} address ${old} → ${cidr}`);
  }

  async setDefaultRoute(host: string, segment: string): Promise<void> {
    const { h, i } = this.im(host, segment);
    await ipBatch(defaultRouteLines(i), { netns: h.netns });
    h.defaultRoute = segment;
    const [v4, v6] = await Promise.all([
      ipJson<Array<{ dev?: string }>>(h.netns, ['route', 'show', 'default']),
      ipJson<Array<{ dev?: string }>>(h.netns, ['-6', 'route', 'show', 'default']),
    ]);
    if (v4[0]?.dev !== i.name || v6[0]?.dev !== i.name)
      throw new LabError('EIP', `default route in ${host} is not via ${i.name}`);
    this.log(`lab: ${host} default route → ${segment} (${i.name})`);
  }

  async addLink(host: string, segment: string, props: LinkProps = {}): Promise<LabInterface> {
    const h = this.hm(host);
    const s = this.model.segments.get(segment);
    if (!s) throw new LabError('ENOSEG', `no segment "${segment}" in this lab`);
    if (h.ifs.has(segment)) throw new LabError('ESPEC', `host ${host} already has a link on ${segment}`);
    if (needsNetem(props) && !(await this.netem()))
      throw new LabError('ENETEM', 'netem is not available in this kernel');
    const peers = [...this.model.hosts.values()].map((x) => x.ifs.get(segment)).filter((x): x is IfModel => !!x);
    const v4 = pickV4(s.v4, new Set(peers.map((p) => p.v4.addr)), h.idx + 1);
    const v6 = pickV6(s.v6, new Set(peers.map((p) => p.v6.addr)), h.idx + 1);
    if (v4 === undefined || v6 === undefined)
      throw new LabError('ESPEC', `segment ${segment} has no free address left`);
    const i = newIf(this.model, h, s, v4, v6, { mtu: props.mtu });
    await ipBatch([vethLine(i, h.netns, s.netns)]);
    h.ifs.set(segment, i);
    await ipBatch(portLines(s, i), { netns: s.netns });
    const links = await this.hostBatch(h, ifUpLines(i, false));
    await this.shape(h, s, i, { ...props, mtu: undefined });
    await this.waitOperUp(h, [i.name], links);
    this.segment(segment).members.push(host);
    this.save();
    this.refreshNames();
    this.log(`lab: ${host} linked to ${segment} as ${i.name} (${formatV4(v4)}, ${formatV6(v6)})`);
    return this.host(host).iface(segment);
  }

  async removeLink(host: string, segment: string): Promise<void> {
    const { h, i } = this.im(host, segment);
    // Deleting one end of a veth deletes its peer (the switch port) too (veth(4)).
    await this.hostBatch(h, [`link del ${i.name}`]);
    h.ifs.delete(segment);
    this.infos.get(host)?.delete(segment);
    if (h.defaultRoute === segment) h.defaultRoute = undefined;
    const seg = this.segment(segment);
    seg.members.splice(seg.members.indexOf(host), 1);
    this.save();
    this.refreshNames();
    this.log(`lab: ${host} unlinked from ${segment}`);
  }

  /** `mtu` changes only when given; shaping (rate, delay, jitter, loss) is replaced as a whole: omitted = off. */
  async setLinkProps(host: string, segment: string, props: LinkProps): Promise<void> {
    const { h, i, s } = this.im(host, segment);
    const { mtu, ...shaping } = props;
    if (needsNetem(shaping) && !(await this.netem()))
      throw new LabError('ENETEM', 'netem is not available in this kernel');
    if (mtu !== undefined) {
      await ipBatch([`link set ${i.port} mtu ${mtu}`], { netns: s.netns });
      await this.hostBatch(h, [`link set ${i.name} mtu ${mtu}`]);
      i.mtu = mtu;
      if (this.infos.get(host)?.get(segment)?.mtu !== mtu)
        throw new LabError('EIP', `${i.name} in ${host}: MTU is not ${mtu}`);
    }
    await this.shape(h, s, i, shaping);
    const q = await ipJsonTc(h.netns, i.name);
    const want = needsNetem(shaping) ? 'netem' : shaping.rate !== undefined ? 'tbf' : undefined;
    if (want && q !== want)
      throw new LabError('EIP', `${i.name} in ${host}: root qdisc is ${q ?? 'none'}, not ${want}`);
    this.log(`lab: ${host}/${segment} props ${JSON.stringify(props)}`);
  }

  async setLocalNetwork(host: string, policy: LocalNetworkPolicy): Promise<void> {
    const h = this.hm(host);
    const before = h.localNetwork;
    applyPolicy(this.native.mod, this.appCgroup(h), policy);
    h.localNetwork = policy;
    this.log(`lab: ${host} local network ${before} → ${policy}`);
  }

  lnpDeny(host: string, how: 'denied' | 'silent' = 'denied'): Promise<void> {
    return this.setLocalNetwork(host, how);
  }

  lnpGrant(host: string): Promise<void> {
    return this.setLocalNetwork(host, 'allowed');
  }

  // ---- teardown ----

  /** Idempotent; safe to call from a signal handler (it only awaits child processes and `ip`). */
  down(): Promise<void> {
    this.downing ??= (async () => {
      await Promise.all([...this.procs].map((p) => p.stop(1_000)));
      try {
        const removed = await destroyNamespaces(this.namespaces());
        this.log(`lab ${this.runId}: down (${removed.length} namespaces removed)`);
        this.onDown?.();
      } catch (e) {
        // The state file stays (and the exit hook tries once more), so nothing is lost from view.
        this.log(
          `lab ${this.runId}: teardown incomplete: ${(e as Error).message}; \`netconform lab gc\` removes the rest once this run has exited`,
        );
      }
    })();
    return this.downing;
  }
}

async function ipJsonTc(netns: string, dev: string): Promise<string | undefined> {
  const r = await execa('tc', ['-n', netns, '-j', 'qdisc', 'show', 'dev', dev], { reject: false });
  if (r.exitCode !== 0) return undefined;
  const q = (JSON.parse(r.stdout || '[]') as Array<{ kind: string; root?: boolean }>).find((x) => x.root);
  return q?.kind;
}
