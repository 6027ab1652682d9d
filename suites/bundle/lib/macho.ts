/**
 * Mach-O reader: thin files (32/64-bit, either byte order) and fat/universal files (fat_arch and
 * fat_arch_64), down to each slice's LC_CODE_SIGNATURE. Layouts from <mach-o/loader.h> and
 * <mach-o/fat.h>: fat headers are always big-endian; a thin header's magic tells its byte order.
 * Every count, size and offset is checked against the file before it is used, and only headers,
 * load commands and the signature are read.
 */
import { LIMITS, type ByteSource } from './bytes.ts';
import { BundleInputError } from './errors.ts';

export const MH_MAGIC = 0xfeedface;
export const MH_MAGIC_64 = 0xfeedfacf;
export const FAT_MAGIC = 0xcafebabe;
export const FAT_MAGIC_64 = 0xcafebabf;
export const LC_CODE_SIGNATURE = 0x1d;
/** <mach-o/fat.h> gives no limit; real files have 1–4 slices. 0xcafebabe is also Java's class magic, whose next word is a version ≥ 45. */
const MAX_FAT_ARCHS = 16;

const CPU_NAMES: Record<number, string> = {
  7: 'i386',
  16777223: 'x86_64',
  12: 'arm',
  16777228: 'arm64',
  33554444: 'arm64_32',
  18: 'ppc',
  16777234: 'ppc64',
};

export interface MachOSlice {
  arch: string;
  /** Where the slice starts in the file (0 for a thin file). */
  offset: number;
  size: number;
  is64: boolean;
  littleEndian: boolean;
  fileType: number;
  ncmds: number;
  /** LC_CODE_SIGNATURE's range, relative to the slice. */
  codeSignature?: { dataoff: number; datasize: number };
}

export interface MachOFile {
  kind: 'thin' | 'fat';
  slices: MachOSlice[];
}

function fail(src: ByteSource, code: 'not-macho' | 'macho-malformed', detail: string): never {
  throw new BundleInputError(code, src.name, detail);
}

export async function readMachO(src: ByteSource): Promise<MachOFile> {
  if (src.size < 4) fail(src, 'macho-malformed', `is ${src.size} bytes: truncated before the magic number`);
  const magic = (await src.read(0, 4)).readUInt32BE(0);
  if (magic === FAT_MAGIC || magic === FAT_MAGIC_64)
    return { kind: 'fat', slices: await readFat(src, magic === FAT_MAGIC_64) };
  const le = (await src.read(0, 4)).readUInt32LE(0);
  if ([MH_MAGIC, MH_MAGIC_64].includes(le) || [MH_MAGIC, MH_MAGIC_64].includes(magic)) {
    return { kind: 'thin', slices: [await readThin(src, 0, src.size)] };
  }
  return fail(
    src,
    'not-macho',
    `starts with 0x${magic.toString(16).padStart(8, '0')}, not a Mach-O or fat magic number`,
  );
}

async function readFat(src: ByteSource, is64: boolean): Promise<MachOSlice[]> {
  if (src.size < 8) fail(src, 'macho-malformed', 'fat header truncated');
  const nfat = (await src.read(4, 4)).readUInt32BE(0);
  if (nfat < 1 || nfat > MAX_FAT_ARCHS)
    fail(src, 'macho-malformed', `fat header claims ${nfat} architectures (1–${MAX_FAT_ARCHS} allowed)`);
  const entry = is64 ? 32 : 20;
  const tableEnd = 8 + nfat * entry;
  if (tableEnd > src.size)
    fail(src, 'macho-malformed', `fat table of ${nfat} entries needs ${tableEnd} bytes; the file has ${src.size}`);
  const table = await src.read(8, nfat * entry);
  const ranges: Array<{ offset: number; size: number; cpu: number }> = [];
  for (let i = 0; i < nfat; i++) {
    const at = i * entry;
    const cpu = table.readUInt32BE(at);
    const offset = is64 ? safeU64(table.readBigUInt64BE(at + 8)) : table.readUInt32BE(at + 8);
    const size = is64 ? safeU64(table.readBigUInt64BE(at + 16)) : table.readUInt32BE(at + 12);
    if (offset < tableEnd || offset + size > src.size) {
      fail(
        src,
        'macho-malformed',
        `fat slice ${i} (${cpuName(cpu)}) claims bytes ${offset}–${offset + size}; the file has ${src.size} and the fat table ends at ${tableEnd}`,
      );
    }
    for (const r of ranges) {
      if (offset < r.offset + r.size && r.offset < offset + size)
        fail(src, 'macho-malformed', `fat slices ${cpuName(r.cpu)} and ${cpuName(cpu)} overlap`);
    }
    ranges.push({ offset, size, cpu });
  }
  const slices: MachOSlice[] = [];
  for (const r of ranges) {
    const slice = await readThin(src, r.offset, r.size);
    if (slice.arch !== cpuName(r.cpu))
      fail(
        src,
        'macho-malformed',
        `fat table says ${cpuName(r.cpu)} at ${r.offset} but the slice there is ${slice.arch}`,
      );
    slices.push(slice);
  }
  return slices;
}

