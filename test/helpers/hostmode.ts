/**
 * Host mode on Linux, for real: a lab stands in for a network, the harness runs in host mode
 * inside one of its hosts' namespaces (`ip netns exec <ns> node harness/bin/netconform.js run
 * … --allow-host-network`), where it sees only that host's interfaces, and a peer agent
 * (suites/lib/net/peer-agent.ts) runs in each other host as the real responder on its segment.
 * The host-mode profile is derived from the lab profile (no `lab:`, segments → interface
 * names, the agents' addresses in `with.peers`), so the two runs measure the same topology.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { bringUpLab, newRunId, type LabSpec } from '../../harness/lab/index.ts';
import type { Lab } from '../../harness/lab/types.ts';
import type { MatrixEvidence } from '../../harness/model/check.ts';
import type { RunResult } from '../../harness/model/results.ts';
import type { ManagedProcess } from '../../harness/process/types.ts';
import { bin, repoRoot } from './cli.ts';
import { tempDir } from './tmp.ts';

const AGENT = join(repoRoot, 'suites/lib/net/peer-agent.ts');

export interface HostTopology {
  lab: Lab;
  /** The host whose namespace plays "this machine". */
  host: string;
  /** Agent name → its address on the segment it shares with the host. */
  agents: Map<string, string>;
  /** The agents' processes (the lab stops and reaps them on down()). */
  agentProcesses: ManagedProcess[];
  down(): Promise<void>;
}

/** Brings up the profile's lab and starts a peer agent in every host but `host` that shares a segment with it. */
export async function buildHostTopology(profileFile: string, host: string): Promise<HostTopology> {
  const doc = parse(await readFile(profileFile, 'utf8')) as { lab: LabSpec };
  const lab = await bringUpLab(doc.lab, { runId: newRunId(), log: () => undefined });
  const agents = new Map<string, string>();
  const agentProcesses: ManagedProcess[] = [];
  try {
    const mine = lab
      .host(host)
      .interfaces()
      .map((i) => i.segment);
    const ready: Array<Promise<void>> = [];
    for (const h of lab.hosts) {
      const shared = h.interfaces().find((i) => h.name !== host && mine.includes(i.segment));
      if (!shared) continue;
      agents.set(h.name, shared.ipv4!.address);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const p = h.spawn([process.execPath, '--import', 'tsx', AGENT, '--name', h.name, '--allow-host-network'], {
            cwd: repoRoot,
            onLine: (_s, line) => {
              if (line.startsWith('peer agent ')) resolve();
            },
          });
          agentProcesses.push(p);
          void p.exited.then((e) =>
            reject(new Error(`peer agent in ${h.name} exited (${e.signal ?? e.code}): ${p.output.join(' | ')}`)),
          );
        }),
      );
    }
    await Promise.all(ready);
  } catch (e) {
    await lab.down();
    throw e;
  }
  return { lab, host, agents, agentProcesses, down: () => lab.down() };
}

/** The lab profile as host mode sees it from `t.host`: no lab, interface names for segments, agents as peers. */
export function hostProfile(labProfileText: string, t: HostTopology): string {
  const doc = parse(labProfileText) as {
    profile: string;
    lab?: unknown;
    scenarios: Array<{ with?: Record<string, unknown> }>;
  };
  const ifname = (seg: string): string => t.lab.host(t.host).iface(seg).name;
  delete doc.lab;
  doc.profile = `${doc.profile}-host`;
  for (const s of doc.scenarios) {
    const w = { ...(s.with ?? {}) };
    delete w.host;
    if (Array.isArray(w.segments)) w.segments = (w.segments as string[]).map(ifname);
    if (Array.isArray(w.join)) w.join = (w.join as string[]).map(ifname);
    w.peers = [...t.agents.values()];
    s.with = w;
  }
  return stringify(doc);
}

export interface CliRun {
  exitCode: number;
  result: RunResult;
  output: string;
}

/** Runs the CLI (optionally inside a namespace) and reads results.json. */
export async function runCli(profileFile: string, opts: { netns?: string; args?: string[] } = {}): Promise<CliRun> {
  const out = await tempDir('nc-hostmode-out-');
  const argv = [bin, 'run', profileFile, '-o', out, '-r', 'json', ...(opts.args ?? [])];
  const cmd = opts.netns ? ['ip', 'netns', 'exec', opts.netns, process.execPath, ...argv] : [process.execPath, ...argv];
  const r = await execa(cmd[0]!, cmd.slice(1), { cwd: repoRoot, reject: false, all: true, timeout: 120_000 });
  const result = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResult;
  return { exitCode: r.exitCode ?? -1, result, output: r.all ?? '' };
}

export async function writeProfile(text: string): Promise<string> {
  const f = join(await tempDir('nc-hostmode-'), 'profile.yaml');
  await writeFile(f, text);
  return f;
}

/** One check reduced to what must be equal across modes: names with segments, verdict, matrix cells. */
export interface ComparableCheck {
  scenario: string;
  name: string;
  verdict: string;
  matrices: Array<{ rows: string[]; cols: string[]; cells: string[][]; mismatches: string[] }>;
}

/**
 * Normalizes a run: generated interface names (`nc<runId>i<k>`) → segment names, `rename` for
 * other labels (host mode's "this host" → the lab host it stands for), matrices reordered by
 * row and column name (host mode lists its own member first), mismatches as "row@col".
 */
export function comparable(
  result: RunResult,
  ifToSegment: Map<string, string>,
  rename: Record<string, string> = {},
): ComparableCheck[] {
  const norm = (text: string): string => {
    let t = text.replace(/nc[a-z0-9]{5}i\d+/g, (n) => ifToSegment.get(n) ?? n);
    for (const [from, to] of Object.entries(rename)) t = t.replaceAll(from, to);
    return t;
  };
  return result.scenarios.flatMap((s) =>
    s.checks.map((c) => ({
      scenario: s.id,
      name: norm(c.name),
      verdict: c.verdict,
      matrices: c.evidence
        .filter((e): e is MatrixEvidence => e.kind === 'matrix')
        .map((m) => {
          const rows = m.rows.map(norm);
          const cols = m.cols.map(norm);
          const ro = rows.map((_, i) => i).sort((a, b) => rows[a]!.localeCompare(rows[b]!));
          const co = cols.map((_, i) => i).sort((a, b) => cols[a]!.localeCompare(cols[b]!));
          return {
            rows: ro.map((i) => rows[i]!),
            cols: co.map((j) => cols[j]!),
            cells: ro.map((i) => co.map((j) => norm(m.cells[i]![j]!))),
            mismatches: (m.mismatches ?? []).map(([r, c]) => `${rows[r]}@${cols[c]}`).sort(),
          };
        }),
    })),
  );
}

/** Interface name → segment for every lab of a run (the `labs` section of results.json) and for a live lab. */
export function ifaceSegments(labs: Array<Record<string, Record<string, string>>>): Map<string, string> {
  const m = new Map<string, string>();
  for (const byHost of labs)
    for (const segs of Object.values(byHost)) for (const [seg, name] of Object.entries(segs)) m.set(name, seg);
  return m;
}
