/**
 * Labs: bring-up from a profile's `lab:` section, teardown, garbage collection of what
 * killed runs left, and status for the CLI. See README.md in this folder for the format.
 */
import { execa } from 'execa';
import { LabError, ipBatch, ipJson, listNetns, listNetnsStrict, type IpLink } from './ip.ts';
import { ipBatchEach } from './ip-many.ts';
import { LabImpl, type NativeSockets } from './lab.ts';
import { buildModel, createLines, hasShaping, hostLines, segmentLines } from './model.ts';
import { NETNS_PATTERN, PROBE_NETNS_PATTERN, newRunId } from './names.ts';
import { checkLabSpec, labNeedsNetem, type LabSpec } from './schema.ts';
import { listStateFiles, listStates, readState, removeState, writeState, type LabState } from './state.ts';
import { destroyNamespaces, destroyNamespacesSync } from './teardown.ts';
import { hostFileNamespaces, removeHostFilesSync } from './host-files.ts';
import type { Lab } from './types.ts';
import { pidAlive, pidStartTime } from '../process/procfs.ts';

export { newRunId } from './names.ts';
export { LabError } from './ip.ts';
export { labNeedsNetem, labNeedsLocalNetwork, type LabSpec } from './schema.ts';
export type { LabState } from './state.ts';

export interface BringUpOptions {
  runId: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Recorded in the state file, shown by `lab status`. */
  profile?: string;
  /** The profile's absolute path, recorded for `lab down <profile>`. */
  profilePath?: string;
}

const liveLabs = new Set<LabImpl>();
let exitHookInstalled = false;

/** Last resort when the process exits with labs still up: synchronous teardown (no event loop left). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) {
      // The state file goes only once the kernel shows the namespaces gone (else gc needs it).
      if (destroyNamespacesSync(lab.namespaces())) removeState(lab.runId);
    }
  });
}

let nativeCache: Promise<{ mod?: NativeSockets; reason?: string }> | undefined;
/** native/index.ts is loaded lazily: a lab works (minus `socket()`) without a built addon. */
function loadNative(): Promise<{ mod?: NativeSockets; reason?: string }> {
  nativeCache ??= (async () => {
    try {
      const m = (await import('../../native/index.ts')) as Partial<NativeSockets>;
      return typeof m.createUdpSocket === 'function'
        ? { mod: m as NativeSockets }
        : { reason: 'native/index.ts exports no createUdpSocket' };
    } catch (e) {
      return { reason: (e as Error).message.split('\n')[0] };
    }
  })();
  return nativeCache;
}

