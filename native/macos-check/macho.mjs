// Reads the few facts check:macos verifies in a linked 64-bit Mach-O: its CPU, file type,
// minimum macOS (LC_BUILD_VERSION), linked dylibs (LC_LOAD_DYLIB) and the undefined symbols
// left to `-undefined dynamic_lookup` (library ordinal DYNAMIC_LOOKUP_ORDINAL), i.e. those
// the loading process must provide. Layouts: <mach-o/loader.h> and <mach-o/nlist.h>.
import { readFileSync } from 'node:fs';

const MH_MAGIC_64 = 0xfeedfacf;
const CPU_TYPES = { 16777223: 'x86_64', 16777228: 'arm64' };
const FILE_TYPES = { 6: 'dylib', 8: 'bundle' };
const LC_SYMTAB = 0x2;
const LC_LOAD_DYLIB = 0xc;
const LC_BUILD_VERSION = 0x32;
const PLATFORM_MACOS = 1;
const N_EXT = 0x01;
const N_TYPE = 0x0e;
const N_UNDF = 0x0;
const DYNAMIC_LOOKUP_ORDINAL = 0xfe;

/** Version packed as xxxx.yy.zz nibbles (<mach-o/loader.h>, struct build_version_command). */
const unpackVersion = (v) => `${v >>> 16}.${(v >>> 8) & 0xff}${v & 0xff ? `.${v & 0xff}` : ''}`;

export function readMachO(path) {
  const b = readFileSync(path);
  const magic = b.readUInt32LE(0);
  if (magic !== MH_MAGIC_64)
    throw Object.assign(new Error(`${path} is not a 64-bit Mach-O (magic 0x${magic.toString(16)})`), {
      code: 'ENOTMACHO',
    });
  const cpu = CPU_TYPES[b.readUInt32LE(4)] ?? `cputype 0x${b.readUInt32LE(4).toString(16)}`;
  const fileType = FILE_TYPES[b.readUInt32LE(12)] ?? `filetype ${b.readUInt32LE(12)}`;
  const ncmds = b.readUInt32LE(16);
  const cstr = (at) => b.toString('latin1', at, b.indexOf(0, at));
  const dylibs = [];
  const dynamicLookup = [];
  let minMacos;
  let off = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = b.readUInt32LE(off);
    const size = b.readUInt32LE(off + 4);
    if (cmd === LC_LOAD_DYLIB) dylibs.push(cstr(off + b.readUInt32LE(off + 8)));
    if (cmd === LC_BUILD_VERSION && b.readUInt32LE(off + 8) === PLATFORM_MACOS)
      minMacos = unpackVersion(b.readUInt32LE(off + 12));
    if (cmd === LC_SYMTAB) {
      const [symoff, nsyms, stroff] = [b.readUInt32LE(off + 8), b.readUInt32LE(off + 12), b.readUInt32LE(off + 16)];
      for (let s = 0; s < nsyms; s++) {
        const at = symoff + s * 16;
        const type = b.readUInt8(at + 4);
        const ordinal = (b.readUInt16LE(at + 6) >> 8) & 0xff;
        if ((type & N_TYPE) === N_UNDF && type & N_EXT && ordinal === DYNAMIC_LOOKUP_ORDINAL) {
          dynamicLookup.push(cstr(stroff + b.readUInt32LE(at)));
        }
      }
    }
    off += size;
  }
  return { cpu, fileType, minMacos, dylibs, dynamicLookup };
}
