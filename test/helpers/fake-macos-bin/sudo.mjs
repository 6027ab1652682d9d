// A stand-in for sudo(8), for test/suites/darwin-host.test.ts: appends its argv to $NC_FAKE_LOG and
// models `-n` (non-interactive): without cached credentials ($NC_FAKE_SUDO_PASSWORDLESS unset) it
// fails as sudo documents ("a password is required", exit 1); with them it runs the command (the
// test already runs as root, so as the same user) and exits with its status.
import { appendFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const argv = process.argv.slice(2);
appendFileSync(process.env.NC_FAKE_LOG, `${JSON.stringify({ tool: 'sudo', argv })}\n`);
const nonInteractive = argv[0] === '-n';
const command = nonInteractive ? argv.slice(1) : argv;
if (process.env.NC_FAKE_SUDO_PASSWORDLESS !== '1') {
  process.stderr.write('sudo: a password is required\n');
  process.exit(1);
}
const r = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
process.exit(r.status ?? 1);
