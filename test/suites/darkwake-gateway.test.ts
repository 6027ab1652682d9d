/**
 * darkwake.churn with your own gateway (`gateway.command`), through the real runner in a real lab
 * (root): the example keepalive server (profiles/sut/keepalive-server.py) as the gateway and the
 * shipped kernel-keepalive reference client. The sessions are read from the wire on the gateway's
 * link: with the client's kernel awake its connection rides through every dark wake; with its link
 * down in sleep the server's keepalive resets it and the client re-handshakes in the dark wakes.
 * And a night whose scaled bounds cross a product's real timers is refused before anything starts.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixEvidence, NumbersEvidence } from '../../harness/model/check.ts';
import type { CheckResult, RunResult, ScenarioResult } from '../../harness/model/results.ts';
import { run } from '../../harness/runner/run.ts';
import { taggedProcesses } from '../helpers/procs.ts';
import { labNeeds, tcpdump } from '../helpers/requires.ts';
import { tempDir } from '../helpers/tmp.ts';
import { earned } from '../helpers/verdict.ts';

const lab = labNeeds();
const wire = tcpdump();
const TAG = `NC_DARKWAKE_GW_TEST_${process.pid}`;
const server = resolve('profiles/sut/keepalive-server.py');
const night = '{ repeat: 3, phases: [{ sleep: 15m }, { darkwake: 30s }] }';
const gateway = `{ command: [${server}, '\${gateway.address}', '\${gateway.port}', --keepalive, '1,1,2'], minReaction: 3s }`;

/** A client with a real 1 s ping that says `stable` once a connection has lasted 2 s (then it is ready). */
const pinger =
  "const net=require('net');const go=()=>{const s=net.connect({host:process.argv[1],port:+process.argv[2]},()=>{const p=setInterval(()=>s.write('p'),1000);const t=setTimeout(()=>console.log('stable'),2000);s.on('close',()=>{clearInterval(p);clearTimeout(t);setTimeout(go,50)})});s.on('error',()=>{})};go();";

const PROFILE = `profile: darkwake-gw-test
lab:
  segments: { lan: {} }
  hosts:
    client: { links: [{ segment: lan }] }
    gateway: { links: [{ segment: lan }] }
scenarios:
  - id: awake
    use: darkwake.churn
    with: { strategy: kernel-keepalive, kernelAwake: true, keepalive: { idleSec: 1, intervalSec: 1, count: 2 }, gateway: ${gateway}, schedule: ${night} }
    expect: { maxReconnectsPerDarkWake: 0, maxHandshakes: 1, sessionSurvivesFullWake: true }
  - id: asleep
    use: darkwake.churn
    with: { strategy: kernel-keepalive, kernelAwake: false, keepalive: { idleSec: 1, intervalSec: 1, count: 2 }, gateway: ${gateway}, schedule: ${night} }
    expect: { maxReconnectsPerDarkWake: 0 }
  - id: timers
    use: darkwake.churn
    with: { strategy: sut, gateway: { dpd: app-heartbeat, dpdTimeout: 3m }, schedule: ${night} }
    sut: { command: [/bin/false], minReaction: 1s }
  - id: undeclared
    use: darkwake.churn
    with: { strategy: sut, gateway: { dpd: app-heartbeat, dpdTimeout: 3m }, schedule: ${night} }
    sut: { command: [node, -e, ${JSON.stringify(pinger)}, '\${gateway.address}', '\${gateway.port}'], ready: { stdout: stable, timeout: 4s } }
  - id: gateway-exits
    use: darkwake.churn
    with: { strategy: kernel-keepalive, gateway: { command: [/bin/sh, -c, 'echo no licence; exit 3'] }, schedule: ${night} }
  - id: gateway-unknown-variable
    use: darkwake.churn
    with: { strategy: kernel-keepalive, gateway: { command: [/bin/true, '\${gateway.host}'] }, schedule: ${night} }
`;

const scenario = (r: RunResult, id: string): ScenarioResult => r.scenarios.find((x) => x.id === id)!;
const churn = (r: RunResult, id: string): CheckResult => scenario(r, id).checks.find((c) => c.name === 'churn')!;
const numbers = (c: CheckResult): NumbersEvidence['values'] =>
  (c.evidence.find((e) => e.kind === 'numbers' && e.title === 'churn') as NumbersEvidence).values;
const matrix = (c: CheckResult): MatrixEvidence => c.evidence.find((e) => e.kind === 'matrix') as MatrixEvidence;

