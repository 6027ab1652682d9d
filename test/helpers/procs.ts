/** Finding the processes a test's runs started, by an environment tag every child inherits. */
import { readdir, readFile } from 'node:fs/promises';

export interface TaggedProcess {
  pid: number;
  /** From /proc/PID/stat: 'T' = stopped, 'Z' = zombie. */
  state: string;
  cmd: string;
}

/**
 * Processes still alive whose environment holds `${tag}=1` (set it in process.env before the run;
 * execa extends process.env, so every child inherits it and other test files' processes don't count).
 */
export async function taggedProcesses(tag: string): Promise<TaggedProcess[]> {
  const out: TaggedProcess[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (!(await readFile(`/proc/${d}/environ`, 'latin1')).split('\0').includes(`${tag}=1`)) continue;
      const cmd = (await readFile(`/proc/${d}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const stat = await readFile(`/proc/${d}/stat`, 'utf8');
      out.push({ pid: Number(d), state: stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
