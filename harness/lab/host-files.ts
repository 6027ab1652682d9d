/**
 * The files a lab host has of its own: an /etc/hosts with the lab's names, so a product that
 * connects by name resolves it through its own resolver (getaddrinfo reads /etc/hosts first,
 * nsswitch.conf(5)), and, when the profile asks, a /run and /tmp of its own. Both are folders
 * named after the host's namespace that `ip netns exec` (/etc/netns/NS, ip-netns(8)) and
 * harness/process/netns-exec.ts (PRIVATE_ROOT/NS) mount for every program started there.
 * Namespaces are deleted by teardown.ts, which removes these folders with them.
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { contains4, contains6, formatV4, formatV6, labV4, labV6, parseV4, parseV6 } from './addr.ts';
import { LabError } from './ip.ts';
import type { HostModel, LabModel } from './model.ts';
import { NETNS_PATTERN } from './names.ts';
import { DNS_NAME_MAX, DNS_NAME_PATTERN } from './schema.ts';
import { PRIVATE_ROOT, privateDirOf } from '../process/netns-exec.ts';

export const ETC_NETNS = '/etc/netns';
export const etcDirOf = (netns: string): string => path.join(ETC_NETNS, netns);

const dnsName = new RegExp(DNS_NAME_PATTERN);
const errCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Why `name` → `target` cannot go into a lab's /etc/hosts, or undefined when it can. */
export function nameProblem(m: LabModel, name: string, target: string): string | undefined {
  if (name.length > DNS_NAME_MAX || !dnsName.test(name)) {
    return `"${name}" is not a host name (dot-separated labels of letters, digits and "-")`;
  }
  if (m.hosts.has(name)) return `${name} is already the name of a lab host`;
  if (m.hosts.has(target)) return undefined;
  if (isIP(target) === 4) {
    return contains4(labV4, parseV4(target)!) ? undefined : `${target} is outside 198.18.0.0/15, the lab's IPv4 range`;
  }
  if (isIP(target) === 6) {
    return contains6(labV6, parseV6(target)!) ? undefined : `${target} is outside 2001:2::/48, the lab's IPv6 range`;
  }
  return `"${target}" is neither a host of this lab (${[...m.hosts.keys()].join(', ')}) nor an address`;
}

/**
 * `target`'s addresses as `viewer` should dial them: those on the segments the two share (all
 * of them for its own name, or when they share none), IPv4 before IPv6 in the file; getaddrinfo
 * then orders them by RFC 6724 (an IPv6 destination first where the viewer has a global IPv6).
 */
export function addressesSeenFrom(target: HostModel, viewer: HostModel): string[] {
  const all = [...target.ifs.values()];
  const shared = all.filter((i) => target === viewer || viewer.ifs.has(i.segment));
  const use = shared.length > 0 ? shared : all;
  return [...use.map((i) => formatV4(i.v4.addr)), ...use.map((i) => formatV6(i.v6.addr))];
}

/** The /etc/hosts `viewer` sees: localhost, every lab host's name, then `names` (name → host or address). */
export function hostsText(m: LabModel, viewer: HostModel, names: ReadonlyMap<string, string>): string {
  const lines = [
    `# netconform lab ${m.runId}, as host ${viewer.name} sees it (written by the harness; gone with the lab)`,
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
  ];
  for (const h of m.hosts.values()) for (const a of addressesSeenFrom(h, viewer)) lines.push(`${a}\t${h.name}`);
  for (const [name, target] of names) {
    const h = m.hosts.get(target);
    for (const a of h ? addressesSeenFrom(h, viewer) : [target]) lines.push(`${a}\t${name}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes every host's /etc/netns/NS/hosts. In place (truncate and write, never rename): a
 * program already running has the file's inode bind-mounted, and sees the new names too.
 */
export function writeHostsFiles(m: LabModel, names: ReadonlyMap<string, string>): void {
  for (const h of m.hosts.values()) {
    const dir = etcDirOf(h.netns);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(path.join(dir, 'hosts'), hostsText(m, h, names), { mode: 0o644 });
    } catch (e) {
      throw new LabError('EIP', `cannot write ${dir}/hosts: ${errCode(e)}`);
    }
  }
}

/** Creates the host's empty private folders (`hosts.X.private`); tmp gets /tmp's mode (sticky, world-writable). */
export function makePrivateDirs(h: HostModel): void {
  for (const d of h.privateDirs) {
    const dir = privateDirOf(h.netns, d);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      if (d === 'tmp') chmodSync(dir, 0o1777);
    } catch (e) {
      throw new LabError('EIP', `cannot create ${dir} (private /${d} of host ${h.name}): ${errCode(e)}`);
    }
  }
}

/** Removes a namespace's folders (both kinds); only names a lab makes, so a bad state file cannot aim it elsewhere. */
export function removeHostFilesSync(netns: string): void {
  if (!NETNS_PATTERN.test(netns) || netns.includes('/') || netns.includes('..')) return;
  for (const dir of [etcDirOf(netns), path.join(PRIVATE_ROOT, netns)]) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* gc reports what is left */
    }
  }
}

/** Namespace names that have a lab folder (/etc/netns or PRIVATE_ROOT): what `lab gc` checks for leftovers. */
export function hostFileNamespaces(): string[] {
  const found = new Set<string>();
  for (const root of [ETC_NETNS, PRIVATE_ROOT]) {
    let entries: string[] = [];
    try {
      entries = readdirSync(root);
    } catch {
      /* none */
    }
    for (const e of entries) if (NETNS_PATTERN.test(e)) found.add(e);
  }
  return [...found];
}
