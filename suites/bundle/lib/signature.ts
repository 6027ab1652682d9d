/**
 * The embedded code signature: a SuperBlob (CSMAGIC_EMBEDDED_SIGNATURE 0xfade0cc0) of indexed
 * blobs, all big-endian whatever the slice's byte order. Layout and constants from xnu
 * osfmk/kern/cs_blobs.h; TN3126 "Inside Code Signing: Hashes" describes the CodeDirectory.
 * We read: the CodeDirectory (slot 0) for the signing identifier, team identifier and flags,
 * and the XML entitlements blob (slot 5, CSMAGIC_EMBEDDED_ENTITLEMENTS 0xfade7171). Every
 * length and offset is checked against the SuperBlob and the SuperBlob against LC_CODE_SIGNATURE.
 */
import { BundleInputError } from './errors.ts';
import { parsePlistDict, type PlistDict } from './plist.ts';

export const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
export const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
export const CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xfade7171;
export const CSMAGIC_BLOBWRAPPER = 0xfade0b01;
export const CSSLOT_CODEDIRECTORY = 0;
export const CSSLOT_ENTITLEMENTS = 5;
export const CSSLOT_SIGNATURESLOT = 0x10000;
/** cs_blobs.h: CS_ADHOC "ad hoc signed", CS_RUNTIME "Apply hardened runtime policies". */
export const CS_ADHOC = 0x2;
export const CS_RUNTIME = 0x10000;
/** cs_blobs.h CS_SUPPORTSTEAMID: CodeDirectory versions from 0x20200 carry teamOffset. */
const CD_VERSION_TEAM = 0x20200;
/** Real signatures have under a dozen blobs. */
const MAX_BLOBS = 64;

export interface CodeSignature {
  identifier: string | undefined;
  teamId: string | undefined;
  flags: number;
  adhoc: boolean;
  hardenedRuntime: boolean;
  /** The XML entitlements the signature claims; undefined when it has no entitlements blob. */
  entitlements: PlistDict | undefined;
  /** Size of the CMS signature blob (0 when absent or empty: ad-hoc). */
  cmsBytes: number;
}

export function parseSuperBlob(sig: Buffer, file: string, arch: string): CodeSignature {
  const bad = (what: string): never => {
    throw new BundleInputError('signature-malformed', file, `code signature (${arch}): ${what}`);
  };
  if (sig.length < 12) bad(`${sig.length} bytes is shorter than a SuperBlob header`);
  const magic = sig.readUInt32BE(0);
  if (magic !== CSMAGIC_EMBEDDED_SIGNATURE)
    bad(`magic 0x${magic.toString(16)} is not CSMAGIC_EMBEDDED_SIGNATURE (0xfade0cc0)`);
  const length = sig.readUInt32BE(4);
  const count = sig.readUInt32BE(8);
  if (length < 12 || length > sig.length)
    bad(`SuperBlob length ${length} does not fit the ${sig.length} bytes LC_CODE_SIGNATURE gives`);
  if (count > MAX_BLOBS || 12 + count * 8 > length)
    bad(`SuperBlob claims ${count} blobs; its index would end at ${12 + count * 8}, length is ${length}`);
  const blobs = new Map<number, Buffer>();
  for (let i = 0; i < count; i++) {
    const type = sig.readUInt32BE(12 + i * 8);
    const offset = sig.readUInt32BE(16 + i * 8);
    if (offset < 12 + count * 8 || offset + 8 > length)
      bad(
        `blob ${i} (slot 0x${type.toString(16)}) at offset ${offset} lies outside the SuperBlob (index ends at ${12 + count * 8}, length ${length})`,
      );
    const blobLength = sig.readUInt32BE(offset + 4);
    if (blobLength < 8 || offset + blobLength > length)
      bad(
        `blob ${i} (slot 0x${type.toString(16)}) claims ${blobLength} bytes at offset ${offset}; the SuperBlob is ${length}`,
      );
    if (blobs.has(type)) bad(`slot 0x${type.toString(16)} appears twice`);
    blobs.set(type, sig.subarray(offset, offset + blobLength));
  }
  const cd = blobs.get(CSSLOT_CODEDIRECTORY);
  if (!cd) bad('no CodeDirectory (slot 0)');
  const cdInfo = parseCodeDirectory(cd!, bad);
  let entitlements: PlistDict | undefined;
  const ent = blobs.get(CSSLOT_ENTITLEMENTS);
  if (ent) {
    const entMagic = ent.readUInt32BE(0);
    if (entMagic !== CSMAGIC_EMBEDDED_ENTITLEMENTS)
      bad(`entitlements slot has magic 0x${entMagic.toString(16)}, not 0xfade7171`);
    try {
      entitlements = parsePlistDict(ent.subarray(8), `${file} (entitlements, ${arch})`);
    } catch (err) {
      if (err instanceof BundleInputError) bad(`entitlements blob: ${err.detail}`);
      throw err;
    }
  }
  const cms = blobs.get(CSSLOT_SIGNATURESLOT);
  if (cms && cms.readUInt32BE(0) !== CSMAGIC_BLOBWRAPPER)
    bad(`signature slot has magic 0x${cms.readUInt32BE(0).toString(16)}, not CSMAGIC_BLOBWRAPPER (0xfade0b01)`);
  const cmsBytes = cms ? cms.length - 8 : 0;
  return {
    ...cdInfo,
    adhoc: (cdInfo.flags & CS_ADHOC) !== 0 || cmsBytes === 0,
    hardenedRuntime: (cdInfo.flags & CS_RUNTIME) !== 0,
    entitlements,
    cmsBytes,
  };
}

function parseCodeDirectory(
  cd: Buffer,
  bad: (what: string) => never,
): { identifier: string | undefined; teamId: string | undefined; flags: number } {
  if (cd.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY)
    bad(`slot 0 has magic 0x${cd.readUInt32BE(0).toString(16)}, not CSMAGIC_CODEDIRECTORY (0xfade0c02)`);
  // Fixed part up to spare2 is 44 bytes; scatterOffset (0x20100) and teamOffset (0x20200) follow.
  if (cd.length < 44) bad(`CodeDirectory is ${cd.length} bytes, shorter than its 44-byte header`);
  const version = cd.readUInt32BE(8);
  const flags = cd.readUInt32BE(12);
  const identifier = cString(cd, cd.readUInt32BE(20), 'identifier', bad);
  let teamId: string | undefined;
  if (version >= CD_VERSION_TEAM) {
    if (cd.length < 52)
      bad(`CodeDirectory version 0x${version.toString(16)} needs 52 bytes for teamOffset; it has ${cd.length}`);
    const teamOffset = cd.readUInt32BE(48);
    if (teamOffset !== 0) teamId = cString(cd, teamOffset, 'team identifier', bad);
  }
  return { identifier, teamId, flags };
}

function cString(blob: Buffer, offset: number, what: string, bad: (what: string) => never): string {
  if (offset < 44 || offset >= blob.length)
    bad(`CodeDirectory ${what} offset ${offset} lies outside the ${blob.length}-byte CodeDirectory`);
  const end = blob.indexOf(0, offset);
  if (end < 0) bad(`CodeDirectory ${what} at ${offset} is not NUL-terminated within the CodeDirectory`);
  return blob.subarray(offset, end).toString('utf8');
}
