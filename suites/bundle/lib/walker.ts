/**
 * Walks an app bundle: the host and every bundle inside it that macOS treats separately —
 * system extensions and DriverKit extensions (Contents/Library/SystemExtensions), app
 * extensions (Contents/PlugIns), login items (Contents/Library/LoginItems) — plus any
 * `.systemextension`/`.dext` found elsewhere (so the location rule can name it). For each:
 * its Info.plist, the code signature of its main executable, its embedded.provisionprofile.
 * A part that cannot be read is recorded with its BundleInputError; the walk goes on.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileSource, LIMITS } from './bytes.ts';
import { BundleInputError } from './errors.ts';
import { readMachO, readSignatureBytes } from './macho.ts';
import { getString, readPlistDict, type PlistDict } from './plist.ts';
import { readProfile, type ProvisioningProfile } from './profile.ts';
import { parseSuperBlob, type CodeSignature } from './signature.ts';

export type BundleKind = 'app' | 'system-extension' | 'driver-extension' | 'app-extension' | 'login-item';

export interface SlicedSignature {
  arch: string;
  signature: CodeSignature | undefined;
}

export interface Bundle {
  kind: BundleKind;
  path: string;
  /** Path relative to the folder holding the app, e.g. `Good.app/Contents/PlugIns/X.appex`: what messages name. */
  rel: string;
  infoPlist: string;
  info: PlistDict;
  bundleId: string | undefined;
  executable: string | undefined;
  /** `unreadable` when the executable or its signature could not be parsed (an error check says why). */
  signing: 'signed' | 'unsigned' | 'unreadable';
  slices: SlicedSignature[];
  /** The first signed slice's signature (fat slices are signed separately; all are read and checked). */
  signature: CodeSignature | undefined;
  profile: ProvisioningProfile | undefined;
  profileState: 'present' | 'absent' | 'unreadable';
  /** True when the walk found it in its proper place (Contents/Library/SystemExtensions for system extensions). */
  inExpectedPlace: boolean;
}

export interface AppModel {
  app: Bundle;
  nested: Bundle[];
  /** Everything that could not be read, in walk order. */
  errors: BundleInputError[];
  /** Nested bundles left out because their Info.plist could not be read. */
  unreadable: Array<{ kind: BundleKind; rel: string }>;
}

const SYSEXT_DIR = join('Contents', 'Library', 'SystemExtensions');

