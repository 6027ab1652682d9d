/**
 * Running iproute2. Bring-up and teardown go through `ip -batch -` (ip(8): one process reads
 * many commands from stdin), per namespace with `-n NS`, so a lab is a handful of processes.
 */
import { execa } from 'execa';

export type LabErrorCode = 'ENETEM' | 'EIP' | 'ESPEC' | 'EPERM' | 'EABORT' | 'ENOHOST' | 'ENOSEG' | 'EDOWN' | 'ELNP';

export class LabError extends Error {
  override readonly name = 'LabError';
  constructor(
    readonly code: LabErrorCode,
    message: string,
  ) {
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
  const args = [
    ...(o.netns ? ['-n', o.netns] : []),
    ...(o.json ? ['-json'] : []),
    ...(o.force ? ['-force'] : []),
    '-batch',
    '-',
  ];
  const r = await execa(tool, args, {
    input: `${lines.join('\n')}\n`,
    reject: false,
    cancelSignal: o.signal,
    detached: o.detached,
  });
  if (r.exitCode !== 0 && !o.force)
    throw batchFailure(tool, o.netns, lines, r.stderr, r.shortMessage ?? `exit code ${r.exitCode}`);
  return r.stdout;
}

/** The error for a failed `-batch` run: where, the failing line ("Command failed -:N", 1-based) and the tool's message. */
export function batchFailure(
  tool: 'ip' | 'tc',
  netns: string | undefined,
  lines: string[],
  stderr: string,
  fallback: string,
): LabError {
  const m = /Command failed -:(\d+)/.exec(stderr);
  const bad = m ? lines[Number(m[1]) - 1] : undefined;
  const where = netns ? ` (in ${netns})` : '';
  const detail = stderr
    .split('\n')
    .filter((l) => l && !l.startsWith('Command failed'))
    .join('; ');
  return new LabError('EIP', `${tool}${where}: ${bad ? `"${bad}" failed: ` : ''}${detail || fallback}`);
}

/**
 * `ip -force -batch -`: every line is tried; resolves with the failed ones (0-based line index →
 * ip's message). With -force, ip prints its message and then "Command failed -:N" for each
 * failing line (ip(8) -force; iproute2 ip.c batch()), which is how a message is attributed.
 */
export async function ipBatchForce(
  lines: string[],
  o: Pick<BatchOptions, 'detached' | 'netns'> = {},
): Promise<Map<number, string>> {
  const failed = new Map<number, string>();
  if (lines.length === 0) return failed;
  const args = [...(o.netns ? ['-n', o.netns] : []), '-force', '-batch', '-'];
  const r = await execa('ip', args, { input: `${lines.join('\n')}\n`, reject: false, detached: o.detached });
  if (r.exitCode === 0) return failed;
  let pending: string[] = [];
  for (const l of r.stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(l.trim());
    if (m) {
      failed.set(Number(m[1]) - 1, pending.join('; ') || 'failed');
      pending = [];
    } else if (l.trim()) pending.push(l.trim());
  }
  // ip could not run at all (not installed, killed): every line counts as failed, with why.
  if (failed.size === 0)
    lines.forEach((_, k) => failed.set(k, r.stderr.trim() || (r.shortMessage ?? `exit code ${r.exitCode}`)));
  return failed;
}

export const ipBatch = (lines: string[], o: BatchOptions = {}): Promise<string> => batch('ip', lines, o);
export const tcBatch = (lines: string[], o: BatchOptions = {}): Promise<string> => batch('tc', lines, o);

/** `ip -j [-n NS] ARGS…` parsed. */
export async function ipJson<T>(netns: string | undefined, args: string[]): Promise<T> {
  const r = await execa('ip', [...(netns ? ['-n', netns] : []), '-j', ...args], { reject: false });
  if (r.exitCode !== 0)
    throw new LabError('EIP', `ip ${args.join(' ')}${netns ? ` (in ${netns})` : ''}: ${r.stderr.trim()}`);
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
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '[') {
      if (depth++ === 0) start = i;
    } else if (c === ']' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as unknown[]);
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
export interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
}
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address?: string;
  addr_info?: IpAddrInfo[];
}
