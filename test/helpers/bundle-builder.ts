/**
 * Builds macOS app bundles for bundle.lint tests and the shipped examples: Info.plists (XML via
 * plist.build, binary via plist.buildBinary — a different implementation from the reader's
 * bplist-parser), thin and fat Mach-O executables carrying an embedded code signature
 * (SuperBlob → CodeDirectory with identifier and team, XML entitlements blob, an empty or
 * placeholder CMS blob), and embedded.provisionprofile as a DER CMS SignedData wrapping the
 * profile plist. Nothing here is cryptographically valid: the lint reads structure, codesign on a
 * Mac verifies signatures. Byte layouts: <mach-o/loader.h>, <mach-o/fat.h>, xnu cs_blobs.h.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  SignedData,
  SignerInfos,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';
import { build, buildBinary, type PlistValue } from 'plist';

export type PlistObject = { [key: string]: PlistValue };

export interface SliceSpec {
  arch?: 'x86_64' | 'arm64' | 'i386';
  /** Write the Mach-O header and load commands big-endian (as PowerPC files are). */
  bigEndian?: boolean;
  /** Omit for an unsigned slice. */
  signature?: SignatureSpec;
}

export interface SignatureSpec {
  identifier: string;
  teamId?: string;
  entitlements?: PlistObject;
  /** CodeDirectory flags (cs_blobs.h); hardened runtime 0x10000 by default. */
  flags?: number;
  /** An empty CMS blob, as an ad-hoc signature has. */
  adhoc?: boolean;
}

export interface ExecutableSpec {
  slices: SliceSpec[];
  /** Force a fat file even for one slice; `fat64` uses FAT_MAGIC_64 and fat_arch_64. */
  fat?: boolean;
  fat64?: boolean;
}

export interface ProfileSpec {
  teamIds: string[];
  entitlements: PlistObject;
  expires?: Date;
  provisionsAllDevices?: boolean;
  devices?: string[];
}

export interface BundleSpec {
  info: PlistObject;
  infoFormat?: 'xml' | 'binary';
  /** Raw bytes instead of a generated Info.plist (malformed corpus). */
  rawInfo?: Buffer;
  executable?: ExecutableSpec;
  rawExecutable?: Buffer;
  profile?: ProfileSpec;
  rawProfile?: Buffer;
}

export interface AppSpec extends BundleSpec {
  /** Folder name, e.g. Good.app. */
  name: string;
  /** Nested bundles by path relative to the app's Contents folder. */
  nested?: Record<string, BundleSpec>;
}

const CPU: Record<NonNullable<SliceSpec['arch']>, [number, number]> = {
  x86_64: [0x01000007, 3],
  arm64: [0x0100000c, 0],
  i386: [7, 3],
};

export async function writeApp(parent: string, spec: AppSpec): Promise<string> {
  const appPath = join(parent, spec.name);
  await writeBundle(appPath, spec);
  for (const [rel, nested] of Object.entries(spec.nested ?? {}))
    await writeBundle(join(appPath, 'Contents', rel), nested);
  return appPath;
}

export async function writeBundle(path: string, spec: BundleSpec): Promise<void> {
  await put(join(path, 'Contents', 'Info.plist'), spec.rawInfo ?? plistBytes(spec.info, spec.infoFormat ?? 'xml'));
  const exe = typeof spec.info.CFBundleExecutable === 'string' ? spec.info.CFBundleExecutable : undefined;
  if (exe && (spec.executable || spec.rawExecutable))
    await put(join(path, 'Contents', 'MacOS', exe), spec.rawExecutable ?? machO(spec.executable!));
  if (spec.profile || spec.rawProfile)
    await put(
      join(path, 'Contents', 'embedded.provisionprofile'),
      spec.rawProfile ?? provisioningProfile(spec.profile!),
    );
}

async function put(file: string, data: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, data);
}

export function plistBytes(value: PlistObject, format: 'xml' | 'binary'): Buffer {
  return format === 'binary' ? Buffer.from(buildBinary(value)) : Buffer.from(build(value), 'utf8');
}

