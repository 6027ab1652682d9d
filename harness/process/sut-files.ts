/**
 * `sut.files`: files a product reads (its config, a hosts list) written for each start, with
 * `${var}` templates in their paths and contents. They go into a folder of their own, given to
 * the SUT as `${files}`: in a lab the lab's files folder (harness/lab/state.ts), which teardown
 * and `lab gc` remove with the lab, so a killed run leaves nothing; without a lab a temp folder.
 * Paths are relative to that folder and may not leave it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderTemplate } from '../util/template.ts';

/** Why `name` cannot be a file of `sut.files`, or undefined. */
export function sutFileProblem(name: string): string | undefined {
  if (name === '' || path.isAbsolute(name)) return 'must be a relative path (inside the folder ${files})';
  const parts = name.split('/');
  if (parts.some((p) => p === '..' || p === ''))
    return 'may not contain "..", "//" or end in "/": it stays inside ${files}';
  return undefined;
}

export interface WrittenFiles {
  dir: string;
  remove(): Promise<void>;
}

/**
 * Creates the folder, renders every path and content with `vars` plus `files` (the folder) and
 * writes them. Throws an Error naming the file on a template or path problem.
 */
export async function writeSutFiles(
  files: Record<string, string>,
  vars: Record<string, string>,
  folder: () => Promise<string>,
): Promise<WrittenFiles> {
  const dir = await folder();
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const all = { ...vars, files: dir };
    for (const [name, content] of Object.entries(files)) {
      const rel = renderTemplate(name, all);
      const bad = sutFileProblem(rel);
      if (bad) throw new Error(`sut.files "${name}" ${bad}`);
      const file = path.join(dir, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, renderTemplate(content, all), { mode: 0o644 });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, remove };
}

export const tempFolder = (): Promise<string> => mkdtemp(path.join(tmpdir(), 'nc-sut-files-'));
