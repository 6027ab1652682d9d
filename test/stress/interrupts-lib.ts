/**
 * Randomly interrupted runs, judged by what each run leaves behind. Used by
 * test/stress/interrupts.ts (`npm run stress:interrupts -- <count>`) and, with a few runs, by
 * test/stress/interrupts.test.ts.
 *
 * Each run is `netconform run <profile>` in its own process group (as a terminal's foreground
 * job), interrupted at a random moment by one of:
 *   SIGINT   to the group (a Ctrl-C: the terminal signals the whole foreground group)
 *   SIGTERM  to the harness only (kill PID)
 *   SIGINT2  Ctrl-C, then a second Ctrl-C 0–400 ms later (often during teardown)
 *   SIGKILL  to the group, then `netconform lab gc`
 *   SIGHUP   to the group (the terminal hung up: a closed window, a dropped SSH session)
 *   SIGQUIT  to the group (a Ctrl-\)
 * Other helpers' labs exist on this machine at the same time, so leftovers are judged only by
 * this run's own names: every run uses a private state folder (NETCONFORM_STATE_DIR), its lab
 * run ids are collected while it runs (state files, its output), probe namespaces carry its
 * pid, and its processes carry an environment tag. Key folders are looked for in the run's own
 * TMPDIR and state folder (the lab's `<runId>.files`).
 */
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cgroup2Mount } from '../../harness/lab/local-network.ts';

/** The checkout whose CLI runs (NC_STRESS_ROOT: another checkout, e.g. to measure an older commit). */
export const repoRoot = process.env.NC_STRESS_ROOT ?? resolve(import.meta.dirname, '../..');
const bin = join(repoRoot, 'harness/bin/netconform.js');

export type InterruptKind = 'SIGINT' | 'SIGTERM' | 'SIGINT2' | 'SIGKILL' | 'SIGHUP' | 'SIGQUIT';
export const KINDS: InterruptKind[] = ['SIGINT', 'SIGTERM', 'SIGINT2', 'SIGKILL', 'SIGHUP', 'SIGQUIT'];

export interface InterruptOutcome {
  kind: InterruptKind;
  from: 'spawn' | 'output' | 'files';
  profile: string;
  delayMs: number;
  pid: number;
  exitCode: number | undefined;
  signal: string | undefined;
  runIds: string[];
  /** Everything of this run still there at the end; empty = clean. */
  leaks: string[];
  /** Messages that were not true (e.g. "reports: …" naming a missing file). */
  lies: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function netnsNames(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** The cgroups a lab host's own programs ran in (`<cgroup v2 mount>/nc-<runId>-<host>`, harness/lab/local-network.ts). */
function cgroupNames(): string[] {
  const mount = cgroup2Mount();
  try {
    return mount ? readdirSync(mount).filter((n) => n.startsWith('nc-')) : [];
  } catch {
    return [];
  }
}

function statesIn(dir: string): Array<{ runId: string; ownerPid: number; namespaces: string[] }> {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    try {
      return [
        JSON.parse(readFileSync(join(dir, f), 'utf8')) as { runId: string; ownerPid: number; namespaces: string[] },
      ];
    } catch {
      return [];
    }
  });
}

