/**
 * bundle.lint's readers on good and bad input: plists (XML, binary), Mach-O (thin, fat, fat64),
 * code-signature SuperBlobs and provisioning profiles. Every bad input must be a
 * BundleInputError with the right code — never another exception, never a hang.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../suites/bundle/lib/bytes.ts';
import { BundleInputError, type BundleInputCode } from '../../suites/bundle/lib/errors.ts';
import { readMachO, readSignatureBytes } from '../../suites/bundle/lib/macho.ts';
import { parsePlist, parsePlistDict, readPlistDict } from '../../suites/bundle/lib/plist.ts';
import { parseProfile } from '../../suites/bundle/lib/profile.ts';
import { parseSuperBlob } from '../../suites/bundle/lib/signature.ts';
import {
  cmsWrap,
  cmsWrapBer,
  machO,
  plistBytes,
  provisioningProfile,
  superBlob,
  thinMachO,
  type PlistObject,
} from '../helpers/bundle-builder.ts';
import { tempDir } from '../helpers/tmp.ts';

const sample: PlistObject = {
  CFBundleIdentifier: 'com.example.app',
  CFBundleVersion: '1',
  NSBonjourServices: ['_x._tcp'],
  Nested: { n: 42, b: true, d: new Date('2026-01-02T03:04:05Z') },
};
const entitlements: PlistObject = {
  'com.apple.security.app-sandbox': true,
  'com.apple.developer.networking.networkextension': ['content-filter-provider-systemextension'],
};
const signature = { identifier: 'com.example.app', teamId: 'ABCDE12345', entitlements };

async function codeOf(fn: () => unknown): Promise<BundleInputCode | 'ok'> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    if (err instanceof BundleInputError) return err.code;
    throw err;
  }
}

/** Reads a Mach-O buffer down to every slice's signature, as the walker does. */
async function readAll(buf: Buffer) {
  const src = bufferSource('App', buf);
  const file = await readMachO(src);
  return Promise.all(
    file.slices.map(async (s) => ({
      arch: s.arch,
      sig: s.codeSignature ? parseSuperBlob(await readSignatureBytes(src, s), 'App', s.arch) : undefined,
    })),
  );
}