const qdiscCache = new Map<string, Promise<boolean>>();
/** Whether this kernel has a qdisc (e.g. netem, tbf): tried for real in a throwaway namespace. */
export function qdiscAvailable(kind: 'netem' | 'tbf'): Promise<boolean> {
  let p = qdiscCache.get(kind);
  if (!p) {
    p = (async () => {
      const runId = newRunId();
      const ns = `nc-${runId}-probe`;
      writeState({
        runId,
        ownerPid: process.pid,
        ownerStart: pidStartTime(process.pid),
        createdAt: new Date().toISOString(),
        persistent: false,
        namespaces: [ns],
        hosts: [],
        segments: [],
      });
      try {
        await ipBatch([`netns add ${ns}`]);
        const args = kind === 'netem' ? ['delay', '1ms'] : ['rate', '1mbit', 'burst', '32kbit', 'latency', '50ms'];
        const r = await execa('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'lo', 'root', kind, ...args], { reject: false });
        return r.exitCode === 0;
      } catch {
        return false;
      } finally {
        await destroyNamespaces([ns]);
        removeState(runId);
      }
    })();
    qdiscCache.set(kind, p);
  }
  return p;
}

export const netemAvailable = (): Promise<boolean> => qdiscAvailable('netem');

/**
 * Per-namespace steps that still run one Node child each (tc shaping, carrier polls; the
 * `ip` batches go through ip-many.ts) at most this many at a time: a 250-host lab would
 * otherwise start 250 processes at once (each ~3 MB, all competing for the same cores),
 * which is no faster on a small machine and makes the harness's peak memory grow with the lab.
 */
const BRING_UP_PARALLEL = 16;

/**
 * `Promise.all(items.map(fn))` with at most `limit` calls in flight; results in input order.
 * After a rejection no new call starts, and it rejects (with the first error) only once the
 * calls in flight have settled, so the teardown that follows never races a bring-up `ip`.
 */
export async function mapBounded<T, R>(
  items: T[],
  fn: (item: T) => Promise<R>,
  limit = BRING_UP_PARALLEL,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const k = next++;
      try {
        out[k] = await fn(items[k]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return out;
}

export async function bringUpLab(spec: LabSpec, opts: BringUpOptions): Promise<Lab> {
  if (process.getuid?.() !== 0)
    throw new LabError('EPERM', 'labs need root (network namespaces); run as root or skip lab scenarios');
  const issues = checkLabSpec(spec);
  if (issues.length) throw new LabError('ESPEC', issues.map((i) => `lab.${i.path.join('.')}: ${i.message}`).join('\n'));
  if (labNeedsNetem(spec) && !(await netemAvailable()))
    throw new LabError('ENETEM', 'netem is not available in this kernel');
  const model = buildModel(spec, opts.runId);
  const lab = new LabImpl(model, opts.log, netemAvailable, await loadNative());
  lab.profile = opts.profile;
  lab.profilePath = opts.profilePath;
  const clash = (await listNetns()).filter((n) => lab.namespaces().includes(n));
  if (clash.length)
    throw new LabError('ESPEC', `run id ${opts.runId} is in use (namespaces ${clash.join(', ')} exist)`);
  // State first: a SIGKILL at any later point leaves a record for `lab gc`.
  writeState(lab.state());
  liveLabs.add(lab);
  lab.onDown = () => {
    liveLabs.delete(lab);
    removeState(lab.runId);
  };
  installExitHook();
  const t0 = performance.now();
  const abortCheck = (): void => {
    if (opts.signal?.aborted) throw new LabError('EABORT', 'lab bring-up aborted');
  };
  try {
    abortCheck();
    await ipBatch(createLines(model), { signal: opts.signal });
    // After the namespaces: `lab gc` takes such folders without a namespace for leftovers.
    lab.makeHostFiles(spec.names ?? {});
    abortCheck();
    const hosts = [...model.hosts.values()];
    // Switches first, so each host interface has carrier as soon as it is up.
    await ipBatchEach(
      [...model.segments.values()].map((s) => ({
        netns: s.netns,
        lines: segmentLines(
          s,
          hosts.flatMap((h) => [...h.ifs.values()].filter((i) => i.segment === s.name)),
        ),
      })),
      { signal: opts.signal },
    );
    abortCheck();
    const outs = await ipBatchEach(
      hosts.map((h) => ({ netns: h.netns, lines: [...hostLines(h), 'addr show'] })),
      { json: true, signal: opts.signal },
    );
    const links = hosts.map((h, k) => lab.readBack(h, outs[k]!));
    abortCheck();
    await mapBounded(
      hosts.flatMap((h) => [...h.ifs.values()].filter((i) => hasShaping(i.shaping)).map((i) => ({ h, i }))),
      ({ h, i }) => lab.shape(h, model.segments.get(i.segment)!, i, i.shaping),
    );
    await mapBounded(
      hosts.map((h, k) => ({ h, k })),
      ({ h, k }) =>
        lab.waitOperUp(
          h,
          [...h.ifs.values()].map((i) => i.name),
          links[k],
        ),
    );
    for (const h of hosts) await lab.applyInitialPolicy(h);
    abortCheck();
  } catch (e) {
    await lab.down();
    // A Ctrl-C reaches the bring-up's `ip` children too (same process group): that failure is the interrupt's.
    if (opts.signal?.aborted) throw new LabError('EABORT', 'lab bring-up aborted');
    throw e;
  }
  opts.log(
    `lab ${opts.runId}: up in ${Math.round(performance.now() - t0)} ms (${model.hosts.size} hosts, ${model.segments.size} segments)`,
  );
  return lab;
}

/** Marks a lab as kept on purpose (`lab up`): survives this process; gc leaves it; `lab down` removes it. */
export function keepLab(lab: Lab): void {
  if (!(lab instanceof LabImpl)) throw new TypeError('keepLab: not a lab from bringUpLab');
  lab.persistent = true;
  liveLabs.delete(lab);
  writeState(lab.state());
}

/** Tears down every lab this process brought up (for SIGINT/SIGTERM handlers). */
export async function downAllLabs(): Promise<void> {
  await Promise.all([...liveLabs].map((l) => l.down()));
}

export interface GcOptions {
  /** Also remove labs kept with `lab up` (persistent). */
  includePersistent?: boolean;
  log?: (line: string) => void;
}

export interface GcResult {
  removed: string[];
  kept: string[];
  orphans: string[];
  /** State files that are not a lab's valid record: reported and skipped. */
  corrupt: string[];
  /** Namespaces whose /etc/netns or private folders were left without a lab or a namespace, now removed. */
  folders: string[];
}

/**
 * Removes what dead owners left: labs whose state file names a pid that is gone (or reused),
 * and capability-probe namespaces (`ncprobe-<pid>-<start>-…`) whose owner is gone.
 * Namespaces that look like ours but have no state file are reported as `orphans`, not removed.
 */
export async function labGc(opts: GcOptions = {}): Promise<GcResult> {
  const removed: string[] = [];
  const kept: string[] = [];
  const { states, corrupt } = listStateFiles();
  for (const c of corrupt) {
    opts.log?.(`gc: skipped ${c.file}: ${c.reason} (nothing it names was touched; remove the file by hand)`);
  }
  for (const s of states) {
    if ((s.persistent && !opts.includePersistent) || (!s.persistent && pidAlive(s.ownerPid, s.ownerStart))) {
      kept.push(s.runId);
      continue;
    }
    try {
      const gone = await destroyNamespaces(s.namespaces);
      removed.push(...gone);
      removeState(s.runId);
      opts.log?.(
        `gc: lab ${s.runId} (owner pid ${s.ownerPid} gone${s.persistent ? ', persistent' : ''}): removed ${gone.length} namespaces`,
      );
    } catch (e) {
      kept.push(s.runId);
      opts.log?.(`gc: lab ${s.runId}: ${(e as Error).message} (state file kept; run gc again)`);
    }
  }
  const names = await listNetns();
  for (const n of names) {
    const m = PROBE_NETNS_PATTERN.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pidAlive(pid, m[2])) {
      kept.push(`${n} (probe of running pid ${pid})`);
      continue;
    }
    try {
      removed.push(...(await destroyNamespaces([n])));
      opts.log?.(`gc: probe namespace ${n} (owner pid ${pid} gone): removed`);
    } catch (e) {
      kept.push(n);
      opts.log?.(`gc: ${(e as Error).message}`);
    }
  }
  const known = new Set(listStates().map((s) => s.runId));
  // A lab's /etc/netns and private folders whose lab has neither a state file nor a namespace left.
  // Folders first, then namespaces: a lab makes its folders only once its namespaces exist.
  const folders = hostFileNamespaces();
  const swept: string[] = [];
  // A namespace list that cannot be read removes nothing.
  const present = await listNetnsStrict().then(
    (l) => new Set(l),
    () => undefined,
  );
  for (const n of present ? folders : []) {
    if (known.has(NETNS_PATTERN.exec(n)![1]!) || present?.has(n)) continue;
    removeHostFilesSync(n);
    swept.push(n);
    opts.log?.(`gc: folders of namespace ${n} (no lab, no namespace): removed`);
  }
  const orphans = names.filter((n) => {
    const m = NETNS_PATTERN.exec(n);
    return m && !known.has(m[1]!);
  });
  return { removed, kept, orphans, corrupt: corrupt.map((c) => c.file), folders: swept };
}

/**
 * Removes one lab by run id (the CLI's `lab down`); refuses a lab whose non-persistent owner
 * still runs unless `force`. Resolves with the namespaces removed, or undefined when there is
 * no such lab (no state file, no namespace with that run id).
 */
export async function labDown(runId: string, opts: { force?: boolean } = {}): Promise<string[] | undefined> {
  const s = readState(runId);
  if (s && !s.persistent && !opts.force && pidAlive(s.ownerPid, s.ownerStart)) {
    throw new LabError('ESPEC', `lab ${runId} belongs to running pid ${s.ownerPid}; stop that run (or use --force)`);
  }
  const names = s?.namespaces ?? (await listNetns()).filter((n) => NETNS_PATTERN.exec(n)?.[1] === runId);
  if (!s && names.length === 0) return undefined;
  const gone = await destroyNamespaces(names);
  removeState(runId);
  return gone;
}

export interface LabStatusInterface {
  name: string;
  segment: string;
  index: number;
  state: string;
  mtu: number;
  mac: string;
  addresses: string[];
}
export interface LabStatus {
  runId: string;
  ownerPid: number;
  ownerAlive: boolean;
  persistent: boolean;
  createdAt: string;
  profile: string | undefined;
  segments: LabState['segments'];
  hosts: Array<{ name: string; netns: string; present: boolean; shell: string; interfaces: LabStatusInterface[] }>;
}

/** Every recorded lab with its live interfaces (read with `ip -j`). */
export async function labStatus(): Promise<LabStatus[]> {
  const present = new Set(await listNetns());
  return Promise.all(
    listStates()
      .filter((s) => s.hosts.length > 0)
      .map(async (s) => ({
        runId: s.runId,
        ownerPid: s.ownerPid,
        ownerAlive: pidAlive(s.ownerPid, s.ownerStart),
        persistent: s.persistent,
        createdAt: s.createdAt,
        profile: s.profile,
        segments: s.segments,
        hosts: await Promise.all(
          s.hosts.map(async (h) => {
            const links = present.has(h.netns)
              ? await ipJson<IpLink[]>(h.netns, ['addr', 'show']).catch(() => [] as IpLink[])
              : [];
            const interfaces = h.interfaces.flatMap((i) => {
              const l = links.find((x) => x.ifname === i.name);
              if (!l) return [];
              return [
                {
                  name: i.name,
                  segment: i.segment,
                  index: l.ifindex,
                  state: l.operstate,
                  mtu: l.mtu,
                  mac: l.address ?? '',
                  addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
                },
              ];
            });
            return {
              name: h.name,
              netns: h.netns,
              present: present.has(h.netns),
              shell: `ip netns exec ${h.netns} bash`,
              interfaces,
            };
          }),
        ),
      })),
  );
}