/** Live (non-zombie) processes whose environment holds `${tag}=1`. */
function tagged(tag: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(`${tag}=1`)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      out.push(`process ${d} (${readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()})`);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

export interface InterruptOptions {
  kind: InterruptKind;
  profile: string;
  delayMs: number;
  /**
   * What delayMs counts from: the spawn (covers start-up, before the handler exists) or the
   * run's first output line (the handler is installed by then: probe, bring-up, scenarios,
   * teardown and reports follow within a few seconds), or the moment the run has files of its
   * lab on disk (key material: tls.yaml).
   */
  from: 'spawn' | 'output' | 'files';
  /** For SIGINT2: the gap between the two Ctrl-Cs. */
  secondMs?: number;
  /** For SIGINT2: count that gap from the run's "tearing down" line instead (a Ctrl-C during teardown). */
  secondInTeardown?: boolean;
}

export async function interruptedRun(o: InterruptOptions): Promise<InterruptOutcome> {
  const work = await mkdtemp(join(tmpdir(), 'nc-stress-'));
  const stateDir = join(work, 'state');
  const outDir = join(work, 'reports');
  const tmp = join(work, 'tmp');
  await mkdir(tmp);
  const tag = `NC_STRESS_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const env = { NETCONFORM_STATE_DIR: stateDir, TMPDIR: tmp, [tag]: '1' };
  const child = execa('node', [bin, 'run', o.profile, '-o', outDir], {
    cwd: repoRoot,
    env,
    detached: true,
    reject: false,
    all: true,
    stdin: 'ignore',
  });
  const pid = child.pid!;
  const runIds = new Set<string>();
  const seenNamespaces = new Set<string>();
  let finished = false;
  const exit = child.then((r) => {
    finished = true;
    return r;
  });
  const teardownSeen = new Promise<void>((r) => {
    let text = '';
    child.all?.on('data', (d: Buffer) => {
      text += d.toString();
      if (/: tearing down/.test(text)) {
        r();
        text = '';
      } else if (text.length > 65536) text = text.slice(-1024);
    });
  });
  // Watch what the run creates while it runs: its state files (run ids), probe namespaces, lab files.
  let filesSeen = (): void => undefined;
  const files = new Promise<void>((r) => {
    filesSeen = r;
  });
  const watcher = (async () => {
    while (!finished) {
      if (
        readdirSync(tmp).some((f) => /^nc-(gw)?tls-/.test(f)) ||
        (existsSync(stateDir) && readdirSync(stateDir).some((f) => f.endsWith('.files')))
      )
        filesSeen();
      for (const s of statesIn(stateDir))
        if (s.ownerPid === pid) {
          runIds.add(s.runId);
          for (const n of s.namespaces) seenNamespaces.add(n);
        }
      for (const n of netnsNames()) if (n.startsWith(`ncprobe-${pid}-`)) seenNamespaces.add(n);
      await sleep(5);
    }
  })();
  if (o.from === 'output') {
    await Promise.race([new Promise((r) => child.all?.once('data', r)), exit]);
  } else if (o.from === 'files') {
    await Promise.race([files, exit]);
  }
  await Promise.race([sleep(o.delayMs), exit]);
  if (!finished) {
    const kill = (sig: NodeJS.Signals, group: boolean): void => {
      try {
        process.kill(group ? -pid : pid, sig);
      } catch {
        /* gone */
      }
    };
    if (o.kind === 'SIGINT') kill('SIGINT', true);
    else if (o.kind === 'SIGTERM') kill('SIGTERM', false);
    else if (o.kind === 'SIGKILL') kill('SIGKILL', true);
    else if (o.kind === 'SIGHUP' || o.kind === 'SIGQUIT') kill(o.kind, true);
    else {
      kill('SIGINT', true);
      if (o.secondInTeardown) await Promise.race([teardownSeen, exit]);
      await Promise.race([sleep(o.secondMs ?? 100), exit]);
      if (!finished) kill('SIGINT', true);
    }
  }
  const bounded = await Promise.race([exit, sleep(60_000).then(() => undefined)]);
  const leaks: string[] = [];
  if (!bounded) {
    leaks.push('the run did not exit within 60 s of the signal');
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await exit;
  }
  finished = true;
  await watcher;
  const r = await exit;
  const all = r.all ?? '';
  for (const m of all.matchAll(/lab ([a-z][a-z0-9]{4})[: ]/g)) runIds.add(m[1]!);
  for (const s of statesIn(stateDir)) if (s.ownerPid === pid) runIds.add(s.runId);

  // Teardown children run in their own sessions; give any still finishing a moment.
  for (let i = 0; i < 100 && tagged(tag).length > 0; i++) await sleep(20);
  if (o.kind === 'SIGKILL') {
    const gc = await execa('node', [bin, 'lab', 'gc'], {
      cwd: repoRoot,
      env: { NETCONFORM_STATE_DIR: stateDir },
      reject: false,
      all: true,
    });
    if (gc.exitCode !== 0) leaks.push(`lab gc exited ${gc.exitCode}: ${gc.all}`);
  }
  const ours = (n: string): boolean =>
    n.startsWith(`ncprobe-${pid}-`) ||
    [...runIds].some((id) => n.startsWith(`nc-${id}-`) || n.startsWith(`ncs-${id}-`)) ||
    seenNamespaces.has(n);
  for (const n of netnsNames()) if (ours(n)) leaks.push(`namespace ${n}`);
  for (const n of cgroupNames()) if (ours(n)) leaks.push(`cgroup ${n}`);
  for (const s of statesIn(stateDir)) leaks.push(`state file of lab ${s.runId} (owner pid ${s.ownerPid})`);
  // Key material: a lab's files folder (harness/lab/state.ts), or a temp folder of a PEM writer.
  const listing = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const f of listing(stateDir).filter((x) => x.endsWith('.files')))
    leaks.push(`lab files folder ${f} (key material)`);
  for (const f of listing(tmp).filter((x) => /^nc-(gw)?tls-/.test(x))) leaks.push(`key folder $TMPDIR/${f}`);
  leaks.push(...tagged(tag));
  const tmpFiles = existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith('.tmp')) : [];
  for (const f of tmpFiles) leaks.push(`temp file reports/${f}`);

  const lies: string[] = [];
  const reportsLine = /reports: (.*)/.exec(all)?.[1];
  if (reportsLine) {
    for (const f of reportsLine.split(', ')) {
      const file = resolve(repoRoot, f.trim());
      if (!existsSync(file)) lies.push(`printed "reports: ${f}" but ${file} does not exist`);
    }
  }
  for (const m of all.matchAll(/lab ([a-z0-9]{5}): down \((\d+) namespaces removed\)/g)) {
    const left = netnsNames().filter((n) => n.startsWith(`nc-${m[1]}-`) || n.startsWith(`ncs-${m[1]}-`));
    if (left.length) lies.push(`printed "lab ${m[1]}: down" but ${left.join(', ')} remain`);
  }
  // Killed by the signal itself = before the handler was installed: it must have created nothing.
  if (r.signal !== undefined && r.signal !== 'SIGKILL' && (runIds.size > 0 || seenNamespaces.size > 0)) {
    lies.push(`died by ${r.signal} (no handler yet) after creating ${[...runIds, ...seenNamespaces].join(', ')}`);
  }
  if (leaks.length === 0 && lies.length === 0) await rm(work, { recursive: true, force: true });
  else leaks.push(`(work folder kept: ${work})`);
  return {
    kind: o.kind,
    from: o.from,
    profile: o.profile,
    delayMs: o.delayMs,
    pid,
    exitCode: r.exitCode,
    signal: r.signal,
    runIds: [...runIds],
    leaks,
    lies,
  };
}
