/**
 * Kernel pseudo-filesystems: their files are made up on read (a "regular" file of size 0 that
 * yields gigabytes, /proc/self/pagemap, or blocks until the kernel logs, /proc/kmsg) and their
 * folders refuse or fake new entries (Node's recursive mkdir spins forever under /proc). A
 * profile is never read from one and reports are never written to one.
 *
 * The filesystem of a path is found by its device number (st_dev) in /proc/self/mountinfo
 * (proc(5): field 3 is major:minor, the field after " - " the type), so no mount-point path has
 * to be parsed or resolved, and /dev/shm (tmpfs under /dev) is told from /dev (devtmpfs).
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Types whose content the kernel generates (mount(8), the kernel's Documentation/filesystems). */
const PSEUDO = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'debugfs',
  'tracefs',
  'securityfs',
  'cgroup',
  'cgroup2',
  'configfs',
  'bpf',
  'efivarfs',
  'pstore',
  'binfmt_misc',
  'fusectl',
  'selinuxfs',
  'mqueue',
  'autofs',
  'rpc_pipefs',
  'nsfs',
]);

/** Linux dev_t → "major:minor" (glibc's gnu_dev_major/minor, sys/sysmacros.h). */
function majorMinor(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** "major:minor" → filesystem type, from this process's mount table. */
function mountTypes(): Map<string, string> {
  const types = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return types;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (fields.length > 2 && sep > 0 && fields[sep + 1]) types.set(fields[2]!, fields[sep + 1]!);
  }
  return types;
}

/**
 * The pseudo-filesystem a file with device number `dev` lives on, or undefined for an ordinary
 * one. Elsewhere than Linux only /dev's own filesystem (devfs on macOS) is known.
 */
export async function pseudoFilesystemOf(dev: bigint): Promise<string | undefined> {
  if (process.platform === 'linux') {
    const type = mountTypes().get(majorMinor(dev));
    return type !== undefined && PSEUDO.has(type) ? type : undefined;
  }
  const devfs = await stat('/dev', { bigint: true }).catch(() => undefined);
  return devfs && devfs.dev === dev ? 'devfs' : undefined;
}

/**
 * The pseudo-filesystem a folder would be created on: that of its nearest existing ancestor
 * (the folder itself when it exists). Undefined for an ordinary filesystem.
 */
export async function pseudoFilesystemFor(folder: string): Promise<{ type: string; at: string } | undefined> {
  for (let at = resolve(folder); ; at = dirname(at)) {
    const missing = (e: NodeJS.ErrnoException): null | undefined => (e.code === 'ENOENT' ? undefined : null);
    const st = await stat(at, { bigint: true }).catch(missing);
    if (st === null) return undefined; // not ENOENT (a file in the way, no permission): mkdir reports it
    if (st) {
      const type = await pseudoFilesystemOf(st.dev);
      return type ? { type, at } : undefined;
    }
    if (dirname(at) === at) return undefined;
  }
}
