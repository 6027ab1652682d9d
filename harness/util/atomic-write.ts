import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file so a reader never sees half of it: temp file in the same folder, then
 * rename(2), which replaces the target atomically on one filesystem.
 *
 * Synchronous on purpose: a second Ctrl-C ends the process with process.exit() from a signal
 * handler, which runs between JS turns. An async write could be mid-flight on the thread pool
 * then (its open(2) creating the temp file after any exit hook removed it: seen once in 200
 * interrupted runs), a synchronous one never is. Report files are bounded (util/bounded-lines.ts).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
