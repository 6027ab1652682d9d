/**
 * peers.symmetric-connect on a real lab with the example SUT (profiles/sut/peer-connect.py): the
 * tie-break policy passes, keep-both and close-both fail naming their pattern. A tcpdump witness
 * in the segment's switch namespace (not the scenario's observer, which runs in peer-a) counts,
 * per attempt port, the connections that lived at least holdMs; it must agree with the verdict.
 * Root.
 */
import { describe, expect, it } from 'vitest';
import { matrixOf, netnsOfRuns, runWitnessed, scenario, witnessedLabNeeds } from './helpers-net/run.ts';
import type { Witness } from './helpers-net/witness.ts';
import type { CheckResult } from '../../harness/model/results.ts';
import type { TimelineEvidence } from '../../harness/model/check.ts';
import { earned } from '../helpers/verdict.ts';

const HOLD_MS = 250;
const profile = (policy: string, port: number): string => `  - id: ${policy}
    use: peers.symmetric-connect
    sut:
      command: ['@SUT@/peer-connect.py', --id, '\${self.id}', --listen, '\${listen.address}', '\${listen.port}', --peer, '\${peer.address}', '\${peer.port}', --policy, ${policy}]
      ready: { stdout: '^listening' }
    with: { port: ${port}, skewsMs: [0, 100], repeat: 2, observeMs: 500, holdMs: ${HOLD_MS}, skewToleranceMs: 10 }
`;
const YAML = `profile: peers-test
lab:
  segments: { lan: {} }
  hosts:
    peer-a: { links: [{ segment: lan }] }
    peer-b: { links: [{ segment: lan }] }
scenarios:
${profile('tiebreak', 27960)}${profile('keep-both', 27980)}${profile('close-both', 28000)}  - id: quits
    use: peers.symmetric-connect
    sut:
      command: [python3, -c, "import socket, sys, time; s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(); print('listening', flush=True); time.sleep(0.1); sys.exit(3)", '\${listen.address}', '\${listen.port}']
      ready: { stdout: '^listening' }
    with: { port: 28020, skewsMs: [0], repeat: 1, observeMs: 500, holdMs: 250 }
`;

/** Per responder port: how many connections (by SYN) lived ≥ holdMs before a FIN or RST, on the witness's clock. */
function longLived(w: Witness): Map<number, number> {
  const conns = new Map<string, { port: number; syn: number; end?: number }>();
  for (const p of w.packets) {
    const m = /^(\d\d):(\d\d):(\d\d\.\d+) .*?IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\]/.exec(p.header);
    if (!m) continue;
    const t = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
    const fwd = `${m[4]}:${m[5]}>${m[6]}:${m[7]}`;
    const rev = `${m[6]}:${m[7]}>${m[4]}:${m[5]}`;
    const flags = m[8]!;
    if (flags === 'S') {
      if (!conns.has(fwd)) conns.set(fwd, { port: Number(m[7]), syn: t });
      continue;
    }
    const c = conns.get(fwd) ?? conns.get(rev);
    if (c && c.end === undefined && /[FR]/.test(flags)) c.end = t;
  }
  const out = new Map<number, number>();
  for (const c of conns.values()) {
    if (!out.has(c.port)) out.set(c.port, 0);
    if ((c.end ?? Infinity) - c.syn >= HOLD_MS) out.set(c.port, out.get(c.port)! + 1);
  }
  return out;
}

/** Ports of the attempts the scenario judged, with their outcome event (ok / FAIL). */
function judgedPorts(c: CheckResult, base: number): Map<number, string> {
  const tl = c.evidence.find((e): e is TimelineEvidence => e.kind === 'timeline')!;
  const out = new Map<number, string>();
  for (const ev of tl.events)
    if (ev.event === 'ok' || ev.event === 'FAIL') out.set(base + Number(/^#(\d+)/.exec(ev.source)![1]) - 1, ev.event);
  return out;
}

describe.skipIf(!witnessedLabNeeds.ok)(witnessedLabNeeds.title('peers.symmetric-connect in a lab (root)'), () => {
  it('tie-break passes, keep-both fails with 2 established, close-both fails with 0 left; the witness counts the same connections', async () => {
    // Each attempt's ports are compared with the witness: no confirmation re-runs on the same ports.
    const r = await runWitnessed([YAML], {
      filter: 'tcp and portrange 27960-28100',
      segments: ['lan'],
      confirmFailures: 0,
    });
    const wit = longLived(r.segments.get(r.runIds[0]!)!.get('lan')!);

    const tie = scenario(r.result, 'tiebreak').checks[0]!;
    expect(earned(tie).verdict).toBe('pass');
    expect(earned(tie).reason).toMatch(
      /^\d+ of \d+ attempts ended with 1 connection\(s\) held ≥ 250 ms, data both ways$/,
    );
    for (const [port] of judgedPorts(tie, 27960)) expect([port, wit.get(port)]).toEqual([port, 1]);

    const keep = scenario(r.result, 'keep-both').checks[0]!;
    expect(earned(keep).verdict).toBe('fail');
    expect(earned(keep).reason).toMatch(
      /both sides kept their own connection \(2 established\) after \d+ of \d+ attempts/,
    );
    expect(matrixOf(keep).cols).toContain('2 established');
    for (const [port, ev] of judgedPorts(keep, 27980)) expect([port, ev, wit.get(port)]).toEqual([port, 'FAIL', 2]);

    const close = scenario(r.result, 'close-both').checks[0]!;
    expect(earned(close).verdict).toBe('fail');
    expect(earned(close).reason).toMatch(
      /each side closed the other's as a duplicate: 0 left after \d+ of \d+ attempts/,
    );
    // Each judged attempt: the witness agrees with the scenario's observer (0 long-lived when FAIL, 1 when ok).
    const closes = judgedPorts(close, 28000);
    expect([...closes.values()]).toContain('FAIL');
    for (const [port, ev] of closes) expect([port, wit.get(port)]).toEqual([port, ev === 'ok' ? 1 : 0]);

    // Peers run until stopped: one that quits mid-run is the product failing, its exit named.
    const quits = scenario(r.result, 'quits').checks[0]!;
    expect(earned(quits).verdict).toBe('fail');
    expect(earned(quits).reason).toMatch(
      /peer-[ab] \(exit code 3\) and peer-[ab] \(exit code 3\) exited mid-run after 1 of 1 attempts/,
    );

    expect(r.exitCode).toBe(1);
    expect(r.root.packets.filter((p) => /HELLO/.test(p.payload))).toEqual([]);
    expect(netnsOfRuns(r.runIds)).toEqual([]);
  }, 240_000);
});
