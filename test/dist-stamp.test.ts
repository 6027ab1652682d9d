/**
 * The bin's choice between dist/ and the sources (harness/bin/dist-stamp.js), on a scratch
 * package folder: fresh right after the stamp is written, stale after an edit, a touch, a
 * deletion, or with no stamp, each saying which file.
 */
import { mkdir, rm, utimes, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { stampOf } from '../harness/bin/compile.ts';
import { staleReason } from '../harness/bin/dist-stamp.js';
import { tempDir } from './helpers/tmp.ts';

async function scratchPackage(): Promise<string> {
  const root = await tempDir('nc-stamp-');
  await mkdir(join(root, 'harness'), { recursive: true });
  await mkdir(join(root, 'suites', 'fam'), { recursive: true });
  await mkdir(join(root, 'dist'));
  await writeFile(join(root, 'harness', 'a.ts'), 'export const a = 1;\n');
  await writeFile(join(root, 'suites', 'fam', 'b.ts'), 'export default {};\n');
  const stamp = await stampOf(root, ['harness/a.ts', 'suites/fam/b.ts', 'suites/fam']);
  await writeFile(join(root, 'dist', 'stamp.json'), JSON.stringify(stamp));
  return root;
}

describe('dist/ freshness', () => {
  it('is fresh as built, and stale after an edit, naming the file', async () => {
    const root = await scratchPackage();
    expect(staleReason(root)).toBeUndefined();
    await appendFile(join(root, 'harness', 'a.ts'), '// edited\n');
    expect(staleReason(root)).toBe('harness/a.ts changed since the build');
  });

  it('is stale after a touch (same size) and after a file appears in a scenario family', async () => {
    const touched = await scratchPackage();
    await utimes(join(touched, 'harness', 'a.ts'), new Date(), new Date(Date.now() + 5000));
    expect(staleReason(touched)).toBe('harness/a.ts changed since the build');

    const added = await scratchPackage();
    await new Promise((r) => setTimeout(r, 20)); // a folder's mtime must be able to move
    await writeFile(join(added, 'suites', 'fam', 'c.ts'), 'export default {};\n');
    expect(staleReason(added)).toBe('suites/fam changed since the build');
  });

  it('is stale when a listed file is gone or there is no stamp', async () => {
    const root = await scratchPackage();
    await rm(join(root, 'suites', 'fam', 'b.ts'));
    expect(staleReason(root)).toMatch(/^suites\/fam(\/b\.ts is gone| changed) since the build$/);
    await rm(join(root, 'dist', 'stamp.json'));
    expect(staleReason(root)).toBe('dist/ is not built (npm run build)');
  });
});
