/**
 * tls.client-verifies: does the TLS client under test refuse what a man in the middle presents?
 * Per variant the harness makes a certificate at run time, starts a fresh TLS server with it in
 * one lab host (./lib/server.ts) and the SUT once in another with `${server.address}`,
 * `${server.port}`, `${server.name}` (the certificate's name: SNI and verification; every lab
 * host's /etc/hosts resolves it to the server, for a client that dials by name), `${ca}`
 * (the trusted root, PEM) and `${pin}` (base64 SHA-256 of the valid key's SPKI, RFC 7469 §2.4).
 * The verdict is the server's observation (./lib/outcome.ts), never what the SUT says.
 */
import { Type, type Static } from '@sinclair/typebox';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, type Check, type Evidence } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import type { ProcessExit } from '../../harness/process/types.ts';
import { spkiPin } from '../lib/tls/certs.ts';
import { pemDir } from '../lib/tls/pem-files.ts';
import { EventLog } from '../lib/tunnel/launch.ts';
import { judge, observe, requireControl, type Expected } from './lib/outcome.ts';
import { makeRunPki, presentedFor, VARIANTS, type Variant } from './lib/variants.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
/** After the SUT exits, the server's last events (an alert, the close) still have to arrive. */
const GRACE_MS = 400;
const SERVER_START_MS = 15_000;

const Outcome = Type.Union([Type.Literal('accepted'), Type.Literal('refused')]);
const variantProps = Object.fromEntries(
  VARIANTS.map((v) => [
    v,
    Type.Optional({ ...Outcome, description: `what the SUT must do with the ${v} certificate` }),
  ]),
);

