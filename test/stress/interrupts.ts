/**
 * `npm run stress:interrupts -- [count] [--profile=p.yaml ...] [--max-delay=ms] [--max-output-delay=ms] [--jobs=n]`:
 * `count` randomly interrupted runs (SIGINT, SIGTERM, double SIGINT, SIGKILL + `lab gc`, SIGHUP,
 * SIGQUIT, in turn, over broadcast, lab-example and tls: the last writes key material), each at a uniformly random moment — a quarter of them within max-delay (6 s) of the
 * spawn, the rest within max-output-delay (4 s) of the run's first output — each judged by
 * its own leftovers (see interrupts-lib.ts).
 * Needs root (labs). Prints one line per leaking run and a summary; exits 1 on any leak.
 */
import { KINDS, interruptedRun, type InterruptOutcome } from './interrupts-lib.ts';

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const profiles = args.filter((a) => a.startsWith('--profile=')).map((a) => a.slice(10));
if (profiles.length === 0) profiles.push('profiles/broadcast.yaml', 'profiles/lab-example.yaml', 'profiles/tls.yaml');
const maxDelay = Number(args.find((a) => a.startsWith('--max-delay='))?.slice(12) ?? 6000);
const maxOutputDelay = Number(args.find((a) => a.startsWith('--max-output-delay='))?.slice(19) ?? 4000);

if (process.getuid?.() !== 0) {
  process.stderr.write('stress:interrupts needs root (the runs build labs)\n');
  process.exit(2);
}
const jobs = Math.max(1, Number(args.find((a) => a.startsWith('--jobs='))?.slice(7) ?? 1));
const outcomes: InterruptOutcome[] = [];
let next = 0;
// `jobs` runs at a time (each has its own state folder, tag and pid, so they judge apart).
async function worker(): Promise<void> {
  for (let i = next++; i < count; i = next++) {
    const kind = KINDS[i % KINDS.length]!;
    const profile = profiles[Math.floor(i / KINDS.length) % profiles.length]!;
    // A quarter from the spawn (start-up), the rest from the first output line (the handler is in place).
    // For tls.yaml, half from the moment its key material is on disk (it comes ~30 s in, past most draws).
    const from =
      profile.endsWith('tls.yaml') && Math.random() < 0.5
        ? ('files' as const)
        : Math.random() < 0.25
          ? ('spawn' as const)
          : ('output' as const);
    const o = await interruptedRun({
      kind,
      profile,
      from,
      delayMs: Math.floor(Math.random() * (from === 'spawn' ? maxDelay : from === 'files' ? 1000 : maxOutputDelay)),
      secondMs: Math.floor(Math.random() * 400),
      ...(i % 8 === 2 ? { secondInTeardown: true, secondMs: Math.floor(Math.random() * 80) } : {}),
    });
    outcomes.push(o);
    const bad = [...o.leaks, ...o.lies];
    const how = o.signal ? `killed by ${o.signal}` : `exit ${o.exitCode}`;
    process.stdout.write(
      `${String(i + 1).padStart(4)} ${kind.padEnd(7)} at ${String(o.delayMs).padStart(4)} ms after ${o.from.padEnd(6)} ${profile}: ${how}${bad.length ? ` — ${bad.join('; ')}` : ' — clean'}\n`,
    );
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
const leaking = outcomes.filter((o) => o.leaks.length > 0);
const lying = outcomes.filter((o) => o.lies.length > 0);
const byKind = KINDS.map(
  (k) =>
    `${k} ${outcomes.filter((o) => o.kind === k && (o.leaks.length || o.lies.length)).length}/${outcomes.filter((o) => o.kind === k).length}`,
).join(', ');
process.stdout.write(
  `${count} interrupted runs: ${leaking.length} left something behind, ${lying.length} printed something untrue (by kind: ${byKind})\n`,
);
process.exit(leaking.length || lying.length ? 1 : 0);
