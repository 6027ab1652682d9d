/**
 * Every name a lab creates carries its run id, so concurrent runs never collide and
 * `lab gc` can tell whose leftovers are whose. Interface names are at most 15 bytes
 * (IFNAMSIZ - 1) and deliberately unlike eth0/en0/wlan0: a SUT that hard-codes one fails.
 */
import { randomBytes } from 'node:crypto';

/** 5 characters [a-z0-9], first a letter. */
export function newRunId(): string {
  const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const b = randomBytes(5);
  return [...b].map((x, i) => (i === 0 ? alnum[x % 26] : alnum[x % 36])).join('');
}

export const RUN_ID_PATTERN = /^[a-z][a-z0-9]{4}$/;
/** Matches every namespace a lab creates; group 1 is the run id. */
export const NETNS_PATTERN = /^ncs?-([a-z][a-z0-9]{4})-/;

/**
 * The capability probe's throwaway namespace (harness/runner/capabilities.ts) has no state
 * file: its name carries the owner's pid and start time (proc(5) stat field 22, so a reused
 * pid is not taken for the owner), which is what `lab gc` needs to remove it once the owner
 * is dead. Group 1 = pid, group 2 = start time (absent in names from before it was added).
 */
export const PROBE_NETNS_PATTERN = /^ncprobe-(\d+)-(?:(\d+)-)?[0-9a-f]{6}$/;
export const probeNetns = (pid: number, start: string | undefined, random: string): string =>
  `ncprobe-${pid}-${start !== undefined ? `${start}-` : ''}${random}`;

export const hostNetns = (runId: string, host: string): string => `nc-${runId}-${host}`;
export const segmentNetns = (runId: string, segment: string): string => `ncs-${runId}-${segment}`;
/** The host's interface k (k = position of the segment in the lab's segment list). */
export const hostIfName = (runId: string, k: number): string => `nc${runId}i${k}`;
export const bridgeName = (runId: string): string => `br-${runId}`;
export const portName = (runId: string, hostIdx: number): string => `p-${runId}-${hostIdx}`;

/** Locally administered unicast MAC (02:…), unique per run, host and segment. */
export function macFor(runId: string, hostIdx: number, segIdx: number): string {
  let h = 0;
  for (const c of runId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const bytes = [0x02, (h >>> 16) & 255, (h >>> 8) & 255, h & 255, hostIdx & 255, segIdx & 255];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
