#!/usr/bin/env node
// clang-format for native/src, with the pinned wasm build from npm (@wasm-fmt/clang-format)
// and the style in native/.clang-format. Checks by default: lists every file whose
// formatted text differs and exits 1. With --write, rewrites those files.
// (That build's --dry-run reports nothing, so the check compares its output.)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write');
const cli = join(dirname(createRequire(import.meta.url).resolve('@wasm-fmt/clang-format/package.json')), 'clang-format-cli.cjs');
const srcDir = join(root, 'native/src');
const files = readdirSync(srcDir).filter((f) => /\.(cc|h)$/.test(f)).sort().map((f) => join(srcDir, f));

const differ = [];
for (const file of files) {
  const r = spawnSync(process.execPath, [cli, file], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`clang-format failed on ${relative(root, file)}: ${r.stderr}\n`);
    process.exit(2);
  }
  if (r.stdout === readFileSync(file, 'utf8')) continue;
  differ.push(relative(root, file));
  if (write) writeFileSync(file, r.stdout);
}
if (differ.length === 0) {
  process.stdout.write(`clang-format: ${files.length} files formatted\n`);
} else if (write) {
  process.stdout.write(`clang-format: rewrote ${differ.join(', ')}\n`);
} else {
  process.stdout.write(`clang-format: not formatted (npm run format): ${differ.join(', ')}\n`);
  process.exit(1);
}
