// A few interrupted runs of the real CLI (the fast version of `npm run stress:interrupts`):
// each must leave nothing of its own behind and print nothing untrue. A run killed by the
// signal itself (before its handler exists) must not have created anything yet.
import { describe, expect, it } from 'vitest';
import { interruptedRun, type InterruptOptions } from './interrupts-lib.ts';

const isRoot = process.getuid?.() === 0;

const cases: Array<[string, InterruptOptions]> = [
  [
    'SIGINT during start-up (before or after the handler exists)',
    { kind: 'SIGINT', from: 'spawn', delayMs: Math.floor(Math.random() * 3000), profile: 'profiles/broadcast.yaml' },
  ],
  [
    'SIGKILL of the group early in the run, then lab gc',
    { kind: 'SIGKILL', from: 'output', delayMs: Math.floor(Math.random() * 400), profile: 'profiles/broadcast.yaml' },
  ],
  [
    'SIGTERM mid-run',
    {
      kind: 'SIGTERM',
      from: 'output',
      delayMs: 500 + Math.floor(Math.random() * 1500),
      profile: 'profiles/lab-example.yaml',
    },
  ],
  [
    'Ctrl-C, then a second Ctrl-C during the lab teardown',
    {
      kind: 'SIGINT2',
      from: 'output',
      delayMs: 300 + Math.floor(Math.random() * 1500),
      secondInTeardown: true,
      secondMs: Math.floor(Math.random() * 60),
      profile: 'profiles/lab-example.yaml',
    },
  ],
  [
    'SIGHUP to the group mid-run (the terminal closed)',
    { kind: 'SIGHUP', from: 'output', delayMs: Math.floor(Math.random() * 2500), profile: 'profiles/lab-example.yaml' },
  ],
  [
    'SIGQUIT to the group (Ctrl-\\) during start-up',
    { kind: 'SIGQUIT', from: 'spawn', delayMs: Math.floor(Math.random() * 3000), profile: 'profiles/broadcast.yaml' },
  ],
  [
    'SIGHUP while the TLS scenario holds its keys',
    { kind: 'SIGHUP', from: 'files', delayMs: Math.floor(Math.random() * 500), profile: 'profiles/tls.yaml' },
  ],
  [
    'SIGKILL while the TLS scenario holds its keys, then lab gc',
    { kind: 'SIGKILL', from: 'files', delayMs: Math.floor(Math.random() * 500), profile: 'profiles/tls.yaml' },
  ],
  [
    'Ctrl-C twice',
    {
      kind: 'SIGINT2',
      from: 'output',
      delayMs: Math.floor(Math.random() * 2500),
      secondMs: Math.floor(Math.random() * 300),
      profile: 'profiles/lab-example.yaml',
    },
  ],
];

describe.skipIf(!isRoot)(`interrupted runs leave nothing${isRoot ? '' : ' (skipped: needs root for labs)'}`, () => {
  it.each(cases)(
    '%s',
    async (_name, o) => {
      const r = await interruptedRun(o);
      expect(
        { leaks: r.leaks, lies: r.lies },
        `${o.kind} at ${o.delayMs} ms after ${o.from}: exit ${r.exitCode ?? r.signal}`,
      ).toEqual({ leaks: [], lies: [] });
      if (r.exitCode !== undefined) expect([0, 130]).toContain(r.exitCode);
      // Interrupted while its key material was on disk, not after the run had ended by itself.
      if (o.from === 'files')
        expect(r.exitCode === 130 || r.signal === 'SIGKILL', `exit ${r.exitCode ?? r.signal}`).toBe(true);
    },
    240_000,
  );
});
