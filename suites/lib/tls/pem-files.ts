/** PEM files in a temp dir that the scenario's `defer` removes (registered before anything is written). */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PemDir {
  dir: string;
  /** Writes `name` (a certificate: 0644; a key: pass 0o600) and returns its path. */
  write(name: string, pem: string, mode?: number): Promise<string>;
}

export async function pemDir(prefix: string, defer: (f: () => unknown) => void): Promise<PemDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  defer(() => rm(dir, { recursive: true, force: true }));
  // The lab hosts share this filesystem; a SUT that drops privileges must still read the CA.
  await chmod(dir, 0o755);
  return {
    dir,
    async write(name, pem, mode = 0o644) {
      const file = join(dir, name);
      await writeFile(file, pem, { mode });
      await chmod(file, mode); // writeFile's mode is masked by the umask
      return file;
    },
  };
}
