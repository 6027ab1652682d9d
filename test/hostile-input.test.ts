/**
 * Hostile input a profile or a flag can carry: special files given as profiles, output folders
 * on kernel pseudo-filesystems, environment names a SUT cannot receive, and profiles that expand
 * (aliases) or carry strings far past anything a profile needs. Each is refused up front with a
 * defined exit code; profiles with a located `file:line:col` line.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../harness/cli/main.ts';
import { formatIssue, parseProfileText, ProfileError } from '../harness/loader/profile.ts';
import { pseudoFilesystemFor } from '../harness/util/pseudo-fs.ts';
import { loadRegistry } from '../harness/runner/registry.ts';
import type { AnyScenario } from '../harness/model/scenario.ts';
import { baseProfile } from './corpus/malformed-profiles.ts';
import { tempDir } from './helpers/tmp.ts';

let registry: Map<string, AnyScenario>;
beforeAll(async () => {
  registry = await loadRegistry();
});

async function inProcess(args: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const t0 = performance.now();
  try {
    const code = await main(args);
    return { code, stderr, ms: performance.now() - t0 };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

function linesOf(text: string): string[] {
  try {
    parseProfileText(text, 'p.yaml', registry);
  } catch (e) {
    if (e instanceof ProfileError) return e.issues.map(formatIssue);
    throw e;
  }
  return [];
}

describe('validate of a special file', () => {
  afterEach(() => vi.restoreAllMocks());
  const special = [
    '/proc/self/pagemap',
    '/proc/kmsg',
    '/sys/kernel/notes',
    '/proc/self/status',
    '/dev/zero',
    '/dev/urandom',
    '/dev/null',
  ];
  for (const file of special) {
    it.skipIf(!existsSync(file))(`${file}: a located exit 2 within a second, memory flat`, async () => {
      const rss0 = process.memoryUsage().rss;
      const r = await inProcess(['validate', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `^${file}:1:1: (is on (proc|sysfs), a kernel pseudo-filesystem|not a regular file \\(a character device\\))`,
        ),
      );
      expect(r.ms).toBeLessThan(1000);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024);
    });
  }

  it('a named pipe with no writer: refused, not waited on', async () => {
    const fifo = join(await tempDir('nc-fifo-'), 'p.yaml');
    await execa('mkfifo', [fifo]);
    const r = await inProcess(['validate', fifo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${fifo}:1:1: not a regular file (a named pipe)`);
  });

  it('a folder', async () => {
    const dir = await tempDir('nc-dir-');
    const r = await inProcess(['validate', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${dir}:1:1: not a regular file (a folder)`);
  });
});

describe('run -o on a kernel pseudo-filesystem', () => {
  afterEach(() => vi.restoreAllMocks());
  it.each(['/proc/nc-out', '/proc/self/nc-out/deeper', '/sys/nc-out', '/dev/nc-out'])(
    '%s: exit 3 at once, naming the filesystem',
    async (out) => {
      const r = await inProcess(['run', 'profiles/host.yaml', '-o', out]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        /cannot create the output folder .*: \/(proc|sys|dev)\S* is on (proc|sysfs|devtmpfs), a kernel pseudo-filesystem/,
      );
      expect(r.ms).toBeLessThan(5000);
    },
    20_000,
  );

  it('merge -o refuses the same', async () => {
    const r = await inProcess(['merge', 'reports', '-o', '/proc/nc-merged']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/is on proc, a kernel pseudo-filesystem/);
  });

  it('ordinary filesystems are not taken for pseudo ones: tmpfs under /dev, a temp folder, a missing path', async () => {
    if (existsSync('/dev/shm')) expect(await pseudoFilesystemFor('/dev/shm/nc-x/y')).toBeUndefined();
    expect(await pseudoFilesystemFor(join(await tempDir('nc-out-'), 'a/b/c'))).toBeUndefined();
    expect(await pseudoFilesystemFor('/proc/1/x')).toEqual({ type: 'proc', at: '/proc/1' });
  });
});

describe('sut.env names', () => {
  it('a key with "=", a space, a leading digit or empty: located at the key', () => {
    for (const [key, col] of [
      ['"A=B"', 48],
      ['"A B"', 48],
      ['"1X"', 48],
      ['""', 48],
    ] as const) {
      const text = baseProfile().replace('ready:', `env: { ${key}: x }, ready:`);
      const lines = linesOf(text);
      expect(lines, key).toEqual([
        `p.yaml:10:${col}: sut.env.${JSON.parse(key)}: the key must be an environment variable name: letters, digits and "_", not starting with a digit`,
      ]);
    }
  });

  it('valid names pass, at the profile and the scenario level', () => {
    expect(linesOf(baseProfile().replace('ready:', 'env: { A: x, _b9: y, LOG_LEVEL: debug }, ready:'))).toEqual([]);
    expect(
      linesOf(baseProfile('    use: preflight.loopback-udp\n    sut: { command: [x], env: { "X=Y": z } }\n')),
    ).toEqual([
      'p.yaml:14:33: scenarios[0].sut.env.X=Y: the key must be an environment variable name: letters, digits and "_", not starting with a digit',
    ]);
  });
});

describe('aliases and long strings', () => {
  it('a profile sharing a SUT block by anchor still loads (aliases under the caps)', () => {
    const text =
      `${baseProfile('    use: preflight.loopback-udp\n    sut: &client { host: dut, command: [/bin/true], env: { MODE: x } }\n')}` +
      '  - { id: t, use: preflight.loopback-udp, sut: *client }\n  - { id: u, use: preflight.loopback-udp, sut: *client }\n';
    expect(linesOf(text)).toEqual([]);
  });

  it("the issue's amplifier (90 aliases to a 240 KB expectFail) is refused at the string, located", () => {
    const text =
      `${baseProfile(`    use: preflight.loopback-udp\n    expectFail: &f "${'x'.repeat(240_000)}"\n`)}` +
      Array.from({ length: 90 }, (_, i) => `  - { id: a${i}, use: preflight.loopback-udp, expectFail: *f }\n`).join('');
    expect(linesOf(text)).toEqual([
      "p.yaml:14:20: invalid YAML: a string of 240000 characters; a profile's strings are at most 4096",
    ]);
  });

  it('under the string cap, the expanded size is what stops it: 64 aliases to a 30 KB mapping', () => {
    const block = `{ ${Array.from({ length: 8 }, (_, i) => `k${i}: "${'y'.repeat(4000)}"`).join(', ')} }`;
    const text =
      `${baseProfile(`    use: preflight.loopback-udp\n    with: { }\n`).replace('description: generated', `description: generated\nx-block: &b ${block}`)}` +
      Array.from({ length: 64 }, (_, i) => `  - { id: a${i}, use: preflight.loopback-udp, description: *b }\n`).join(
        '',
      );
    const lines = linesOf(text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^p\.yaml:\d+:\d+: invalid YAML: with its aliases expanded \(\*b here\) the document passes 1048576 characters/,
    );
  });
});
