/**
 * Lab bring-up and teardown (4 hosts, 3 segments) against the same topology built by a plain
 * shell script of `ip` commands, one process per command — what an engineer would write.
 * The script is generated at run time from the same model, so both build identical labs.
 * Target: no slower than the script (≤ 1.0×).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bringUpLab, newRunId } from '../../harness/lab/index.ts';
import { buildModel, createLines, hostLines, segmentLines } from '../../harness/lab/model.ts';
import type { LabSpec } from '../../harness/lab/schema.ts';
import type { BenchRow, BenchSection, BenchSuite } from './types.ts';

const spec: LabSpec = {
  segments: { 'lan-a': {}, 'lan-b': { mtu: 1400 }, 'lan-c': {} },
  hosts: {
    dut: { links: [{ segment: 'lan-a' }, { segment: 'lan-b' }, { segment: 'lan-c' }], defaultRoute: 'lan-a' },
    'peer-a': { links: [{ segment: 'lan-a' }] },
    'peer-b': { links: [{ segment: 'lan-b' }] },
    'peer-c': { links: [{ segment: 'lan-c' }] },
  },
};

/** The shell scripts (up, down) for one run id: every batch line becomes its own `ip` command. */
function scripts(runId: string): { up: string; down: string } {
  const m = buildModel(spec, runId);
  const hosts = [...m.hosts.values()];
  const up = ['#!/bin/sh', 'set -e', ...createLines(m).map((l) => `ip ${l}`)];
  for (const s of m.segments.values()) {
    const ports = hosts.flatMap((h) => [...h.ifs.values()].filter((i) => i.segment === s.name));
    up.push(...segmentLines(s, ports).map((l) => `ip -n ${s.netns} ${l}`));
  }
  for (const h of hosts) up.push(...hostLines(h).map((l) => `ip -n ${h.netns} ${l}`));
  const down = ['#!/bin/sh', ...[...m.segments.values(), ...hosts].map((x) => `ip netns del ${x.netns}`)];
  return { up: `${up.join('\n')}\n`, down: `${down.join('\n')}\n` };
}

const stats = (xs: number[]): { median: number; min: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return {
    median: Math.round(median * 10) / 10,
    min: Math.round(s[0]! * 10) / 10,
    max: Math.round(s[s.length - 1]! * 10) / 10,
  };
};

const suite: BenchSuite = {
  name: 'lab',
  async run({ quick, log }): Promise<BenchSection> {
    const notes: string[] = [];
    if (process.getuid?.() !== 0)
      return { name: 'lab bring-up / teardown', rows: [], notes: ['skipped: needs root (network namespaces)'] };
    const runs = quick ? 3 : 11;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nc-labbench-'));
    const t = { upOurs: [] as number[], downOurs: [] as number[], upSh: [] as number[], downSh: [] as number[] };
    try {
      for (let n = 0; n < runs + 1; n++) {
        // Alternate the two so drift (page cache, kernel netns cleanup backlog) hits both alike; run 0 is warm-up.
        const t0 = performance.now();
        const lab = await bringUpLab(spec, { runId: newRunId(), log: () => {} });
        const t1 = performance.now();
        await lab.down();
        const t2 = performance.now();
        const sc = scripts(newRunId());
        writeFileSync(path.join(dir, 'up.sh'), sc.up);
        writeFileSync(path.join(dir, 'down.sh'), sc.down);
        const t3 = performance.now();
        execFileSync('sh', [path.join(dir, 'up.sh')], { stdio: 'ignore' });
        const t4 = performance.now();
        execFileSync('sh', [path.join(dir, 'down.sh')], { stdio: 'ignore' });
        const t5 = performance.now();
        if (n === 0) continue;
        t.upOurs.push(t1 - t0);
        t.downOurs.push(t2 - t1);
        t.upSh.push(t4 - t3);
        t.downSh.push(t5 - t4);
        log(
          `lab bench run ${n}/${runs}: up ${(t1 - t0).toFixed(0)} vs ${(t4 - t3).toFixed(0)} ms, down ${(t2 - t1).toFixed(0)} vs ${(t5 - t4).toFixed(0)} ms`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const rows: BenchRow[] = [];
    const pair = (c: string, ours: number[], sh: number[]): void => {
      const a = stats(ours);
      const b = stats(sh);
      const ratio = Math.round((a.median / b.median) * 100) / 100;
      rows.push({ case: c, impl: 'shell script', unit: 'ms', ...b });
      rows.push({
        case: c,
        impl: 'netconform',
        unit: 'ms',
        ...a,
        ratio,
        reference: 'shell script',
        target: '≤ 1.0×',
        met: ratio <= 1.0,
      });
    };
    pair('lab up, 4 hosts × 3 segments', t.upOurs, t.upSh);
    pair('lab down, 4 hosts × 3 segments', t.downOurs, t.downSh);
    pair(
      'lab up + down',
      t.upOurs.map((x, i) => x + t.downOurs[i]!),
      t.upSh.map((x, i) => x + t.downSh[i]!),
    );
    const cmds = scripts('aaaaa')
      .up.split('\n')
      .filter((l) => l.startsWith('ip ')).length;
    notes.push(
      `medians of ${runs} runs after a warm-up; the script runs ${cmds} ip commands for bring-up, netconform one ip -batch in the root namespace plus one per namespace (8 processes), and it also waits for carrier and reads every interface back`,
    );
    return { name: 'lab bring-up / teardown', rows, notes };
  },
};

export default suite;
