/**
 * What native/binding.gyp makes a Mac compile, as gyp itself generates it for OS=mac
 * (native/macos-check/gyp-mac.mjs, the part of `npm run check:macos` that needs no zig).
 * The cross-compile itself runs in .ci/run; this pins the settings it depends on.
 */
import { execa } from 'execa';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { tempDir } from '../helpers/tmp.ts';

const nativeDir = resolve(import.meta.dirname, '../../native');

interface MacFlags {
  sources: string[];
  defines: string[];
  cflags: string[];
  cflagsCC: string[];
  ldflags: string[];
}

async function macFlags(arch: 'arm64' | 'x64'): Promise<MacFlags> {
  const workDir = await tempDir('nc-macgyp-');
  const script = `import { macBuildFlags } from ${JSON.stringify(resolve(nativeDir, 'macos-check/gyp-mac.mjs'))};
process.stdout.write(JSON.stringify(macBuildFlags({ nativeDir: ${JSON.stringify(nativeDir)}, workDir: ${JSON.stringify(workDir)}, arch: ${JSON.stringify(arch)} })));`;
  const { stdout } = await execa(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as MacFlags;
}

describe('binding.gyp for OS=mac (gyp -f make-mac)', () => {
  let arm64: MacFlags;
  beforeAll(async () => {
    arm64 = await macFlags('arm64');
  });

  it('compiles the shared and darwin sources, not the Linux one', () => {
    expect(arm64.sources).toContain('src/module.cc');
    expect(arm64.sources).toContain('src/udp_send.cc');
    expect(arm64.sources).toContain('src/socket_unix.cc');
    expect(arm64.sources).toContain('src/socket_darwin.cc');
    expect(arm64.sources).toContain('src/recv_thread.cc');
    expect(arm64.sources).not.toContain('src/socket_linux.cc');
  });

  it('has the defines node-gyp gives a Mac addon', () => {
    for (const d of [
      '-DNAPI_VERSION=8',
      '-DBUILDING_NODE_EXTENSION',
      '-DNODE_GYP_MODULE_NAME=netconform_native',
      '-D_DARWIN_USE_64_BIT_INODE=1',
      '-D__APPLE_USE_RFC_3542=1',
      '-DNAPI_CPP_EXCEPTIONS',
    ]) {
      expect(arm64.defines).toContain(d);
    }
  });

  it('treats warnings as errors, uses C++17 with exceptions', () => {
    const cxx = [...arm64.cflags, ...arm64.cflagsCC];
    for (const f of ['-Wall', '-Wextra', '-Werror', '-std=c++17']) expect(cxx).toContain(f);
    expect(cxx).not.toContain('-fno-exceptions');
  });

  it("applies deployment target 11.0 over node-addon-api's 10.7 (compile and link)", () => {
    const last = (flags: string[]) => flags.filter((f) => f.startsWith('-mmacosx-version-min=')).pop();
    expect(last(arm64.cflags)).toBe('-mmacosx-version-min=11.0');
    expect(last(arm64.ldflags)).toBe('-mmacosx-version-min=11.0');
  });

  it('leaves N-API symbols to the loading Node (-undefined dynamic_lookup)', () => {
    expect(arm64.ldflags.join(' ')).toContain('-undefined dynamic_lookup');
  });

  it('gives x64 the same sources', async () => {
    const x64 = await macFlags('x64');
    expect(x64.sources).toEqual(arm64.sources);
  });
});
