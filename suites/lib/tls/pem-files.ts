/**
 * PEM files for one scenario: certificates readable by all (a SUT that drops privileges must
 * still read the CA it is given), private keys in a 0700 folder inside. In a lab the folder is
 * the lab's own (harness/lab/state.ts `labFilesDir`), so a run killed by SIGKILL or SIGHUP
 * leaves key material only until `lab gc` removes the lab; without one, a temp folder.
 * The scenario's `defer` removes it on every path, registered before anything is written.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labFilesDir } from '../../../harness/lab/state.ts';

export interface PemDir {
  dir: string;
  /** Writes `name` and returns its path: a certificate 0644 in `dir`; a key (pass 0o600) in `dir`/private, 0700. */
  write(name: string, pem: string, mode?: number): Promise<string>;
}

export async function pemDir(
  prefix: string,
  defer: (f: () => unknown) => void,
  lab?: { runId: string },
): Promise<PemDir> {
  const dir = lab ? await labFilesDir(lab.runId, prefix) : await mkdtemp(join(tmpdir(), prefix));
  defer(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  const secret = join(dir, 'private');
  await mkdir(secret, { mode: 0o700 });
  await chmod(secret, 0o700); // mkdir's mode is masked by the umask
  return {
    dir,
    async write(name, pem, mode = 0o644) {
      const file = join((mode & 0o077) === 0 ? secret : dir, name);
      await writeFile(file, pem, { mode });
      await chmod(file, mode); // writeFile's mode is masked by the umask
      return file;
    },
  };
}
