// Whether dist/ (the compiled CLI, harness/bin/compile.ts) was built from exactly the files
// beside it: dist/stamp.json lists each input (source files, the suites/ folders whose listing
// is the scenario registry, the build script, the lockfile) with its mtime and size, and one
// that differs or is gone means "stale". A git checkout, a `touch`, an editor's save: each
// changes an mtime. One stat per listed file (~190), no reading of sources: a few milliseconds
// (the startup bench has a row). Plain JavaScript: it runs before any loader is chosen.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Why `${root}/dist` cannot be used, or undefined when it is fresh. `root` is the package folder. */
export function staleReason(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, 'dist', 'stamp.json'), 'utf8'));
  } catch {
    return 'dist/ is not built (npm run build)';
  }
  if (!Array.isArray(stamp?.files)) return 'dist/stamp.json lists no files (npm run build)';
  for (const [path, mtimeMs, size] of stamp.files) {
    const s = statSync(join(root, path), { throwIfNoEntry: false });
    if (!s) return `${path} is gone since the build`;
    if (s.mtimeMs !== mtimeMs || s.size !== size) return `${path} changed since the build`;
  }
  return undefined;
}
