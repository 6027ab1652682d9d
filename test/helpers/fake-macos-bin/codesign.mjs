// A stand-in for codesign(1), for test/suites/darwin-host.test.ts: appends its argv to $NC_FAKE_LOG
// and answers the two calls bundle lint makes with what the test recorded in the environment:
// `--verify …` prints $NC_FAKE_VERIFY_OUTPUT (a recorded transcript, test/fixtures/darwin/) on
// stderr, as codesign does, and exits $NC_FAKE_VERIFY_EXIT; `-d --entitlements - --xml <file>`
// prints $NC_FAKE_ENTITLEMENTS_XML on stdout.
import { appendFileSync } from 'node:fs';

const argv = process.argv.slice(2);
appendFileSync(process.env.NC_FAKE_LOG, `${JSON.stringify({ tool: 'codesign', argv })}\n`);
if (argv[0] === '--verify') {
  process.stderr.write(process.env.NC_FAKE_VERIFY_OUTPUT ?? '');
  process.exit(Number(process.env.NC_FAKE_VERIFY_EXIT ?? 0));
}
if (argv[0] === '-d') {
  const byFile = JSON.parse(process.env.NC_FAKE_ENTITLEMENTS ?? '{}');
  process.stdout.write(byFile[argv.at(-1)] ?? '');
  process.exit(0);
}
process.exit(64);
