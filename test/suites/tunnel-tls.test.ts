/**
 * The TLS gateway (`darkwake.churn` with `gateway.tls: true`): the certificate is generated at
 * run time in-process (no openssl) and removed; the reference client verifies it and refuses another one with a clear
 * error; in a real lab (root) the churn verdicts over TLS are those over plain TCP, a SUT gets
 * `${gateway.tls}` / `${gateway.ca}`, and a SUT that does not trust the certificate is an
 * error check naming the failed TLS handshakes. Nothing is left behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taggedProcesses } from '../helpers/procs.ts';
import type { NumbersEvidence } from '../../harness/model/check.ts';
import type { CheckResult, RunResult } from '../../harness/model/results.ts';
import { run } from '../../harness/runner/run.ts';
import { generateGatewayCert } from '../../suites/lib/tunnel/cert.ts';
import { parseEventLine, type ToolEvent } from '../../suites/lib/tunnel/events.ts';
import { toolArgv } from '../../suites/lib/tunnel/launch.ts';
import { labNeeds, openssl } from '../helpers/requires.ts';
import { earned } from '../helpers/verdict.ts';

const withOpenssl = openssl();
const TAG = `NC_TLS_TEST_${process.pid}`;
const never = new AbortController().signal;
/** The scenarios' certificate dirs (cert.ts names them nc-gwtls-*). */
const certDirs = async (): Promise<string[]> => (await readdir(tmpdir())).filter((d) => d.startsWith('nc-gwtls-'));

/** A cert pair in a temp dir; returns it and the cleanup the scenario's ctx.defer would run. */
async function certFor(
  address: string,
): Promise<{ cert: string; key: string; dir: string; cleanup: () => Promise<void> }> {
  const cleanups: Array<() => unknown> = [];
  const r = await generateGatewayCert(address, (f) => cleanups.push(f), never);
  if (!r.ok) throw new Error(r.reason);
  return {
    ...r.cert,
    cleanup: async () => {
      for (const f of cleanups.reverse()) await f();
    },
  };
}

describe('gateway certificate generation', () => {
  it('needs no openssl (made in-process): generated with an empty PATH; cleanup removes it', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent-nc';
    let c: Awaited<ReturnType<typeof certFor>>;
    try {
      c = await certFor('127.0.0.1');
    } finally {
      process.env.PATH = saved;
    }
    const x = new X509Certificate(await readFile(c.cert));
    expect(x.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(x.verify(x.publicKey)).toBe(true); // self-signed
    expect((await stat(c.key)).mode & 0o777).toBe(0o600);
    await c.cleanup();
    expect(existsSync(c.dir)).toBe(false);
  });

  it('refuses an address outside the lab and loopback', async () => {
    await expect(generateGatewayCert('8.8.8.8', () => undefined, never)).rejects.toMatchObject({
      code: 'ERR_UNSAFE_DESTINATION',
      address: '8.8.8.8',
    });
  });

  it.skipIf(!withOpenssl.ok)(
    withOpenssl.title('makes a P-256 self-signed certificate naming the gateway IP; cleanup removes it'),
    async () => {
      const c = await certFor('198.18.0.2');
      const text = execFileSync('openssl', ['x509', '-in', c.cert, '-noout', '-text'], { encoding: 'utf8' });
      expect(text).toMatch(/Subject: CN ?= ?netconform-gateway/);
      expect(text).toMatch(/IP Address:198\.18\.0\.2/);
      expect(text).toMatch(/prime256v1|P-256/);
      await c.cleanup();
      expect(existsSync(c.dir)).toBe(false);
    },
  );
});

interface ToolRun {
  events: ToolEvent[];
  exited: Promise<number | null>;
  kill: () => void;
  waitFor: (pred: (e: ToolEvent) => boolean, ms: number) => Promise<ToolEvent | undefined>;
}

/** A tunnel tool on loopback (no lab needed), its JSON-line events collected. */
function tool(name: 'gateway' | 'client', args: string[]): ToolRun {
  const [cmd, ...rest] = toolArgv(name, args);
  const p = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: ToolEvent[] = [];
  const waiters: Array<{ pred: (e: ToolEvent) => boolean; done: (e: ToolEvent) => void }> = [];
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const e = parseEventLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (!e) continue;
      events.push(e);
      for (const w of [...waiters]) if (w.pred(e)) w.done(e);
    }
  });
  return {
    events,
    exited: new Promise((r) => p.on('exit', (code) => r(code))),
    kill: () => p.kill('SIGTERM'),
    waitFor: (pred, ms) =>
      new Promise((r) => {
        const seen = events.find(pred);
        if (seen) return r(seen);
        const t = setTimeout(() => r(undefined), ms);
        waiters.push({
          pred,
          done: (e) => {
            clearTimeout(t);
            r(e);
          },
        });
      }),
  };
}