/** A Mach-O executable: thin for one slice unless `fat`, else fat with 4 KiB-aligned slices. */
export function machO(spec: ExecutableSpec): Buffer {
  const slices = spec.slices.map(thinMachO);
  if (slices.length === 1 && !spec.fat && !spec.fat64) return slices[0]!;
  const is64 = spec.fat64 === true;
  const entry = is64 ? 32 : 20;
  const align = 12;
  let offset = alignUp(8 + entry * slices.length, 1 << align);
  const header = Buffer.alloc(8 + entry * slices.length);
  header.writeUInt32BE(is64 ? 0xcafebabf : 0xcafebabe, 0);
  header.writeUInt32BE(slices.length, 4);
  const parts: Buffer[] = [];
  let end = header.length;
  spec.slices.forEach((s, i) => {
    const [cpu, sub] = CPU[s.arch ?? 'arm64'];
    const at = 8 + i * entry;
    header.writeUInt32BE(cpu, at);
    header.writeUInt32BE(sub, at + 4);
    if (is64) {
      header.writeBigUInt64BE(BigInt(offset), at + 8);
      header.writeBigUInt64BE(BigInt(slices[i]!.length), at + 16);
      header.writeUInt32BE(align, at + 24);
    } else {
      header.writeUInt32BE(offset, at + 8);
      header.writeUInt32BE(slices[i]!.length, at + 12);
      header.writeUInt32BE(align, at + 16);
    }
    parts.push(Buffer.alloc(offset - end), slices[i]!);
    end = offset + slices[i]!.length;
    offset = alignUp(end, 1 << align);
  });
  return Buffer.concat([header, ...parts]);
}

/** A thin Mach-O (MH_EXECUTE, little-endian unless asked): header, one LC_UUID, LC_CODE_SIGNATURE, the signature. */
export function thinMachO(slice: SliceSpec): Buffer {
  const arch = slice.arch ?? 'arm64';
  const is64 = arch !== 'i386';
  const headerSize = is64 ? 32 : 28;
  const [cpu, sub] = CPU[arch];
  const w32 = (b: Buffer, v: number, at: number) => (slice.bigEndian ? b.writeUInt32BE(v, at) : b.writeUInt32LE(v, at));
  const uuid = Buffer.alloc(24); // LC_UUID (0x1b): cmd, cmdsize, 16 bytes
  w32(uuid, 0x1b, 0);
  w32(uuid, 24, 4);
  const cmds: Buffer[] = [uuid];
  const sig = slice.signature ? superBlob(slice.signature) : undefined;
  const sizeofcmds = 24 + (sig ? 16 : 0);
  const dataoff = alignUp(headerSize + sizeofcmds, 16);
  if (sig) {
    const lc = Buffer.alloc(16);
    w32(lc, 0x1d, 0);
    w32(lc, 16, 4);
    w32(lc, dataoff, 8);
    w32(lc, sig.length, 12);
    cmds.push(lc);
  }
  const header = Buffer.alloc(headerSize);
  w32(header, is64 ? 0xfeedfacf : 0xfeedface, 0);
  w32(header, cpu, 4);
  w32(header, sub, 8);
  w32(header, 2, 12); // MH_EXECUTE
  w32(header, cmds.length, 16);
  w32(header, sizeofcmds, 20);
  const body = Buffer.concat([header, ...cmds]);
  return Buffer.concat([body, Buffer.alloc(dataoff - body.length), sig ?? Buffer.alloc(0)]);
}

/** SuperBlob with CodeDirectory (slot 0), entitlements (slot 5) and the CMS wrapper (0x10000). */
export function superBlob(spec: SignatureSpec): Buffer {
  const blobs: Array<[number, Buffer]> = [[0, codeDirectory(spec)]];
  if (spec.entitlements) blobs.push([5, blob(0xfade7171, Buffer.from(build(spec.entitlements), 'utf8'))]);
  blobs.push([
    0x10000,
    blob(0xfade0b01, spec.adhoc ? Buffer.alloc(0) : Buffer.from('placeholder CMS (not a real signature)')),
  ]);
  const indexEnd = 12 + blobs.length * 8;
  const head = Buffer.alloc(indexEnd);
  let offset = indexEnd;
  blobs.forEach(([type, b], i) => {
    head.writeUInt32BE(type, 12 + i * 8);
    head.writeUInt32BE(offset, 16 + i * 8);
    offset += b.length;
  });
  head.writeUInt32BE(0xfade0cc0, 0);
  head.writeUInt32BE(offset, 4);
  head.writeUInt32BE(blobs.length, 8);
  return Buffer.concat([head, ...blobs.map(([, b]) => b)]);
}