const With = Type.Object(
  {
    clientHost: Type.String({ default: 'client', description: 'lab host the SUT runs in when sut.host is not set' }),
    serverHost: Type.String({
      default: 'server',
      description: 'lab host the TLS server runs in (its first IPv4 address is ${server.address})',
    }),
    port: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 4443,
      description: "the server's TCP port (${server.port})",
    }),
    serverName: Type.String({
      default: 'tls-server.netconform.test',
      pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$',
      description:
        'DNS name the certificates are issued to (${server.name}); the SUT must use it for SNI and verification',
    }),
    variantTimeoutMs: Type.Integer({
      minimum: 500,
      maximum: 60000,
      default: 8000,
      description:
        'per variant: time from the SUT start until the server must have seen it connect; a SUT that is still running after it is stopped',
    }),
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    variants: Type.Optional(
      Type.Object(variantProps, {
        additionalProperties: false,
        minProperties: 1,
        description:
          'the variants to run and what the SUT must do with each; default: all (pinned-mismatch only with pins: true), only valid accepted',
      }),
    ),
    pins: Type.Boolean({
      default: false,
      description: 'the SUT pins the server key (${pin}): adds pinned-mismatch (refused) to the default variants',
    }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect> & { variants?: Partial<Record<Variant, Expected>> };

/**
 * The variants to run and their expectations. `valid` (accepted) always runs, first: it is the
 * control without which a refusal proves nothing (./lib/outcome.ts requireControl).
 */
export function planVariants(e: Expect): Array<[Variant, Expected]> | string {
  if (e.variants) {
    if (e.variants['pinned-mismatch'] && !e.pins)
      return 'expect.variants lists pinned-mismatch but expect.pins is false: only a SUT that pins ${pin} can refuse it';
    if (e.variants.valid === 'refused')
      return 'expect.variants says valid: refused, but the valid certificate is the control every refusal is judged against: a client must accept it';
    return VARIANTS.filter((v) => v === 'valid' || e.variants![v]).map((v) => [
      v,
      v === 'valid' ? 'accepted' : e.variants![v]!,
    ]);
  }
  return VARIANTS.filter((v) => v !== 'pinned-mismatch' || e.pins).map((v) => [
    v,
    v === 'valid' ? 'accepted' : 'refused',
  ]);
}

const describeExit = (x: ProcessExit | undefined): string =>
  !x
    ? 'was still running (stopped by the harness)'
    : x.signal
      ? `was killed by ${x.signal}`
      : `exited with code ${x.code}`;
const tail = (out: readonly string[]): string =>
  out
    .slice(-4)
    .map((l) => l.slice(0, 200))
    .join(' | ') || '(nothing)';
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((r) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export default defineScenario<With, Expect>({
  id: 'tls.client-verifies',
  summary:
    'the TLS client refuses what a MITM presents (untrusted CA, wrong name, expired, self-signed, weak key, SHA-1, …) and accepts the valid certificate; the server side decides',
  platforms: ['linux'],
  requires: ['linux', 'root', 'lab', 'sut'],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 180_000,
  sutVariables: {
    'server.address': { description: "the TLS server's IPv4 address" },
    'server.port': { description: "the TLS server's port" },
    'server.name': { description: 'the name the certificates are issued to: use it for SNI and verification' },
    ca: { description: 'the trusted root, a PEM file' },
    pin: { description: "base64 SHA-256 of the valid key's SPKI (RFC 7469 §2.4)" },
  },
  async run(ctx, { with: w, expect: e }, signal): Promise<Check[]> {
    const plan = planVariants(e);
    if (typeof plan === 'string') return [check.error('tls.client-verifies', plan)];
    if (!ctx.sut)
      return [
        check.error(
          'tls.client-verifies',
          'tls.client-verifies drives the TLS client under test: add sut: { command: [...] } to the profile or the scenario',
        ),
      ];
    const lab = ctx.lab!;
    const clientHost = ctx.sut.host ?? w.clientHost;
    const address = lab
      .host(w.serverHost)
      .interfaces()
      .map((i) => i.ipv4?.address)
      .find(Boolean);
    if (!address) return [check.error('tls.client-verifies', `server host ${w.serverHost} has no IPv4 address`)];
    // A client that dials ${server.name} rather than ${server.address} resolves it to the server.
    lab.addNames({ [w.serverName]: address });
    ctx.defer(() => lab.removeNames([w.serverName]));

    const pki = await makeRunPki(w.serverName);
    const files = await pemDir('tls-', (f) => ctx.defer(f), lab);
    const caFile = await files.write('ca.pem', pki.caPem);
    const pin = await spkiPin(pki.pinned);
    const log = new EventLog(ctx);
    const rows: string[][] = [];
    const checks: Check[] = [];

    for (const [index, [v, expected]] of plan.entries()) {
      signal.throwIfAborted();
      ctx.progress(`certificate variant ${index + 1}/${plan.length}: ${v}`);
      const name = `${v} (expect ${expected})`;
      const who = `server:${v}`;
      const presented = await presentedFor(v, pki);
      const cert = await files.write(`${v}-chain.pem`, presented.chainPem);
      const key = await files.write(`${v}-key.pem`, presented.keyPem, 0o600);
      const server = ctx.spawn(
        [
          process.execPath,
          '--import',
          'tsx',
          resolve(here, 'lib/server.ts'),
          '--address',
          address,
          '--port',
          String(w.port),
          '--cert',
          cert,
          '--key',
          key,
        ],
        {
          host: w.serverHost,
          cwd: repoRoot,
          onLine: (stream, line) => {
            if (!(stream === 'stdout' && log.line(who, 'gateway', line))) ctx.log(`${who} ${stream}: ${line}`);
          },
        },
      );
      const up = await Promise.race([
        log.waitFor((x) => x.who === who && (x.event === 'listening' || x.event === 'fatal'), SERVER_START_MS, signal),
        server.exited.then(() => undefined),
      ]);
      if (up?.event !== 'listening') {
        await server.stop(1000);
        const why = up?.detail ?? `no listening event within ${SERVER_START_MS} ms; output: ${tail(server.output)}`;
        // The server plays the attacker at OpenSSL security level 0; a build that still cannot load the key cannot run this variant.
        if (v === 'weak-key' || v === 'sha1-signature')
          checks.push(check.skip(name, `the server cannot present this certificate (${presented.what}): ${why}`));
        else checks.push(check.error(name, `the TLS server did not start in ${w.serverHost}: ${why}`));
        rows.push([v, expected, 'not run', up?.detail ?? 'server did not start']);
        continue;
      }
      const startedAt = ctx.elapsedMs();
      log.mark('harness', `variant ${v}`, presented.what);
      let exit: ProcessExit | undefined;
      let sutOutput: readonly string[] = [];
      try {
        const sut = await ctx.startSut(
          { ...ctx.sut, host: clientHost },
          { 'server.address': address, 'server.port': String(w.port), 'server.name': w.serverName, ca: caFile, pin },
        );
        sutOutput = sut.process.output;
        void sut.process.exited.then((x) => {
          exit = x;
        });
        await Promise.race([
          log.waitFor((x) => x.who === who && x.event === 'app-data', w.variantTimeoutMs, signal),
          sut.process.exited.then(() => sleep(GRACE_MS, signal)),
        ]);
        await sut.stop();
      } catch (err) {
        sutOutput = [`(the SUT did not start: ${(err as Error).message})`];
      }
      await sleep(100, signal); // the server's close event after the SUT is gone
      await server.stop(1000);
      const events = log.events.filter((x) => x.who === who);
      const o = observe(events);
      const evidence: Evidence[] = [
        { kind: 'text', title: `${v}: what the server presented`, text: presented.what },
        log.timelineEvidence(
          `${v}: server and SUT`,
          (x) => (x.who === who || (x.who === 'harness' && x.event === `variant ${v}`)) && x.t >= startedAt - 50,
        ),
        {
          kind: 'text',
          title: `${v}: SUT output (last 20 lines)`,
          text: sutOutput.slice(-20).join('\n') || '(no output)',
        },
      ];
      const c = judge(v, expected, o, { ended: describeExit(exit), printed: tail(sutOutput) }, evidence);
      checks.push(c);
      const saw = o.kind === 'accepted' ? `${o.handshake}; ${o.bytes} B data` : o.kind === 'refused' ? o.how : o.why;
      const observed = o.clear.bytes > 0 ? `${o.kind} + ${o.clear.bytes} B in clear` : o.kind;
      rows.push([v, expected, observed, saw]);
    }
    const mismatches = rows.flatMap((r, i): Array<[number, number]> => (r[2] !== r[1] ? [[i, 2]] : []));
    const matrix: Evidence = {
      kind: 'matrix',
      title: 'variant × what the server saw',
      rowLabel: 'variant',
      colLabel: '',
      rows: rows.map((r) => r[0]!),
      cols: ['expected', 'observed', 'server saw'],
      cells: rows.map((r) => r.slice(1)),
      mismatches,
      legend:
        'accepted = handshake completed and application data arrived; refused = a ClientHello arrived and no application data; never-tried = no ClientHello (an error); in clear = application bytes on a plaintext connection (a failure)',
    };
    const judged = requireControl(
      checks,
      checks.find((c) => c.name.startsWith('valid ')),
    );
    if (judged[0]) judged[0] = { ...judged[0], evidence: [matrix, ...(judged[0].evidence ?? [])] };
    return judged;
  },
});
