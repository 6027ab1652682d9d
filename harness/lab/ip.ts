/**
 * Running iproute2. Bring-up and teardown go through `ip -batch -` (ip(8): one process reads
 * many commands from stdin), per namespace with `-n NS`, so a lab is a handful of processes.
 */
import { execa } from 'execa';

export type LabErrorCode = 'ENETEM' | 'EIP' | 'ESPEC' | 'EPERM' | 'EABORT' | 'ENOHOST' | 'ENOSEG' | 'EDOWN' | 'ELNP';

export class LabError extends Error {
  override readonly name = 'LabError';
  constructor(readonly code: LabErrorCode, message: string) {
    super(message);
  }
}

export interface BatchOptions {
  netns?: string;
  /** `-json`: show commands in the batch print JSON arrays. */
  json?: boolean;
  /** `-force`: keep going after a failed line (teardown). */
  force?: boolean;
  signal?: AbortSignal;
  /**
   * Run `ip`/`tc` in its own session (setsid(2), execa `detached`), outside the harness's
   * process group: a Ctrl-C is delivered by the terminal to the whole foreground process
   * group (termios(3), "INTR"), and it must not kill a teardown half-way. Bring-up does not
   * use it: a bring-up child dying with the group's signal is harmless (teardown follows).
   */
  detached?: boolean;
}

async function batch(tool: 'ip' | 'tc', lines: string[], o: BatchOptions): Promise<string> {
  if (lines.length === 0) return '';
  const args = [...(o.netns ? ['-n', o.netns] : []), ...(o.json ? ['-json'] : []), ...(o.force ? ['-force'] : []), '-batch', '-'];
  const r = await execa(tool, args, { input: lines.join('\n') + '\n', reject: false, cancelSignal: o.signal, detached: o.detached });
  if (r.exitCode !== 0 && !o.force) {
    // "Command failed -:N" names the failing line (1-based).
    const m = /Command failed -:(\d+)/.exec(r.stderr);
    const bad = m ? lines[Number(m[1]) - 1] : undefined;
    const where = o.netns ? ` (in ${o.netns})` : '';
    const detail = r.stderr.split('\n').filter((l) => l && !l.startsWith('Command failed')).join('; ');
    throw new LabError('EIP', `${tool}${where}: ${bad ? `"${bad}" failed: ` : ''}${detail || r.shortMessage}`);
  }
  return r.stdout;
}

export const ipBatch = (lines: string[], o: BatchOptions = {}): Promise<string> => batch('ip', lines, o);
export const tcBatch = (lines: string[], o: BatchOptions = {}): Promise<string> => batch('tc', lines, o);

/** `ip -j [-n NS] ARGS…` parsed. */
export async function ipJson<T>(netns: string | undefined, args: string[]): Promise<T> {
  const r = await execa('ip', [...(netns ? ['-n', netns] : []), '-j', ...args], { reject: false });
  if (r.exitCode !== 0) throw new LabError('EIP', `ip ${args.join(' ')}${netns ? ` (in ${netns})` : ''}: ${r.stderr.trim()}`);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : []) as T;
}

/** Parses the concatenated JSON arrays a `-json -batch` run prints (one per show command). */
export function parseJsonStream(text: string): unknown[][] {
  const out: unknown[][] = [];
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) { if (c === '\\') i++; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true;
    else if (c === '[') { if (depth++ === 0) start = i; }
    else if (c === ']' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as unknown[]);
  }
  return out;
}

/** Every namespace name the kernel has mounted (`ip -j netns list`); own session, as teardown reads it too. */
export async function listNetns(): Promise<string[]> {
  const r = await execa('ip', ['-j', 'netns', 'list'], { reject: false, detached: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as Array<{ name: string }>).map((n) => n.name);
}

/** `ip -j netns list`, throwing when it cannot be read (teardown must not take "unknown" for "gone"). */
export async function listNetnsStrict(): Promise<string[]> {
  const r = await execa('ip', ['-j', 'netns', 'list'], { reject: false, detached: true });
  if (r.exitCode !== 0) throw new LabError('EIP', `ip netns list: ${r.stderr.trim() || r.shortMessage}`);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Array<{ name: string }>).map((n) => n.name) : [];
}

/** ip -j addr output, the fields the lab reads. */
export interface IpAddrInfo { family: 'inet' | 'inet6'; local: string; prefixlen: number; broadcast?: string; scope: string }
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address?: string;
  addr_info?: IpAddrInfo[];
}
