// A stand-in for macOS launchctl(1), for test/suites/darwin-host.test.ts on Linux. It appends what
// it was asked to $NC_FAKE_LOG (one JSON line per call) and does what launchd documents for the two
// subcommands the lnp probe uses:
// - `bootstrap <domain> <plist>`: loads the job; with RunAtLoad the job's ProgramArguments start at
//   once, in WorkingDirectory, stdout and stderr appended to StandardOutPath/StandardErrorPath
//   (launchd.plist(5)). $NC_FAKE_BOOTSTRAP_FAIL makes it fail with that text on stderr, exit 5.
// - `bootout <domain>/<label>`: removes the job (its process is left to end by itself here).
// It models launchd for a test; it is no claim of how launchd behaves in other cases.
import { appendFileSync, openSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { parse as parsePlist } from 'plist';

const [cmd, ...rest] = process.argv.slice(2);
const record = (entry) =>
  appendFileSync(
    process.env.NC_FAKE_LOG,
    `${JSON.stringify({ tool: 'launchctl', argv: process.argv.slice(2), ...entry })}\n`,
  );
if (cmd === 'bootstrap') {
  const job = parsePlist(readFileSync(rest[1], 'utf8'));
  record({ job });
  if (process.env.NC_FAKE_BOOTSTRAP_FAIL) {
    process.stderr.write(`${process.env.NC_FAKE_BOOTSTRAP_FAIL}\n`);
    process.exit(5);
  }
  if (job.RunAtLoad) {
    const [file, ...args] = job.ProgramArguments;
    const child = spawn(file, args, {
      cwd: job.WorkingDirectory,
      detached: true,
      stdio: ['ignore', openSync(job.StandardOutPath, 'a'), openSync(job.StandardErrorPath, 'a')],
    });
    child.unref();
  }
  process.exit(0);
}
if (cmd === 'bootout') {
  record({});
  process.exit(0);
}
record({ unknown: true });
process.stderr.write(`fake launchctl: ${cmd} is not modelled\n`);
process.exit(64);