function codeDirectory(spec: SignatureSpec): Buffer {
  // Version 0x20400 header is 88 bytes; identifier then team follow it.
  const fixed = Buffer.alloc(88);
  const ident = Buffer.from(`${spec.identifier}\0`, 'utf8');
  const team = spec.teamId ? Buffer.from(`${spec.teamId}\0`, 'utf8') : Buffer.alloc(0);
  const total = fixed.length + ident.length + team.length;
  fixed.writeUInt32BE(0xfade0c02, 0);
  fixed.writeUInt32BE(total, 4);
  fixed.writeUInt32BE(0x20400, 8);
  fixed.writeUInt32BE((spec.flags ?? 0x10000) | (spec.adhoc ? 0x2 : 0), 12);
  fixed.writeUInt32BE(total, 16); // hashOffset: no code slots
  fixed.writeUInt32BE(88, 20); // identOffset
  fixed.writeUInt32BE(spec.teamId ? 88 + ident.length : 0, 48); // teamOffset
  return Buffer.concat([fixed, ident, team]);
}

function blob(magic: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(magic, 0);
  head.writeUInt32BE(8 + data.length, 4);
  return Buffer.concat([head, data]);
}

/** A DER CMS SignedData (no signers) carrying the profile plist, as embedded.provisionprofile does. */
export function provisioningProfile(spec: ProfileSpec): Buffer {
  const plist: PlistObject = {
    AppIDName: 'netconform example',
    Name: 'netconform example profile',
    Platform: ['OSX'],
    TeamIdentifier: spec.teamIds,
    Entitlements: spec.entitlements,
    ExpirationDate: spec.expires ?? new Date('2099-01-01T00:00:00Z'),
    ...(spec.provisionsAllDevices === false
      ? { ProvisionedDevices: spec.devices ?? ['00000000-0000000000000000'] }
      : { ProvisionsAllDevices: true }),
  };
  return cmsWrap(Buffer.from(build(plist), 'utf8'));
}

export function cmsWrap(payload: Buffer): Buffer {
  const signed = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers(),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_data,
      eContent: new EncapsulatedContent({ single: new OctetString(payload) }),
    }),
    signerInfos: new SignerInfos(),
  });
  return Buffer.from(
    AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signed) })),
  );
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * The same wrapper in BER with indefinite lengths and the content split into a constructed
 * OCTET STRING of `chunk`-byte pieces — the form CMS encoders that stream produce.
 */
export function cmsWrapBer(payload: Buffer, chunk = 1000): Buffer {
  const oid = (dotted: string) => {
    const parts = dotted.split('.').map(Number);
    const body = [40 * parts[0]! + parts[1]!];
    for (const p of parts.slice(2)) {
      const b: number[] = [];
      let v = p;
      do {
        b.unshift(v & 0x7f);
        v >>= 7;
      } while (v);
      body.push(...b.map((x, i) => (i < b.length - 1 ? x | 0x80 : x)));
    }
    return Buffer.from([0x06, body.length, ...body]);
  };
  const len = (n: number) =>
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  const indef = (tag: number, ...inner: Buffer[]) =>
    Buffer.concat([Buffer.from([tag, 0x80]), ...inner, Buffer.from([0, 0])]);
  const pieces: Buffer[] = [];
  for (let at = 0; at < payload.length; at += chunk) {
    const piece = payload.subarray(at, at + chunk);
    pieces.push(Buffer.concat([Buffer.from([0x04]), len(piece.length), piece]));
  }
  const encap = indef(0x30, oid('1.2.840.113549.1.7.1'), indef(0xa0, indef(0x24, ...pieces)));
  const signed = indef(
    0x30,
    Buffer.from([0x02, 0x01, 0x01]),
    Buffer.from([0x31, 0x00]),
    encap,
    Buffer.from([0x31, 0x00]),
  );
  return indef(0x30, oid('1.2.840.113549.1.7.2'), indef(0xa0, signed));
}
