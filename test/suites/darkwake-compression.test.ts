/**
 * Sleep compression keeps the verdicts (root, lab): every reference strategy of darkwake.churn
 * runs the same short night of 15-minute sleeps twice, compressed (the default) and not, and
 * the verdict and the churn counts are the same; the compressed night says how it was cut.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NumbersEvidence } from '../../harness/model/check.ts';
import type { CheckResult, RunResult } from '../../harness/model/results.ts';
import { run } from '../../harness/runner/run.ts';
import { labNeeds } from '../helpers/requires.ts';
import { tempDir } from '../helpers/tmp.ts';
import { earned } from '../helpers/verdict.ts';

const lab = labNeeds();
const night = '{ repeat: 3, phases: [{ sleep: 15m }, { darkwake: 30s }] }';
const STRATEGIES: Record<string, string> = {
  'heartbeat-naive': `strategy: heartbeat-naive, gateway: { dpd: app-heartbeat, dpdTimeout: 3m }`,
  'wake-aware': `strategy: wake-aware, gateway: { dpd: app-heartbeat, dpdTimeout: 3m }`,
  'kernel-keepalive': `strategy: kernel-keepalive, kernelAwake: true, gateway: { dpd: tcp-keepalive }`,
};
const EXPECT = '{ maxReconnectsPerDarkWake: 0, maxHandshakes: 2, maxDisconnectAlerts: 0 }';

const PROFILE = `profile: darkwake-compression
lab:
  segments: { lan: {} }
  hosts:
    client: { links: [{ segment: lan }] }
    gateway: { links: [{ segment: lan }] }
scenarios:
${Object.entries(STRATEGIES)
  .flatMap(([id, w]) =>
    [true, false].map(
      (c) => `  - id: ${id}-${c ? 'compressed' : 'full'}
    use: darkwake.churn
    with: { ${w}, compressSleep: ${c}, schedule: ${night} }
    expect: ${EXPECT}
`,
    ),
  )
  .join('')}`;

const numbers = (c: CheckResult, title: string): NumbersEvidence['values'] =>
  (c.evidence.find((e) => e.kind === 'numbers' && e.title === title) as NumbersEvidence).values;

describe.skipIf(!lab.ok)(lab.title('sleep compression (root, lab)'), () => {
  let result: RunResult;
  beforeAll(async () => {
    const dir = await tempDir('nc-compress-');
    const file = join(dir, 'p.yaml');
    await writeFile(file, PROFILE);
    ({ result } = await run({
      files: [file],
      outDir: join(dir, 'out'),
      reporters: [],
      allowHostNetwork: false,
      interrupt: new AbortController().signal,
    }));
  }, 360_000); // 6 nights, ≈ 60 s planned, failures confirmed; a loaded machine (tsx start-ups) doubles it

  const check = (id: string, name: string): CheckResult =>
    result.scenarios.find((s) => s.id === id)!.checks.find((c) => c.name === name)!;
  const churn = (id: string): CheckResult => check(id, 'churn');

  for (const strategy of Object.keys(STRATEGIES)) {
    it(`${strategy}: the same verdict and counts compressed as not; the evidence says how the night was cut`, () => {
      const [cut, full] = [churn(`${strategy}-compressed`), churn(`${strategy}-full`)];
      const [[ec, ef]] = [[earned(cut), earned(full)]];
      // A run the machine made late (e.g. the client got no CPU in a dark wake) is an error, and its counts prove nothing.
      const late = [ec, ef].filter((x) => x.late);
      if (!late.length) {
        expect(ec.verdict).toBe(strategy === 'heartbeat-naive' ? 'fail' : 'pass');
        expect(ef.verdict).toBe(ec.verdict);
      }
      const keys = [
        'darkWakes',
        'reconnectsPerDarkWake',
        'handshakes',
        'dpdDropsDuringSleep',
        'disconnectAlerts',
        'sessionSurvivesFullWake',
      ];
      const pick = (c: CheckResult) => Object.fromEntries(keys.map((k) => [k, numbers(c, 'churn')[k]]));
      if (!late.length) expect(pick(cut), `compressed: ${cut.reason}\nfull: ${full.reason}`).toEqual(pick(full));
      else console.warn(`${strategy}: not compared, the harness was late: ${late.map((x) => x.reason).join(' | ')}`);
      const [sc, sf] = [
        numbers(check(`${strategy}-compressed`, 'schedule timing'), 'schedule'),
        numbers(check(`${strategy}-full`, 'schedule timing'), 'schedule'),
      ];
      expect(sf.sleepsCompressedTo).toBeNull();
      expect(sf.compression).toBe('none');
      expect(Number(sc.sleepsCompressedTo)).toBeLessThan(3600);
      expect(String(sc.compression)).toMatch(/nothing observes the rest of a sleep/);
      expect(Number(sc.plannedMs)).toBeLessThan(Number(sf.plannedMs) / 2);
    });
  }
});
