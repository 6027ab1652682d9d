/**
 * harness/README.md's layout table names folders and, in each row, files: every one must be
 * in the tree (a name with a slash from the repository root, a bare file name in its row's
 * folder), so the table cannot drift from a move or a rename.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '..');

function layoutRows(): { folder: string; names: string[] }[] {
  const text = readFileSync(join(repoRoot, 'harness/README.md'), 'utf8');
  const table = text.slice(text.indexOf('| folder | what it is |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return rows.map((row) => {
    const [, first = '', rest = ''] = row.split('|');
    const folder = /`([^`]+)`/.exec(first)?.[1] ?? '';
    const names = [...rest.matchAll(/`([^`\s]+\.(?:ts|js|md))`/g)].map((m) => m[1]!);
    return { folder, names };
  });
}

describe('harness/README.md layout table', () => {
  it('names only folders and files that exist', () => {
    const rows = layoutRows();
    expect(rows.length).toBeGreaterThan(8);
    const missing = rows.flatMap(({ folder, names }) => [
      ...(existsSync(join(repoRoot, folder)) ? [] : [folder]),
      ...names.map((n) => (n.includes('/') ? n : join(folder, n))).filter((p) => !existsSync(join(repoRoot, p))),
    ]);
    expect(missing).toEqual([]);
  });

  it('has a row for every folder under harness/', () => {
    const folders = readdirSync(join(repoRoot, 'harness'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `harness/${d.name}`);
    expect(folders.filter((f) => !layoutRows().some((r) => r.folder === f))).toEqual([]);
  });
});