describe('reference client and gateway over TLS on loopback', () => {
  let gw: ToolRun;
  let good: Awaited<ReturnType<typeof certFor>>;
  let other: Awaited<ReturnType<typeof certFor>>;
  let port = 0;
  beforeAll(async () => {
    good = await certFor('127.0.0.1');
    other = await certFor('127.0.0.1'); // same name, another key: only the right CA verifies
    gw = tool('gateway', [
      '--address',
      '127.0.0.1',
      '--port',
      '0',
      '--dpd',
      'none',
      '--tls-cert',
      good.cert,
      '--tls-key',
      good.key,
    ]);
    port = (await gw.waitFor((e) => e.event === 'listening', 10_000))!.n!.port!;
  }, 20_000);
  afterAll(async () => {
    gw?.kill();
    await gw?.exited;
    await good?.cleanup();
    await other?.cleanup();
  });

  it('verifies the generated certificate: a TLS session is the handshake, with protocol and cipher on both sides', async () => {
    const c = tool('client', [
      '--gateway',
      '127.0.0.1',
      '--port',
      String(port),
      '--tls-ca',
      good.cert,
      '--strategy',
      'kernel-keepalive',
      '--keepalive',
      '1,1,2',
    ]);
    try {
      expect(await c.waitFor((e) => e.event === 'handshake', 10_000)).toBeDefined();
      expect(c.events.find((e) => e.event === 'tls-handshake')?.detail).toMatch(
        /^TLSv1\.[23] \S+; certificate verified against /,
      );
      // keepalive lands on the TCP socket under TLS
      expect((await c.waitFor((e) => e.event === 'keepalive-set', 5000))?.n).toMatchObject({
        idleSec: 1,
        intervalSec: 1,
        count: 2,
      });
      const g = await gw.waitFor((e) => e.event === 'tls-handshake', 5000);
      expect(g?.detail).toMatch(/^127\.0\.0\.1:\d+ TLSv1\.[23] \S+$/);
      expect(await gw.waitFor((e) => e.event === 'handshake', 5000)).toBeDefined();
    } finally {
      c.kill();
      await c.exited;
    }
  }, 20_000);

  it('a client given the wrong CA stops with a clear fatal error; the gateway logs the failed handshake, no session', async () => {
    const before = gw.events.filter((e) => e.event === 'handshake').length;
    const c = tool('client', ['--gateway', '127.0.0.1', '--port', String(port), '--tls-ca', other.cert]);
    const code = await c.exited;
    expect(code).toBe(4);
    const fatal = c.events.find((e) => e.event === 'fatal');
    expect(fatal?.detail).toMatch(/^TLS: the gateway's certificate did not verify against .*: [A-Z_]+ \(/);
    expect(c.events.some((e) => e.event === 'handshake')).toBe(false);
    expect(await gw.waitFor((e) => e.event === 'tls-error', 5000)).toBeDefined();
    expect(gw.events.filter((e) => e.event === 'handshake').length).toBe(before);
  }, 20_000);
});

const night = '{ repeat: 3, phases: [{ sleep: 5m }, { darkwake: 30s }] }';
const MARK = 'nc-tls-test-sut';
/** A black-box TLS SUT: trusts the CA file in argv, retries every 200 ms, writes bytes as liveness. */
const sutBody = `const tls=require('tls'),fs=require('fs');const [h,p,on,ca]=process.argv.slice(1);if(on!=='1'){console.error('gateway.tls='+on);process.exit(7)}
function go(){const s=tls.connect({host:h,port:+p,ca:fs.readFileSync(ca)},()=>{console.log('connected');setInterval(()=>s.write('x'),100)});s.on('error',e=>{console.error(e.code);setTimeout(go,200)})}go();`;
const sut = (ca: string): string =>
  `{ command: [node, -e, ${JSON.stringify(sutBody)}, '\${gateway.address}', '\${gateway.port}', '\${gateway.tls}', ${ca}, ${MARK}] }`;

function profile(wrongCa: string): string {
  return `profile: tls-test
lab:
  segments: { lan: {} }
  hosts:
    client: { links: [{ segment: lan }] }
    gateway: { links: [{ segment: lan }] }
scenarios:
  - id: naive-tls
    use: darkwake.churn
    with: { strategy: heartbeat-naive, gateway: { tls: true }, schedule: ${night} }
    expect: { maxReconnectsPerDarkWake: 0, maxHandshakes: 2 }
  - id: kernel-keepalive-tls
    use: darkwake.churn
    with: { strategy: kernel-keepalive, kernelAwake: true, gateway: { dpd: tcp-keepalive, tls: true }, schedule: ${night} }
    expect: { maxReconnectsPerDarkWake: 0, maxHandshakes: 1, sessionSurvivesFullWake: true }
  - id: sut-tls
    use: darkwake.churn
    with: { strategy: sut, kernelAwake: true, gateway: { dpd: tcp-keepalive, tls: true }, schedule: { repeat: 1, phases: [{ sleep: 5m }, { darkwake: 30s }] } }
    expect: { maxReconnectsPerDarkWake: 0, maxHandshakes: 1 }
    sut: ${sut("'${gateway.ca}'")}
  - id: sut-wrong-ca
    use: darkwake.churn
    with: { strategy: sut, startTimeout: 2s, gateway: { tls: true }, schedule: { repeat: 1, phases: [{ sleep: 5m }, { darkwake: 30s }] } }
    sut: ${sut(JSON.stringify(wrongCa))}
`;
}

describe.skipIf(!labNeeds().ok)(labNeeds().title('darkwake.churn over TLS in a lab (root)'), () => {
  let result: RunResult;
  let wrong: Awaited<ReturnType<typeof certFor>>;
  let dir = '';
  let dirsBefore: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nc-tls-'));
    wrong = await certFor('127.0.0.1');
    dirsBefore = await certDirs();
    const file = join(dir, 'tls-test.yaml');
    await writeFile(file, profile(wrong.cert));
    process.env[TAG] = '1';
    ({ result } = await run({
      files: [file],
      outDir: join(dir, 'out'),
      reporters: [],
      allowHostNetwork: false,
      interrupt: new AbortController().signal,
    }));
  }, 90_000);
  const churn = (id: string): CheckResult =>
    result.scenarios.find((s) => s.id === id)!.checks.find((c) => c.name === 'churn')!;
  const timeline = (c: CheckResult) => c.evidence.flatMap((e) => (e.kind === 'timeline' ? e.events : []));

  it('heartbeat-naive fails naming the pattern, as over plain TCP; every re-handshake is a new TLS session', () => {
    const c = churn('naive-tls');
    // On a busy machine the check is an `error` naming the harness's lateness; the would-be verdict is still asserted.
    const e = earned(c);
    expect(e.verdict, c.reason).toBe('fail');
    expect(e.reason).toMatch(
      /^re-handshook in [23] of 3 dark wakes \(at most 0 per dark wake allowed\): the gateway's heartbeat DPD dropped the session during sleep/,
    );
    const tl = timeline(c);
    const tlsSessions = tl.filter((e) => e.source === 'gateway' && e.event === 'tls-handshake');
    expect(tlsSessions.length).toBe(tl.filter((e) => e.source === 'gateway' && e.event.startsWith('handshake')).length);
    expect(tlsSessions[0]!.detail).toMatch(/ TLSv1\.[23] \S+$/);
    expect((c.evidence.find((e) => e.kind === 'numbers' && e.title === 'churn') as NumbersEvidence).values.tls).toBe(
      true,
    );
  });

  it('kernel-keepalive passes with the same counts as over plain TCP', () => {
    const c = churn('kernel-keepalive-tls');
    const e = earned(c);
    expect(e.verdict, c.reason).toBe('pass');
    expect(e.reason).toBe(
      '0 reconnects in 3 dark wakes, 1 handshake, 0 DPD drops, 0 disconnect alerts, session #1 survived the full wake',
    );
    expect(timeline(c).some((e) => e.source === 'client' && e.event === 'tls-handshake')).toBe(true);
  });

  it('a SUT gets ${gateway.tls} and ${gateway.ca} and its TLS session is the handshake', () => {
    const c = churn('sut-tls');
    expect(earned(c).verdict, c.reason).toBe('pass');
    expect(timeline(c).filter((e) => e.source === 'gateway' && e.event === 'tls-handshake')).toHaveLength(1);
  });

  it('a SUT trusting the wrong CA is an error check naming the failed TLS handshakes, not a pass', () => {
    const c = churn('sut-wrong-ca');
    expect(c.verdict).toBe('error');
    expect(c.reason).toMatch(
      /^the sut never connected to the gateway \(no handshake within 2(\.0)?s\); the gateway saw \d+ failed TLS handshakes? \(last: .*TLS handshake failed.*\): does the client trust \$\{gateway\.ca\}\?/,
    );
  });

  afterAll(async () => {
    await wrong?.cleanup();
    expect(await taggedProcesses(TAG)).toEqual([]);
    const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const l of result?.labs ?? []) expect(ns).not.toContain(l.runId);
    // The scenarios' generated certificates are gone with them.
    expect((await certDirs()).filter((d) => !dirsBefore.includes(d))).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });
});