/** A deterministic PRNG (mulberry32) so fuzz failures reproduce. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('plists', () => {
  it('reads XML and binary forms of the same dictionary alike', () => {
    const xml = parsePlistDict(plistBytes(sample, 'xml'), 'Info.plist');
    const bin = parsePlistDict(plistBytes(sample, 'binary'), 'Info.plist');
    expect(bin).toEqual(xml);
    expect(xml.CFBundleIdentifier).toBe('com.example.app');
    expect((xml.Nested as PlistObject).d).toEqual(new Date('2026-01-02T03:04:05Z'));
  });

  it('refuses malformed XML with the position, and the wrong top-level type', async () => {
    const truncated = plistBytes(sample, 'xml').subarray(0, 120);
    expect(() => parsePlistDict(truncated, 'Info.plist')).toThrow(/Info\.plist: XML plist is not well-formed/);
    expect(await codeOf(() => parsePlistDict(Buffer.from('<plist><array/></plist>'), 'x'))).toBe('plist-malformed');
    expect(() => parsePlistDict(Buffer.from('<plist><array/></plist>'), 'x')).toThrow(
      /top level is an array, not a dictionary/,
    );
    expect(await codeOf(() => parsePlist(Buffer.alloc(0), 'x'))).toBe('plist-malformed');
    expect(await codeOf(() => parsePlist(Buffer.from('not xml at all'), 'x'))).toBe('plist-malformed');
    expect(
      await codeOf(() => parsePlistDict(Buffer.from('<plist><dict><key>__proto__</key><dict/></dict></plist>'), 'x')),
    ).toBe('plist-malformed');
  });

  it('refuses every truncation of a binary plist', async () => {
    const full = plistBytes(sample, 'binary');
    for (let n = 0; n < full.length; n++) {
      const code = await codeOf(() => parsePlistDict(full.subarray(0, n), `cut at ${n}`));
      expect(code, `cut at ${n}`).not.toBe('ok');
    }
  });

  it('refuses a binary plist whose references form a cycle or expand exponentially', async () => {
    // Object 0: array [0] (contains itself). Layout: header, object, offset table, trailer.
    const cyclic = bplist([Buffer.from([0xa1, 0x00])], 0);
    expect(() => parsePlist(cyclic, 'cycle.plist')).toThrow(/reference cycle/);
    // 40 levels of [next, next]: 2^40 nodes once expanded, 41 objects on disk.
    const levels = 40;
    const objs = Array.from({ length: levels }, (_, i) => Buffer.from([0xa2, i + 1, i + 1]));
    objs.push(Buffer.from([0x09])); // true
    const bomb = bplist(objs, 0);
    expect(() => parsePlist(bomb, 'bomb.plist')).toThrow(/expand to more than/);
    const dangling = bplist([Buffer.from([0xa1, 0x07])], 0);
    expect(() => parsePlist(dangling, 'dangling.plist')).toThrow(/refers to object 7/);
  });

  it('refuses a plist over the size cap before reading it', async () => {
    const dir = await tempDir();
    const file = join(dir, 'Info.plist');
    await writeFile(file, Buffer.alloc((1 << 20) + 1, 0x20));
    expect(await codeOf(() => readPlistDict(file))).toBe('too-large');
    expect(await codeOf(() => readPlistDict(join(dir, 'missing.plist')))).toBe('unreadable');
    expect(await codeOf(() => readPlistDict(dir))).toBe('unreadable');
    // XML over 128 KiB is refused before parsing; binary plists may use the whole 1 MiB.
    expect(await codeOf(() => parsePlist(Buffer.alloc((128 << 10) + 1, 0x20), 'big.plist'))).toBe('too-large');
  });

  it('refuses deeply nested XML without a crash (stack overflow inside plist becomes plist-malformed)', async () => {
    const deep = Buffer.from(
      `<plist><dict><key>k</key>${'<array>'.repeat(8_600)}${'</array>'.repeat(8_600)}</dict></plist>`,
    );
    expect(deep.length).toBeLessThanOrEqual(128 << 10);
    expect(['ok', 'plist-malformed']).toContain(await codeOf(() => parsePlistDict(deep, 'deep.plist')));
  });
});

/** A bplist00 with 1-byte offsets and references. */
function bplist(objects: Buffer[], top: number): Buffer {
  const head = Buffer.from('bplist00', 'latin1');
  const offsets: number[] = [];
  let at = head.length;
  for (const o of objects) {
    offsets.push(at);
    at += o.length;
  }
  const table = Buffer.from(offsets);
  const trailer = Buffer.alloc(32);
  trailer[6] = 1;
  trailer[7] = 1;
  trailer.writeBigUInt64BE(BigInt(objects.length), 8);
  trailer.writeBigUInt64BE(BigInt(top), 16);
  trailer.writeBigUInt64BE(BigInt(at), 24);
  return Buffer.concat([head, ...objects, table, trailer]);
}

