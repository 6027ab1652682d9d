import { unlinkSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Temp files being written: a process.exit() mid-write (a second Ctrl-C) must not leave one. */
const inFlight = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const f of inFlight) { try { unlinkSync(f); } catch { /* renamed or never created */ } }
  });
}

/**
 * Writes a file so a reader never sees half of it: temp file in the same folder, then
 * rename(2), which replaces the target atomically on one filesystem.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  installExitHook();
  inFlight.add(tmp);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    inFlight.delete(tmp);
  }
}
