/**
 * Temp folders for tests, removed after each test file (test/helpers/setup.ts): a test run
 * leaves nothing behind in /tmp either.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created = new Set<string>();

export async function tempDir(prefix = 'nc-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.add(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all([...created].map((d) => rm(d, { recursive: true, force: true })));
  created.clear();
}
