/**
 * netconform installed the way a user (and the CI templates in ci/) installs it: `npm pack` of
 * this checkout, `npm install <tarball>` into an empty project, which builds the addon in the
 * package's install script; then `npx netconform validate` / `run` from that project, with the
 * shipped profiles found inside the package. Dependencies come from npm's cache when `npm ci`
 * has filled it (--prefer-offline). The install also compiles the CLI into dist/ (harness/bin/
 * compile.ts); the bin must start that, and fall back to the sources when one was edited.
 *
 * The tarball gets a planted compiler warning first: a user's compiler (a newer Xcode) may warn
 * where ours does not, and that must not fail their install; only NETCONFORM_WERROR=1 (this
 * repo's CI) makes it an error.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { repoRoot } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

const INSTALL_TIMEOUT_MS = 10 * 60_000; // the addon's compile is most of it (about 1 min here)
// An unused function with internal linkage: -Wunused-function under -Wall, in gcc and clang.
const PLANTED_WARNING = '\nnamespace { int NcPlantedWarning() { return 0; } }\n';

describe('installed from an npm pack tarball into an empty project', () => {
  let project = '';
  let installed = '';
  let tarballFiles: string[] = [];
  let installLog = '';
  const npx = (args: string[], env: Record<string, string> = {}) =>
    execa('npx', ['--no', '--', 'netconform', ...args], {
      cwd: project,
      reject: false,
      all: true,
      stdin: 'ignore',
      env,
    });

  beforeAll(async () => {
    const packDir = await tempDir('nc-pack-');
    await execa('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: repoRoot, stdin: 'ignore' });
    const tarball = (await readdir(packDir)).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack wrote no .tgz into ${packDir}`);
    tarballFiles = (await execa('tar', ['-tzf', join(packDir, tarball)])).stdout.split('\n');
    await execa('tar', ['-xzf', tarball], { cwd: packDir });
    await appendFile(join(packDir, 'package', 'native', 'src', 'socket_unix.cc'), PLANTED_WARNING);
    await execa('tar', ['-czf', tarball, 'package'], { cwd: packDir });
    project = await tempDir('nc-consumer-');
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
    );
    // --foreground-scripts: npm shows an install script's output only on failure otherwise.
    const args = [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--foreground-scripts',
      join(packDir, tarball),
    ];
    const env = { NETCONFORM_WERROR: '' };
    installLog = (
      await execa('npm', args, { cwd: project, stdin: 'ignore', timeout: INSTALL_TIMEOUT_MS, all: true, env })
    ).all;
    installed = join(project, 'node_modules', 'netconform');
  }, INSTALL_TIMEOUT_MS + 60_000);

  it('built the addon during the install and ships no tests or dev tooling', async () => {
    expect(existsSync(join(installed, 'native', 'build', 'Release', 'netconform_native.node'))).toBe(true);
    expect(existsSync(join(installed, 'profiles', 'host.yaml'))).toBe(true);
    expect(existsSync(join(installed, 'test'))).toBe(false);
    expect(existsSync(join(installed, 'native', 'macos-check'))).toBe(false);
  });

  it('printed the planted compiler warning and went on (warnings are errors only in CI)', () => {
    expect(installLog).toMatch(/socket_unix\.cc:\d+:\d+: warning: .*NcPlantedWarning/);
    expect(installLog).not.toContain('-Werror');
    expect(existsSync(join(installed, 'native', 'build', 'Release', 'netconform_native.node'))).toBe(true);
  });

  it('validates a shipped profile from the consumer project', async () => {
    const r = await npx(['validate', 'node_modules/netconform/profiles/host.yaml']);
    expect(r.all).toContain('host.yaml: ok (5 scenarios)');
    expect(r.exitCode).toBe(0);
  });

  it("runs the default profile (the package's first-run.yaml) with the native addon", async () => {
    const r = await npx(['run', '--out', 'reports']);
    expect(r.all).toContain('round trip via 127.0.0.1 (native)');
    expect(r.all).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/m);
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(project, 'reports', 'junit.xml'))).toBe(true);
  }, 120_000);

  it('compiled the CLI during the install (the tarball ships no dist/) and starts the compiled code', async () => {
    expect(tarballFiles).toContain('package/harness/bin/compile.ts');
    expect(tarballFiles.filter((f) => f.startsWith('package/dist/'))).toEqual([]);
    expect(existsSync(join(installed, 'dist', 'netconform.mjs'))).toBe(true);
    // `--help`, not `--version`: the bin answers `--version` alone itself, without a loader.
    const r = await npx(['--help'], { NETCONFORM_DEBUG_LOADER: '1' });
    expect(r.all).toContain(
      'netconform: loader compiled (dist/, an installed package: not checked against the sources)',
    );
    expect(r.all).toContain('Usage: netconform');
    expect(r.exitCode).toBe(0);
    // The CLI's version (`--version list` reaches commander) and the bin's are the package's.
    const version = (JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect((await npx(['--version'])).stdout).toBe(version);
    expect((await npx(['--version', 'list'])).stdout).toBe(version);
  });

  // The templates' root form (test/ci-templates.test.ts): as root, the installed bin with the user's
  // PATH. It must write nothing into HOME (the runner user's ~/.npm); npx does, as root root-owned.
  it("the installed bin writes nothing into HOME, where npx leaves npm's logs and cache", async () => {
    // As a shell in CI has it: no npm_config_* from a surrounding `npm test` (its cache path among them).
    const userEnv = (home: string) => ({
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
      HOME: home,
    });
    const bin = join(project, 'node_modules', '.bin', 'netconform');
    const homeBin = await tempDir('nc-home-bin-');
    const r = await execa(
      'env',
      [`PATH=${process.env.PATH ?? ''}`, bin, 'validate', 'node_modules/netconform/profiles/host.yaml'],
      { cwd: project, reject: false, all: true, env: userEnv(homeBin), extendEnv: false },
    );
    expect(r.all).toContain('host.yaml: ok (5 scenarios)');
    expect(await readdir(homeBin)).toEqual([]);
    const homeNpx = await tempDir('nc-home-npx-');
    await execa('npx', ['--no', '--', 'netconform', '--version'], {
      cwd: project,
      env: userEnv(homeNpx),
      extendEnv: false,
    });
    expect(await readdir(homeNpx)).toContain('.npm');
  });

  // Last: it edits the installed package, then makes it look like a git checkout.
  it('in a git checkout, starts the TypeScript through tsx once a source file changed after the build, and says why', async () => {
    await appendFile(join(installed, 'harness', 'cli', 'main.ts'), '\n// edited after the build\n');
    const unchecked = await npx(['--help'], { NETCONFORM_DEBUG_LOADER: '1' });
    expect(unchecked.all).toContain(
      'netconform: loader compiled (dist/, an installed package: not checked against the sources)',
    );
    await mkdir(join(installed, '.git'));
    const r = await npx(['validate', 'node_modules/netconform/profiles/host.yaml'], { NETCONFORM_DEBUG_LOADER: '1' });
    expect(r.all).toContain('netconform: loader source (tsx): harness/cli/main.ts changed since the build');
    expect(r.all).toContain('host.yaml: ok (5 scenarios)');
    expect(r.exitCode).toBe(0);
    const forced = await npx(['--help'], { NETCONFORM_LOADER: 'compiled' });
    expect(forced.all).toContain('NETCONFORM_LOADER=compiled, but harness/cli/main.ts changed since the build');
    expect(forced.exitCode).toBe(3);
  });

  // After the tests that use the addon: a failed rebuild leaves none.
  it(
    'fails the build on that warning when NETCONFORM_WERROR=1 (as .ci/run builds)',
    async () => {
      const r = await execa('node', ['native/build.mjs'], {
        cwd: installed,
        reject: false,
        all: true,
        env: { NETCONFORM_WERROR: '1' },
      });
      expect(r.all).toMatch(/socket_unix\.cc:\d+:\d+: error: .*NcPlantedWarning/);
      expect(r.exitCode).toBe(1);
    },
    INSTALL_TIMEOUT_MS,
  );
});
