/** Shared helpers for the lab tests: root check, counting what exists, UDP probes in namespaces. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { spawnManaged } from '../../harness/process/index.ts';
import type { Lab } from '../../harness/lab/types.ts';
import { labNeeds } from '../helpers/requires.ts';

/** Root, Linux and iproute2 (`ip`, `tc`): what every lab test needs (test/helpers/requires.ts). */
export const labNeed = labNeeds();
export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/**
 * Each test file gets its own state dir, so gc in one file never sees another's labs.
 * Call inside a describe block: registers its own afterAll to remove the dir (vitest workers
 * may end without a process 'exit' event).
 */
export function isolateState(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nc-labstate-'));
  process.env.NETCONFORM_STATE_DIR = dir;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function netnsList(): string[] {
  const out = execFileSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8' }).trim();
  return out ? (JSON.parse(out) as Array<{ name: string }>).map((n) => n.name) : [];
}

/** Root-namespace links: a lab must never add any. */
export function rootLinks(): string[] {
  return (
    JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string }>
  ).map((l) => l.ifname);
}

/** Live (non-zombie) descendants of this process. */
export function childPids(): number[] {
  const byParent = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      const pp = Number(rest[1]);
      byParent.set(pp, [...(byParent.get(pp) ?? []), Number(e)]);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of byParent.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(process.pid);
  return out;
}

/** Namespaces/links/processes that carry `runId` (or all ours when omitted). */
export function snapshot(runId?: string): { netns: string[]; links: string[]; children: number[] } {
  const mine = (n: string): boolean => (runId ? n.includes(runId) : /^ncs?-/.test(n));
  return {
    netns: netnsList().filter(mine),
    links: rootLinks().filter((l) => /^(nc|br-|p-)/.test(l)),
    children: childPids(),
  };
}

const UDP = path.join(FIXTURES, 'udp.mjs');
let portSeq = 20000 + (process.pid % 5000);

/**
 * Sends 3 datagrams from `from` to `to` (address) and reports whether `receiver` got one.
 * The receiver binds `bind` (default: the wildcard) inside its namespace.
 */
export async function udpReaches(
  lab: Lab,
  from: string,
  receiver: string,
  to: string,
  opts: { bind?: string; broadcast?: boolean; waitMs?: number } = {},
): Promise<{ arrived: boolean; sendResult: string; got: string[] }> {
  const port = portSeq++;
  const v6 = to.includes(':');
  // The receiver listens until it is stopped; the window that counts is waitMs after the sender
  // has finished, so a slow start of either process on a loaded machine changes nothing.
  const rx = spawnManaged(
    [process.execPath, UDP, 'recv', opts.bind ?? (v6 ? '::' : '0.0.0.0'), String(port), '60000'],
    { netns: lab.host(receiver).netns },
  );
  const deadline = Date.now() + 30_000;
  while (!rx.output.includes('[stdout] ready') && rx.running() && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const tx = spawnManaged(
    [process.execPath, UDP, 'send', to, String(port), `hello-from-${from}`, ...(opts.broadcast ? ['broadcast'] : [])],
    { netns: lab.host(from).netns },
  );
  await tx.exited;
  await new Promise((r) => setTimeout(r, opts.waitMs ?? 600));
  await rx.stop();
  const got = rx.output.filter((l) => l.startsWith('[stdout] got ')).map((l) => l.slice(13));
  return { arrived: got.length > 0, sendResult: tx.output.join(' '), got };
}

export function ipJ<T>(netns: string, ...args: string[]): T {
  return JSON.parse(execFileSync('ip', ['-n', netns, '-j', ...args], { encoding: 'utf8' }) || '[]') as T;
}