async function readThin(src: ByteSource, base: number, size: number): Promise<MachOSlice> {
  const where = base ? ` (slice at ${base})` : '';
  if (size < 28) fail(src, 'macho-malformed', `Mach-O header truncated${where}: ${size} bytes`);
  const head = await src.read(base, Math.min(size, 32));
  const le = head.readUInt32LE(0);
  const be = head.readUInt32BE(0);
  const littleEndian = le === MH_MAGIC || le === MH_MAGIC_64;
  const magic = littleEndian ? le : be;
  if (magic !== MH_MAGIC && magic !== MH_MAGIC_64)
    fail(src, 'macho-malformed', `no Mach-O magic${where} (0x${be.toString(16)}); a fat slice must be a thin Mach-O`);
  const is64 = magic === MH_MAGIC_64;
  const headerSize = is64 ? 32 : 28;
  if (size < headerSize) fail(src, 'macho-malformed', `64-bit Mach-O header truncated${where}`);
  const u32 = (b: Buffer, at: number) => (littleEndian ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const cpu = u32(head, 4);
  const fileType = u32(head, 12);
  const ncmds = u32(head, 16);
  const sizeofcmds = u32(head, 20);
  if (sizeofcmds > size - headerSize)
    fail(
      src,
      'macho-malformed',
      `header says ${sizeofcmds} bytes of load commands${where}; only ${size - headerSize} follow the header: truncated or lying`,
    );
  if (sizeofcmds > LIMITS.loadCommandBytes)
    fail(
      src,
      'macho-malformed',
      `header says ${sizeofcmds} bytes of load commands${where}; refusing more than ${LIMITS.loadCommandBytes}`,
    );
  if (ncmds * 8 > sizeofcmds)
    fail(
      src,
      'macho-malformed',
      `header says ${ncmds} load commands in ${sizeofcmds} bytes${where}: each needs at least 8`,
    );
  const cmds = await src.read(base + headerSize, sizeofcmds);
  // loader.h: "The cmdsize for 32-bit architectures MUST be a multiple of 4 bytes and for 64-bit architectures MUST be a multiple of 8 bytes."
  const align = is64 ? 8 : 4;
  let at = 0;
  let codeSignature: MachOSlice['codeSignature'];
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > sizeofcmds)
      fail(
        src,
        'macho-malformed',
        `load command ${i} of ${ncmds} starts at ${at}, past the ${sizeofcmds} bytes of load commands${where}`,
      );
    const cmd = u32(cmds, at);
    const cmdsize = u32(cmds, at + 4);
    if (cmdsize < 8 || cmdsize % align !== 0 || at + cmdsize > sizeofcmds) {
      fail(
        src,
        'macho-malformed',
        `load command ${i} (0x${cmd.toString(16)}) has cmdsize ${cmdsize}: must be ≥ 8, a multiple of ${align} and end within the ${sizeofcmds} bytes of load commands${where}`,
      );
    }
    if (cmd === LC_CODE_SIGNATURE) {
      if (codeSignature) fail(src, 'macho-malformed', `two LC_CODE_SIGNATURE load commands${where}`);
      if (cmdsize < 16)
        fail(
          src,
          'macho-malformed',
          `LC_CODE_SIGNATURE cmdsize ${cmdsize} is smaller than linkedit_data_command (16)${where}`,
        );
      const dataoff = u32(cmds, at + 8);
      const datasize = u32(cmds, at + 12);
      if (dataoff < headerSize + sizeofcmds || dataoff + datasize > size) {
        fail(
          src,
          'macho-malformed',
          `LC_CODE_SIGNATURE points at bytes ${dataoff}–${dataoff + datasize}${where}; the slice has ${size} and its load commands end at ${headerSize + sizeofcmds}`,
        );
      }
      codeSignature = { dataoff, datasize };
    }
    at += cmdsize;
  }
  return { arch: cpuName(cpu), offset: base, size, is64, littleEndian, fileType, ncmds, codeSignature };
}

/** The raw signature bytes of one slice, capped. */
export async function readSignatureBytes(src: ByteSource, slice: MachOSlice): Promise<Buffer> {
  const cs = slice.codeSignature!;
  if (cs.datasize > LIMITS.signatureBytes) {
    throw new BundleInputError(
      'signature-malformed',
      src.name,
      `code signature of ${slice.arch} is ${cs.datasize} bytes; refusing more than ${LIMITS.signatureBytes}`,
    );
  }
  return src.read(slice.offset + cs.dataoff, cs.datasize);
}

function cpuName(cpu: number): string {
  return CPU_NAMES[cpu] ?? `cpu 0x${cpu.toString(16)}`;
}

function safeU64(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}