describe.skipIf(!lab.ok || !wire.ok)(
  lab.title(wire.title('darkwake.churn with your own gateway, judged from the wire (root)')),
  () => {
    let result: RunResult;
    beforeAll(async () => {
      const dir = await tempDir('nc-darkwake-gw-');
      const file = join(dir, 'darkwake-gw-test.yaml');
      await writeFile(file, PROFILE);
      process.env[TAG] = '1';
      ({ result } = await run({
        files: [file],
        outDir: join(dir, 'out'),
        reporters: [],
        allowHostNetwork: false,
        interrupt: new AbortController().signal,
      }));
    }, 150_000);

    it('kernel awake: one connection on the wire rides through every dark wake and the full wake', () => {
      const c = earned(churn(result, 'awake'));
      expect(c.verdict, c.reason).toBe('pass');
      expect(c.reason).toBe(
        '0 reconnects in 3 dark wakes, 1 handshake, 0 DPD drops, 0 disconnect alerts, session #1 survived the full wake',
      );
      const n = numbers(churn(result, 'awake'));
      expect(n.gateway).toBe('your command (judged from the wire)');
      const m = matrix(churn(result, 'awake'));
      expect(m.rows).toEqual([
        'before sleep',
        'sleep 1/3',
        'dark wake 1/3',
        'sleep 2/3',
        'dark wake 2/3',
        'sleep 3/3',
        'dark wake 3/3',
        'full wake',
      ]);
      // The connection open at the start of every dark wake is the one open at its end: #1 throughout.
      const start = m.cols.indexOf('open at start');
      const end = m.cols.indexOf('open at end');
      for (const row of m.cells) expect([row[start], row[end]]).toEqual(['#1', '#1']);
      // The server's kernel probed the sleeping client and its kernel answered: probes seen in the sleeps.
      const probes = m.cols.indexOf('keepalive probes client / gateway');
      const sleeps = m.rows.map((r, i) => (r.startsWith('sleep') ? Number(m.cells[i]![probes]!.split(' / ')[1]) : 0));
      expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });

    it('link down in sleep: the server resets the connection (seen on the wire) and the client re-handshakes in the dark wakes', () => {
      const c = earned(churn(result, 'asleep'));
      expect(c.verdict, c.reason).toBe('fail');
      expect(c.reason).toMatch(
        /^re-handshook in [23] of 3 dark wakes \(at most 0 per dark wake allowed\): your gateway closed the connection during sleep \(its FIN or RST on the gateway link\)/,
      );
      const n = numbers(churn(result, 'asleep'));
      expect(Number(n.dpdDropsDuringSleep)).toBeGreaterThanOrEqual(2);
      const m = matrix(churn(result, 'asleep'));
      expect(m.mismatches?.length).toBeGreaterThanOrEqual(2);
      const closed = m.cols.indexOf('closed by gateway');
      expect(
        m.cells.filter((row, i) => m.rows[i]!.startsWith('sleep') && row[closed]!.includes('(RST)')).length,
      ).toBeGreaterThanOrEqual(2);
    });

    it('a client timer longer than the scaled dead-peer timeout is refused before anything starts, with the timeScale that fits', () => {
      const c = churn(result, 'timers');
      expect(c.verdict).toBe('error');
      expect(c.reason).toContain(
        "the gateway emulator's dead-peer timeout (gateway.dpdTimeout 3m) runs 720ms at timeScale 0.004, shorter than your client's 1.0s (sut.minReaction)",
      );
      expect(c.reason).toMatch(/timeScale 0\.034 fits/);
      // Nothing started: the SUT (/bin/false) never ran.
      expect(scenario(result, 'timers').log.join('\n')).not.toMatch(/sut: starting/);
    });

    it('a gateway command that exits, or names an unknown variable, is an error that says so with its output', () => {
      expect(churn(result, 'gateway-exits')).toMatchObject({ verdict: 'error' });
      expect(churn(result, 'gateway-exits').reason).toBe(
        'your gateway command (/bin/sh) did not become ready: it exited (exit code 3); ' +
          'waited for TCP port 4500 listening in gateway; last output: [stdout] no licence',
      );
      expect(churn(result, 'gateway-unknown-variable').reason).toBe(
        'unknown variable ${gateway.host} in gateway.command[1] (known: gateway.address, gateway.port)',
      );
    });

    it('undeclared, the same client is not ready, and the error names the drops that kept it from being so', () => {
      const c = churn(result, 'undeclared');
      expect(c.verdict).toBe('error');
      expect(c.reason).toMatch(
        /^the client did not start: SUT undeclared not ready after 4000 ms .*; meanwhile the gateway dropped \d+ sessions? \(last: app heartbeat: nothing received for \d+ ms \(timeout 720 ms\)\): is its scaled dead-peer timeout shorter than the client's own timers\? \(declare them as sut.minReaction\)$/s,
      );
    });

    afterAll(async () => {
      expect(await taggedProcesses(TAG)).toEqual([]);
      const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      for (const l of result?.labs ?? []) expect(ns).not.toContain(l.runId);
    });
  },
);
