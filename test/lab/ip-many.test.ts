// ip-many.ts: per-namespace `ip -batch` runs through a few shells — each namespace's output
// comes back in input order, and a failure names its namespace, its line and ip's message.
// teardown.ts: a `netns del` that fails is reported with ip's message for that namespace.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunk, ipBatchEach, splitSections, workerScript } from '../../harness/lab/ip-many.ts';
import { parseJsonStream } from '../../harness/lab/ip.ts';
import { newRunId } from '../../harness/lab/names.ts';
import { destroyNamespaces } from '../../harness/lab/teardown.ts';
import { labNeed, netnsList } from './helpers.ts';

describe('ip-many (pure parts)', () => {
  it('chunks keep order and use at most n workers', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(chunk([1], 4)).toEqual([[1]]);
    expect(chunk([1, 2, 3], 0)).toEqual([[1, 2, 3]]);
  });

  it('splits a stream into sections by job index, with exit codes; a cut-off section has none', () => {
    const t = 'abc';
    const s = splitSections(
      [
        '@@abc 0 begin',
        'one',
        '',
        '@@abc 0 rc 0',
        '@@abc 3 begin',
        'x',
        '@@abc 3 rc 2',
        '@@abc 4 begin',
        'partial',
      ].join('\n'),
      t,
    );
    expect(s.get(0)).toEqual({ text: 'one\n', rc: 0 });
    expect(s.get(3)).toEqual({ text: 'x', rc: 2 });
    expect(s.get(4)).toEqual({ text: 'partial' });
  });

  it('refuses namespace names a shell would interpret and lines that would end the here-document', () => {
    expect(() =>
      workerScript([{ index: 0, job: { netns: "a'; rm -rf /", lines: ['link show'] } }], 't', false),
    ).toThrow(/not safe for a shell/);
    expect(() => workerScript([{ index: 0, job: { netns: 'ok', lines: ['NC_EOF_t'] } }], 't', false)).toThrow(
      /here-document/,
    );
    expect(() => workerScript([{ index: 0, job: { netns: 'ok', lines: ['a\nb'] } }], 't', false)).toThrow(/line break/);
  });
});

describe.skipIf(!labNeed.ok)(labNeed.title('ip-many in real namespaces'), () => {
  const runId = newRunId();
  const names = Array.from({ length: 7 }, (_, k) => `nc-${runId}-m${k}`);

  beforeAll(() => {
    execFileSync('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}\n`).join('') });
  });
  afterAll(async () => {
    await destroyNamespaces(names);
    expect(netnsList().filter((n) => n.includes(runId))).toEqual([]);
  });

  it("runs every namespace's batch there and returns each one's output in input order", async () => {
    const outs = await ipBatchEach(
      names.map((netns, k) => ({
        netns,
        lines: ['link set lo up', `link add v${k} type veth peer name w${k}`, 'link show'],
      })),
      { json: true, workers: 3 },
    );
    expect(outs).toHaveLength(names.length);
    outs.forEach((out, k) => {
      const links = parseJsonStream(out).at(-1) as Array<{ ifname: string }>;
      // Each namespace shows its own veth and no other's.
      expect(links.map((l) => l.ifname).sort()).toEqual(['lo', `v${k}`, `w${k}`].sort());
    });
  });

  it("a failing line is reported with its namespace, the line and ip's message; later ones in that shell do not run", async () => {
    const bad = names[2]!;
    const jobs = names.map((netns) => ({
      netns,
      lines: netns === bad ? ['link set lo up', 'link set nosuchdev up'] : ['link show lo'],
    }));
    const err = await ipBatchEach(jobs, { workers: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EIP' });
    const msg = (err as Error).message;
    expect(msg).toContain(`(in ${bad})`);
    expect(msg).toContain('"link set nosuchdev up" failed');
    expect(msg).toMatch(/Cannot find device "nosuchdev"/);
  });

  it('two failures in different shells: the first is described, the other named', async () => {
    const jobs = names.map((netns, k) => ({
      netns,
      lines: k === 1 || k === 6 ? [`addr add 198.18.0.${k}/24 dev missing${k}`] : ['link show lo'],
    }));
    const err = (await ipBatchEach(jobs, { workers: 2 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`(in ${names[1]})`);
    expect(err.message).toContain('dev missing1');
    expect(err.message).toContain(`and 1 more: ${names[6]}`);
  });

  it('empty batches are skipped and yield empty output', async () => {
    expect(await ipBatchEach([{ netns: names[0]!, lines: [] }])).toEqual(['']);
  });
});

describe.skipIf(!labNeed.ok)(labNeed.title('teardown attribution'), () => {
  it("a namespace whose `netns del` fails is named with ip's message, and nothing else is touched", async () => {
    const runId = newRunId();
    const ok = `nc-${runId}-ok`;
    // A directory where ip expects its bind-mount file: `netns del` cannot unlink it (EISDIR).
    const stuck = `nc-${runId}-stuck`;
    execFileSync('ip', ['netns', 'add', ok]);
    mkdirSync(`/run/netns/${stuck}`);
    try {
      const err = (await destroyNamespaces([ok, stuck]).catch((e: unknown) => e)) as Error & { code?: string };
      expect(err.code).toBe('EIP');
      expect(err.message).toContain(`teardown left 1 namespace: ${stuck} ("netns del ${stuck}" failed: `);
      expect(err.message).toMatch(/Cannot remove namespace file/);
      expect(netnsList()).not.toContain(ok);
    } finally {
      rmdirSync(`/run/netns/${stuck}`);
    }
  });
});
