/**
 * The CI templates (ci/*.yml) and the README's root advice run netconform as root without npm:
 * `sudo … npx` (or npm) writes npm's logs and npx cache into the invoking user's ~/.npm as root,
 * and the runner's later npm steps then fail with EACCES. pack-install.e2e.test.ts shows on an
 * installed package that the bin form writes nothing to HOME while npx does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { repoRoot } from './helpers/cli.ts';

const templates = readdirSync(join(repoRoot, 'ci'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join('ci', f));

/** Lines (with their number) that run something under sudo, YAML comments left out. */
function sudoLines(file: string): Array<{ line: number; text: string }> {
  return readFileSync(join(repoRoot, file), 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, text }))
    .filter(({ text }) => !/^\s*#/.test(text) && /\bsudo\b/.test(text));
}

describe('running netconform as root in the templates and the README', () => {
  it.each([...templates, 'README.md'])('%s has no sudo … npx / npm exec', (file) => {
    const bad = sudoLines(file).filter(({ text }) => /\bsudo\b[^`#]*\b(npx|npm\s+(exec|run|x))\b/.test(text));
    expect(bad, `${file}: ${bad.map((b) => `line ${b.line}: ${b.text.trim()}`).join('; ')}`).toEqual([]);
  });

  it.each(templates)("%s runs the installed bin directly with the user's PATH", (file) => {
    const runs = sudoLines(file).filter(({ text }) => /netconform/.test(text));
    expect(runs.length).toBeGreaterThan(0);
    for (const { text } of runs) expect(text).toContain('sudo env "PATH=$PATH" "$PWD/node_modules/.bin/netconform"');
  });
});
