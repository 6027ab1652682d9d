/**
 * One JSON file per lab, written before anything is created and removed after teardown, so
 * `lab gc` can remove what a SIGKILLed owner left — and only that: a lab whose owner pid is
 * alive (same start time, so a reused pid does not count) or that is `persistent` stays.
 * Directory: $NETCONFORM_STATE_DIR, default /run/netconform/labs (tmpfs: gone on reboot, as are namespaces).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LabStateHost { name: string; netns: string; interfaces: Array<{ name: string; segment: string }> }
export interface LabState {
  runId: string;
  ownerPid: number;
  ownerStart: string | undefined;
  createdAt: string;
  /** Kept on purpose (`lab up`): gc leaves it, `lab down` removes it. */
  persistent: boolean;
  profile?: string;
  /** The profile's absolute path (`lab down <profile>` matches on it). */
  profilePath?: string;
  namespaces: string[];
  hosts: LabStateHost[];
  segments: Array<{ name: string; netns: string; ipv4: string; ipv6: string }>;
}

export function stateDir(): string {
  return process.env.NETCONFORM_STATE_DIR ?? '/run/netconform/labs';
}

const fileFor = (runId: string): string => path.join(stateDir(), `${runId}.json`);

/** Atomic (write + rename): a crash mid-write never leaves a half file for gc to trip on. */
export function writeState(s: LabState): void {
  mkdirSync(stateDir(), { recursive: true, mode: 0o755 });
  const tmp = `${fileFor(s.runId)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2));
  renameSync(tmp, fileFor(s.runId));
}

export function removeState(runId: string): void {
  try { unlinkSync(fileFor(runId)); } catch { /* already gone */ }
}

export function readState(runId: string): LabState | undefined {
  try { return JSON.parse(readFileSync(fileFor(runId), 'utf8')) as LabState; } catch { return undefined; }
}

export function listStates(): LabState[] {
  let files: string[];
  try { files = readdirSync(stateDir()); } catch { return []; }
  return files.filter((f) => f.endsWith('.json')).map((f) => readState(f.slice(0, -5))).filter((s): s is LabState => s !== undefined);
}