describe('Mach-O and code signatures', () => {
  it('reads a thin 64-bit, a thin 32-bit, a fat and a fat64 file down to the entitlements', async () => {
    const [thin] = await readAll(thinMachO({ arch: 'arm64', signature }));
    expect(thin).toMatchObject({
      arch: 'arm64',
      sig: { identifier: 'com.example.app', teamId: 'ABCDE12345', hardenedRuntime: true, adhoc: false, entitlements },
    });
    const [i386] = await readAll(thinMachO({ arch: 'i386', signature }));
    expect(i386!.sig?.entitlements).toEqual(entitlements);
    for (const fat64 of [false, true]) {
      const slices = await readAll(
        machO({
          slices: [
            { arch: 'x86_64', signature },
            { arch: 'arm64', signature: { ...signature, teamId: 'OTHER12345' } },
          ],
          fat64,
        }),
      );
      expect(slices.map((s) => [s.arch, s.sig?.teamId])).toEqual([
        ['x86_64', 'ABCDE12345'],
        ['arm64', 'OTHER12345'],
      ]);
    }
    const [be] = await readAll(thinMachO({ arch: 'x86_64', bigEndian: true, signature }));
    expect(be).toMatchObject({ arch: 'x86_64', sig: { teamId: 'ABCDE12345', entitlements } });
    const [unsigned] = await readAll(thinMachO({ arch: 'arm64' }));
    expect(unsigned!.sig).toBeUndefined();
    const [adhoc] = await readAll(thinMachO({ arch: 'arm64', signature: { identifier: 'a.out', adhoc: true } }));
    expect(adhoc!.sig).toMatchObject({ adhoc: true, teamId: undefined, entitlements: undefined });
  });

  it('refuses every truncation of a thin and of a fat file', async () => {
    for (const full of [
      thinMachO({ arch: 'arm64', signature }),
      machO({
        slices: [
          { arch: 'x86_64', signature },
          { arch: 'arm64', signature },
        ],
      }),
    ]) {
      for (let n = 0; n < full.length; n += full.length > 2000 ? 7 : 1) {
        expect(await codeOf(() => readAll(full.subarray(0, n))), `cut at ${n} of ${full.length}`).not.toBe('ok');
      }
    }
  });

  it('refuses headers and load commands that lie', async () => {
    const good = thinMachO({ arch: 'arm64', signature });
    const patch = (at: number, v: number) => {
      const b = Buffer.from(good);
      b.writeUInt32LE(v, at);
      return b;
    };
    expect(await codeOf(() => readAll(Buffer.from('#!/bin/sh\necho hi\n')))).toBe('not-macho');
    expect(await codeOf(() => readAll(patch(16, 50)))).toBe('macho-malformed'); // ncmds 50 in 40 bytes
    expect(await codeOf(() => readAll(patch(20, 0x7fffffff)))).toBe('macho-malformed'); // sizeofcmds past the file
    expect(await codeOf(() => readAll(patch(32 + 4, 0)))).toBe('macho-malformed'); // cmdsize 0 (would loop forever)
    expect(await codeOf(() => readAll(patch(32 + 4, 12)))).toBe('macho-malformed'); // cmdsize not a multiple of 8
    expect(await codeOf(() => readAll(patch(32 + 24 + 12, 0xffffff)))).toBe('macho-malformed'); // LC_CODE_SIGNATURE datasize past the end
    expect(await readAll(patch(32 + 24 + 12, 0xffffff)).catch((e: Error) => e.message)).toMatch(
      /LC_CODE_SIGNATURE points at bytes/,
    );
    const fat = machO({
      slices: [
        { arch: 'x86_64', signature },
        { arch: 'arm64', signature },
      ],
    });
    const patchBE = (at: number, v: number) => {
      const b = Buffer.from(fat);
      b.writeUInt32BE(v, at);
      return b;
    };
    expect(await codeOf(() => readAll(patchBE(4, 1000)))).toBe('macho-malformed'); // nfat_arch
    expect(await codeOf(() => readAll(patchBE(8 + 12, 0x7fffffff)))).toBe('macho-malformed'); // slice size
    expect(await codeOf(() => readAll(patchBE(8 + 20 + 8, fat.readUInt32BE(8 + 8))))).toBe('macho-malformed'); // overlapping slices
    expect(await codeOf(() => readAll(patchBE(8, 18)))).toBe('macho-malformed'); // table says ppc, slice is x86_64
  });

  it('refuses SuperBlobs with impossible lengths and offsets', async () => {
    const sb = superBlob(signature);
    const patch = (at: number, v: number) => {
      const b = Buffer.from(sb);
      b.writeUInt32BE(v, at);
      return b;
    };
    const parse = (b: Buffer) => () => parseSuperBlob(b, 'App', 'arm64');
    expect(await codeOf(parse(patch(0, 0xdeadbeef)))).toBe('signature-malformed');
    expect(await codeOf(parse(patch(4, sb.length + 1)))).toBe('signature-malformed'); // longer than LC_CODE_SIGNATURE gives
    expect(await codeOf(parse(patch(8, 0xffffffff)))).toBe('signature-malformed'); // blob count
    expect(await codeOf(parse(patch(16, 0xfffffff0)))).toBe('signature-malformed'); // blob 0 offset
    const cdAt = sb.readUInt32BE(16);
    expect(await codeOf(parse(patch(cdAt + 4, 0xffffff)))).toBe('signature-malformed'); // CodeDirectory length
    expect(await codeOf(parse(patch(cdAt + 20, 0xffff)))).toBe('signature-malformed'); // identOffset
    expect(await codeOf(parse(patch(cdAt + 48, 4)))).toBe('signature-malformed'); // teamOffset inside the header
    const entAt = sb.readUInt32BE(24);
    const badXml = Buffer.from(sb);
    badXml.write('<plisX', entAt + 8 + 39, 'latin1');
    expect(await codeOf(parse(badXml))).toBe('signature-malformed');
    expect(() => parseSuperBlob(badXml, 'App', 'arm64')).toThrow(/entitlements blob: XML plist is not well-formed/);
    for (let n = 0; n < sb.length; n++) expect(await codeOf(parse(sb.subarray(0, n))), `cut at ${n}`).not.toBe('ok');
  });

  it('survives random corruption: parses or refuses with a BundleInputError, nothing else', async () => {
    const random = rng(12);
    const originals = [
      thinMachO({ arch: 'arm64', signature }),
      machO({
        slices: [
          { arch: 'x86_64', signature },
          { arch: 'arm64', signature },
        ],
        fat64: true,
      }),
    ];
    const codes = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const b = Buffer.from(originals[i % 2]!);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++)
        b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      const code = await codeOf(() => readAll(b));
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(
      [...codes.keys()].every((c) => ['ok', 'not-macho', 'macho-malformed', 'signature-malformed'].includes(c)),
    ).toBe(true);
  });
});

