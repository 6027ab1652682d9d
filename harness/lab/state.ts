/**
 * One JSON file per lab, written before anything is created and removed after teardown, so
 * `lab gc` can remove what a SIGKILLed owner left — and only that: a lab whose owner pid is
 * alive (same start time, so a reused pid does not count) or that is `persistent` stays.
 * Directory: $NETCONFORM_STATE_DIR, default /run/netconform/labs (tmpfs: gone on reboot, as are namespaces).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { LAB_NAME_PATTERN } from './schema.ts';
import { RUN_ID_PATTERN } from './names.ts';

const Name = Type.String({ pattern: LAB_NAME_PATTERN });
const Interface = Type.Object({ name: Type.String({ pattern: '^nc[a-z][a-z0-9]{4}i[0-9]{1,2}$' }), segment: Name });
const LabStateHost = Type.Object({ name: Name, netns: Type.String(), interfaces: Type.Array(Interface) });
/**
 * What a state file must hold. `lab gc` deletes the namespaces a file lists and kills the
 * processes inside them, so a file is trusted only once it passes this and `ownNames` (every
 * name of the harness's own form and of the file's own run id): anything else is reported
 * and skipped, never acted on.
 */
const LabStateSchema = Type.Object({
  runId: Type.String({ pattern: RUN_ID_PATTERN.source }),
  ownerPid: Type.Integer({ minimum: 1 }),
  ownerStart: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  createdAt: Type.String(),
  /** Kept on purpose (`lab up`): gc leaves it, `lab down` removes it. */
  persistent: Type.Boolean(),
  profile: Type.Optional(Type.String()),
  /** The profile's absolute path (`lab down <profile>` matches on it). */
  profilePath: Type.Optional(Type.String()),
  namespaces: Type.Array(Type.String()),
  hosts: Type.Array(LabStateHost),
  segments: Type.Array(Type.Object({ name: Name, netns: Type.String(), ipv4: Type.String(), ipv6: Type.String() })),
});
export type LabStateHost = Static<typeof LabStateHost>;
export type LabState = Static<typeof LabStateSchema>;

export function stateDir(): string {
  return process.env.NETCONFORM_STATE_DIR ?? '/run/netconform/labs';
}

const fileFor = (runId: string): string => path.join(stateDir(), `${runId}.json`);

/**
 * The lab's own files (key material for its servers, `labFilesDir`), beside its state file so
 * that whatever removes the lab's record removes them first: `down()`, the exit hook, `lab gc`.
 */
export const filesFor = (runId: string): string => path.join(stateDir(), `${runId}.files`);

/**
 * A fresh folder for files of lab `runId`'s run (mode 0755; put secrets in a 0700 folder
 * inside): under `filesFor(runId)`, so a run killed by SIGKILL leaves them only until `lab gc`
 * removes the lab. The lab's state file exists from bring-up on, so the folder is never
 * without a record that finds it.
 */
export async function labFilesDir(runId: string, prefix: string): Promise<string> {
  if (!RUN_ID_PATTERN.test(runId)) throw new TypeError(`labFilesDir: not a run id: ${runId}`);
  await mkdir(filesFor(runId), { recursive: true, mode: 0o755 });
  return mkdtemp(path.join(filesFor(runId), prefix));
}

/** Atomic (write + rename): a crash mid-write never leaves a half file for gc to trip on. */
export function writeState(s: LabState): void {
  mkdirSync(stateDir(), { recursive: true, mode: 0o755 });
  const tmp = `${fileFor(s.runId)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2));
  renameSync(tmp, fileFor(s.runId));
}

/** Removes the lab's files, then its record (the record goes last: it is what finds the files). */
export function removeState(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) return;
  try {
    rmSync(filesFor(runId), { recursive: true, force: true });
  } catch {
    /* gc tries again */ return;
  }
  try {
    unlinkSync(fileFor(runId));
  } catch {
    /* already gone */
  }
}

/** A namespace a lab of `runId` may own: `nc-<runId>-<host>` or `ncs-<runId>-<segment>` (names.ts). */
export function ownNetns(runId: string, name: string): boolean {
  const m = /^ncs?-([a-z][a-z0-9]{4})-(.+)$/.exec(name);
  return m !== null && m[1] === runId && new RegExp(LAB_NAME_PATTERN).test(m[2]!);
}

export type StateRead = { ok: true; state: LabState } | { ok: false; reason: string };

/** The state file of `runId`, checked against its schema and the run id's own names. */
export function readStateChecked(runId: string): StateRead | undefined {
  if (!RUN_ID_PATTERN.test(runId)) return { ok: false, reason: 'not a run id (5 characters [a-z0-9], a letter first)' };
  let text: string;
  try {
    text = readFileSync(fileFor(runId), 'utf8');
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  if (!Value.Check(LabStateSchema, data)) {
    const first = Value.Errors(LabStateSchema, data).First();
    const what = first ? `${first.path || '(top level)'} ${first.message}` : 'invalid';
    return { ok: false, reason: `not a lab state: ${what}` };
  }
  if (data.runId !== runId) return { ok: false, reason: `its runId "${data.runId}" is not its file name's` };
  const names = [...data.namespaces, ...data.hosts.map((h) => h.netns), ...data.segments.map((x) => x.netns)];
  const foreign = names.find((n) => !ownNetns(runId, n));
  if (foreign !== undefined) {
    const own = `nc-${runId}-… / ncs-${runId}-…`;
    const name = JSON.stringify(foreign.slice(0, 80));
    return { ok: false, reason: `lists namespace ${name}, not one of run ${runId}'s (${own})` };
  }
  return { ok: true, state: data };
}

export function readState(runId: string): LabState | undefined {
  const r = readStateChecked(runId);
  return r?.ok ? r.state : undefined;
}

export interface StateListing {
  states: LabState[];
  /** Files in the state folder that are not valid lab records: skipped, never acted on. */
  corrupt: Array<{ file: string; reason: string }>;
}

export function listStateFiles(): StateListing {
  const out: StateListing = { states: [], corrupt: [] };
  let files: string[];
  try {
    files = readdirSync(stateDir());
  } catch {
    return out;
  }
  for (const f of files.filter((x) => x.endsWith('.json'))) {
    const r = readStateChecked(f.slice(0, -5));
    if (r?.ok) out.states.push(r.state);
    else if (r) out.corrupt.push({ file: path.join(stateDir(), f), reason: r.reason });
  }
  return out;
}

export function listStates(): LabState[] {
  return listStateFiles().states;
}