export async function walkApp(appPath: string): Promise<AppModel> {
  let st;
  try {
    st = await stat(appPath);
  } catch (err) {
    throw new BundleInputError(
      'not-a-bundle',
      appPath,
      `does not exist (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  if (!st.isDirectory())
    throw new BundleInputError(
      'not-a-bundle',
      appPath,
      'is a file, not a bundle folder (expected App.app/Contents/Info.plist)',
    );
  try {
    await stat(join(appPath, 'Contents', 'Info.plist'));
  } catch {
    throw new BundleInputError('not-a-bundle', appPath, 'has no Contents/Info.plist: not a macOS app bundle');
  }
  const errors: BundleInputError[] = [];
  const root = join(appPath, '..');
  const app = await readBundle(appPath, 'app', root, true, errors);
  if (!app) throw errors[0]!;
  const nested: Bundle[] = [];
  const unreadable: AppModel['unreadable'] = [];
  const seen = new Set<string>();
  const add = async (path: string, kind: BundleKind, inPlace: boolean) => {
    if (seen.has(path) || nested.length >= LIMITS.nestedBundles) return;
    seen.add(path);
    const b = await readBundle(path, kind, root, inPlace, errors);
    if (b) nested.push(b);
    else unreadable.push({ kind, rel: relative(root, path) });
  };
  for (const name of await list(join(appPath, SYSEXT_DIR))) {
    if (name.endsWith('.systemextension')) await add(join(appPath, SYSEXT_DIR, name), 'system-extension', true);
    else if (name.endsWith('.dext')) await add(join(appPath, SYSEXT_DIR, name), 'driver-extension', true);
  }
  for (const name of await list(join(appPath, 'Contents', 'PlugIns'))) {
    if (name.endsWith('.appex')) await add(join(appPath, 'Contents', 'PlugIns', name), 'app-extension', true);
  }
  for (const name of await list(join(appPath, 'Contents', 'Library', 'LoginItems'))) {
    if (name.endsWith('.app')) await add(join(appPath, 'Contents', 'Library', 'LoginItems', name), 'login-item', true);
  }
  for (const path of await findMisplacedSystemExtensions(appPath)) {
    await add(path, path.endsWith('.dext') ? 'driver-extension' : 'system-extension', false);
  }
  return { app, nested, errors, unreadable };
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** `.systemextension`/`.dext` folders anywhere under Contents but the right place (bounded walk). */
async function findMisplacedSystemExtensions(appPath: string): Promise<string[]> {
  const found: string[] = [];
  const queue: Array<{ dir: string; depth: number }> = [{ dir: join(appPath, 'Contents'), depth: 0 }];
  let visited = 0;
  while (queue.length && visited < 2000) {
    const { dir, depth } = queue.shift()!;
    visited++;
    for (const name of await list(dir)) {
      const path = join(dir, name);
      if (path === join(appPath, SYSEXT_DIR)) continue;
      if (name.endsWith('.systemextension') || name.endsWith('.dext')) found.push(path);
      else if (depth < 4) queue.push({ dir: path, depth: depth + 1 });
    }
  }
  return found;
}

async function readBundle(
  path: string,
  kind: BundleKind,
  root: string,
  inExpectedPlace: boolean,
  errors: BundleInputError[],
): Promise<Bundle | undefined> {
  const infoPlist = join(path, 'Contents', 'Info.plist');
  let info: PlistDict;
  try {
    info = await readPlistDict(infoPlist);
  } catch (err) {
    if (!(err instanceof BundleInputError)) throw err;
    errors.push(err);
    return undefined;
  }
  if (kind === 'system-extension' && getString(info, 'CFBundlePackageType') === 'DEXT') kind = 'driver-extension';
  const bundle: Bundle = {
    kind,
    path,
    rel: relative(root, path),
    infoPlist,
    info,
    bundleId: getString(info, 'CFBundleIdentifier'),
    executable: undefined,
    signing: 'unsigned',
    slices: [],
    signature: undefined,
    profile: undefined,
    profileState: 'absent',
    inExpectedPlace,
  };
  const exeName = getString(info, 'CFBundleExecutable');
  if (!exeName || exeName.includes('/') || exeName === '..') {
    errors.push(
      new BundleInputError(
        'plist-malformed',
        infoPlist,
        exeName
          ? `CFBundleExecutable "${exeName}" is not a file name`
          : 'has no CFBundleExecutable: the bundle has no main executable to read the signature from',
      ),
    );
    bundle.signing = 'unreadable';
  } else {
    bundle.executable = join(path, 'Contents', 'MacOS', exeName);
    try {
      bundle.slices = await readSignatures(bundle.executable);
      bundle.signature = bundle.slices.find((s) => s.signature)?.signature;
      bundle.signing = bundle.signature ? 'signed' : 'unsigned';
    } catch (err) {
      if (!(err instanceof BundleInputError)) throw err;
      errors.push(err);
      bundle.signing = 'unreadable';
    }
  }
  const profilePath = join(path, 'Contents', 'embedded.provisionprofile');
  try {
    await stat(profilePath);
    try {
      bundle.profile = await readProfile(profilePath);
      bundle.profileState = 'present';
    } catch (err) {
      if (!(err instanceof BundleInputError)) throw err;
      errors.push(err);
      bundle.profileState = 'unreadable';
    }
  } catch {
    bundle.profileState = 'absent';
  }
  return bundle;
}

async function readSignatures(executable: string): Promise<SlicedSignature[]> {
  const src = await fileSource(executable);
  try {
    const macho = await readMachO(src);
    const out: SlicedSignature[] = [];
    for (const slice of macho.slices) {
      const signature = slice.codeSignature
        ? parseSuperBlob(await readSignatureBytes(src, slice), src.name, slice.arch)
        : undefined;
      out.push({ arch: slice.arch, signature });
    }
    return out;
  } finally {
    await src.close();
  }
}