describe('provisioning profiles', () => {
  it('reads the plist inside the CMS wrapper', () => {
    const p = parseProfile(
      provisioningProfile({ teamIds: ['ABCDE12345'], entitlements, expires: new Date('2030-01-01T00:00:00Z') }),
      'embedded.provisionprofile',
    );
    expect(p).toMatchObject({
      teamIds: ['ABCDE12345'],
      entitlements,
      provisionsAllDevices: true,
      expires: new Date('2030-01-01T00:00:00Z'),
    });
    const dev = parseProfile(
      provisioningProfile({ teamIds: ['T'], entitlements: {}, provisionsAllDevices: false, devices: ['a', 'b'] }),
      'p',
    );
    expect(dev).toMatchObject({ provisionsAllDevices: false, provisionedDevices: 2 });
  });

  it('reads BER with indefinite lengths and the plist split into a constructed OCTET STRING', () => {
    const payload = plistBytes({ Name: 'ber', TeamIdentifier: ['T'], Entitlements: entitlements }, 'xml');
    for (const chunk of [100_000, 50])
      expect(parseProfile(cmsWrapBer(payload, chunk), 'p')).toMatchObject({ name: 'ber', entitlements });
  });

  it('refuses what is not CMS SignedData carrying a plist dictionary', async () => {
    const good = provisioningProfile({ teamIds: ['T'], entitlements: {} });
    const parse = (b: Buffer) => () => parseProfile(b, 'embedded.provisionprofile');
    expect(await codeOf(parse(Buffer.alloc(0)))).toBe('profile-malformed');
    expect(await codeOf(parse(plistBytes({ a: 1 }, 'xml')))).toBe('profile-malformed'); // a bare plist, not CMS
    expect(await codeOf(parse(good.subarray(0, good.length - 10)))).toBe('profile-malformed');
    expect(await codeOf(parse(cmsWrap(Buffer.from('<plist><array/></plist>'))))).toBe('profile-malformed');
    expect(await codeOf(parse(cmsWrap(plistBytes({ Name: 'no entitlements' }, 'xml'))))).toBe('profile-malformed');
    expect(() => parseProfile(cmsWrap(plistBytes({ Name: 'x' }, 'xml')), 'p')).toThrow(/no Entitlements dictionary/);
    const random = rng(7);
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(good);
      b[Math.floor(random() * 60)] = Math.floor(random() * 256); // corrupt the DER framing
      expect(['ok', 'profile-malformed']).toContain(await codeOf(parse(b)));
    }
  });
});
