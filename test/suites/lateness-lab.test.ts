/**
 * A harness made late on purpose, in a real lab (root): the verdict is `error` naming the
 * lateness and its bound, never `fail`.
 * - darkwake.churn: this process (it runs the harness) blocks its own event loop for 300 ms
 *   the moment the client is resumed for a dark wake, so that dark wake runs long.
 * - darkwake.flows-after-wake with the good proxy: the flow prober (the harness's helper) is
 *   SIGSTOPped from the first sleep until the dark wake after it is over, so its probe starts
 *   late, against a proxy that is asleep again.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/model/results.ts';
import { run } from '../../harness/runner/run.ts';
import { taggedProcesses } from '../helpers/procs.ts';
import { labNeeds } from '../helpers/requires.ts';
import { tempDir } from '../helpers/tmp.ts';
import { HARNESS_LATE } from '../helpers/verdict.ts';

const lab = labNeeds();
const TAG = `NC_LATENESS_TEST_${process.pid}`;
const LAB = `lab:
  segments: { lan: {} }
  hosts:
    client: { links: [{ segment: lan }] }
    gateway: { links: [{ segment: lan }] }
`;

const busy = (ms: number): void => {
  const t = performance.now();
  while (performance.now() - t < ms) {
    /* the harness is late */
  }
};
const stateOf = (pid: number): string => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return '?';
  }
};
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The pid of this test's tool process whose command line contains `tool`, once it exists. */
async function toolPid(tool: string, until: () => boolean): Promise<number | undefined> {
  while (!until()) {
    const p = (await taggedProcesses(TAG)).find((x) => x.cmd.includes(`tunnel/${tool}.ts`));
    if (p) return p.pid;
    await pause(20);
  }
  return undefined;
}

/** Resolves when `pid` has been stopped ('T') and then resumed; polls every 5 ms. */
async function resumedAfterStop(pid: number, until: () => boolean): Promise<boolean> {
  let stopped = false;
  while (!until()) {
    const st = stateOf(pid);
    if (st === 'T') stopped = true;
    else if (stopped) return true;
    await pause(5);
  }
  return false;
}

/** `lateReruns` 0 by default here: these tests look at the lateness error of the attempt they meddled with. */
async function runProfile(
  name: string,
  body: string,
  meddle: (done: () => boolean) => Promise<void>,
  lateReruns = 0,
): Promise<RunResult> {
  const dir = await tempDir('nc-lateness-');
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, `profile: ${name}\n${LAB}scenarios:\n${body}`);
  process.env[TAG] = '1';
  let finished = false;
  const running = run({
    files: [file],
    outDir: join(dir, 'out'),
    reporters: [],
    allowHostNetwork: false,
    lateReruns,
    interrupt: new AbortController().signal,
  });
  const meddling = meddle(() => finished);
  const { result } = await running.finally(() => {
    finished = true;
  });
  await meddling;
  delete process.env[TAG];
  return result;
}

const LATE_CHURN = `  - id: late
    use: darkwake.churn
    with: { strategy: wake-aware, schedule: { repeat: 3, phases: [{ sleep: 5m }, { darkwake: 30s }] } }
    expect: { maxReconnectsPerDarkWake: 0, maxHandshakes: 2 }
`;
/** Blocks this process (it runs the harness) for 600 ms once the client is resumed for its first dark wake: only in the first attempt. */
async function blockAtFirstDarkWake(done: () => boolean): Promise<void> {
  const pid = await toolPid('client', done);
  if (pid && (await resumedAfterStop(pid, done))) busy(600); // past the dark wake's end (30 s scaled = 120 ms, raised to minDarkWake 300 ms): it lasts twice as long
}

describe.skipIf(!lab.ok)(lab.title('a harness made late on purpose (root, lab)'), () => {
  it('darkwake.churn: the harness blocked for 600 ms in a 300 ms dark wake is an error naming the phase and the bound', async () => {
    const result = await runProfile('late-churn', LATE_CHURN, blockAtFirstDarkWake);
    const checks = result.scenarios[0]!.checks;
    expect(checks.map((c) => c.verdict)).not.toContain('fail');
    const churn = checks.find((c) => c.name === 'churn')!;
    expect(churn.verdict, churn.reason).toBe('error');
    expect(churn.reason).toMatch(/^the harness could not keep the schedule: .*dark wake 1\/3.*\(bound ±?\d+ ms\)/);
    expect(churn.cause).toBe('harness-late');
    expect(churn.reason).toMatch(/; the SUT is not judged \(it would have (passed|failed): .*\)$/);
    const timing = checks.find((c) => c.name === 'schedule timing')!;
    expect(timing.verdict).toBe('error');
    expect(timing.reason.startsWith(HARNESS_LATE)).toBe(true);
    const ev = churn.evidence.find((e) => e.kind === 'numbers' && e.title === 'harness lateness');
    expect(ev && ev.kind === 'numbers' && Number(ev.values.overBound)).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('with the default --late-reruns the disturbed attempt is set aside and the clean re-run judges the client', async () => {
    const result = await runProfile('late-churn-rerun', LATE_CHURN, blockAtFirstDarkWake, 2);
    const s = result.scenarios[0]!;
    expect(s.lateReruns?.[0]?.attempt).toBe(1);
    expect(s.lateReruns?.[0]?.reason).toMatch(/^the harness could not keep the schedule: .*dark wake 1\/3/);
    const churn = s.checks.find((c) => c.name === 'churn')!;
    expect(churn.verdict, churn.reason).toBe('pass');
    expect(churn.attempt).toBeGreaterThan(1);
  }, 180_000);

  it('darkwake.flows-after-wake: a stopped prober makes its flow an error, not a fail of the good proxy', async () => {
    const result = await runProfile(
      'late-flows',
      `  - id: late
    use: darkwake.flows-after-wake
    with: { proxy: good, schedule: { repeat: 2, phases: [{ sleep: 5m }, { darkwake: 1m }] } }
`,
      async (done) => {
        const prober = await toolPid('prober', done);
        const proxy = await toolPid('proxy', done);
        if (!prober || !proxy) return;
        // Stop the prober once the proxy sleeps; let it go after the dark wake that follows.
        while (!done() && stateOf(proxy) !== 'T') await pause(5);
        process.kill(prober, 'SIGSTOP');
        try {
          if (await resumedAfterStop(proxy, done)) await pause(400);
        } finally {
          process.kill(prober, 'SIGCONT');
        }
      },
    );
    const c = result.scenarios[0]!.checks[0]!;
    expect(c.verdict, c.reason).toBe('error');
    expect(c.reason).toMatch(
      /^the harness could not keep the schedule: the prober('s event loop during| began) the flow at dark wake 1\/2/,
    );
    expect(c.reason).toMatch(/it would have failed: new flows failed (from|at) /);
  }, 90_000);
});
