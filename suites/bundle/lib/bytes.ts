/**
 * Bounded reads. A bundle is untrusted input: every file is read through a size cap, and the
 * Mach-O reader reads only the ranges it needs (headers, load commands, the signature) through
 * a ByteSource, so a 2 GB executable costs a few kilobytes of memory.
 */
import { open, stat } from 'node:fs/promises';
import { BundleInputError } from './errors.ts';

/** Caps on what is read (bytes). Info.plists and profiles are a few KiB in practice. */
export const LIMITS = {
  plistBytes: 1 << 20,
  /**
   * XML plists (Info.plist, the entitlements blob, a profile's payload): xmldom parses about
   * 150–250 KB/s on this project's loaded 2-core machine and the XML is parsed twice (well-formedness,
   * then plist), so 128 KiB keeps the worst case under about a second. Real ones are a few KiB;
   * a bigger one can be converted to binary (plutil -convert binary1), which is capped at plistBytes.
   */
  xmlPlistBytes: 128 << 10,
  profileBytes: 1 << 20,
  /** Load commands of real binaries are tens of KiB. */
  loadCommandBytes: 4 << 20,
  /** A code signature holds page hashes: ~1 MiB per 100 MiB of code per hash type. */
  signatureBytes: 16 << 20,
  /** Bundles nested in one app (extensions, login items, helpers). */
  nestedBundles: 64,
} as const;

/** Random access to a file (or a buffer, in tests) without reading it whole. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`; the caller has checked the range against `size`. */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export function bufferSource(name: string, buf: Buffer): ByteSource {
  return {
    name,
    size: buf.length,
    read: async (offset, length) => buf.subarray(offset, offset + length),
    close: async () => undefined,
  };
}

export async function fileSource(file: string): Promise<ByteSource> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new BundleInputError(
      'unreadable',
      file,
      `cannot open: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const h = handle;
  const st = await h.stat();
  if (!st.isFile()) {
    await h.close();
    throw new BundleInputError('unreadable', file, 'is not a regular file');
  }
  const size = st.size;
  return {
    name: file,
    size,
    async read(offset, length) {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await h.read(buf, 0, length, offset);
      if (bytesRead !== length)
        throw new BundleInputError(
          'unreadable',
          file,
          `short read at offset ${offset}: ${bytesRead} of ${length} bytes`,
        );
      return buf;
    },
    close: () => h.close(),
  };
}

/** Reads a whole small file, refusing one over `cap` bytes before reading it. */
export async function readCapped(file: string, cap: number): Promise<Buffer> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new BundleInputError('unreadable', file, 'is not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof BundleInputError) throw err;
    throw new BundleInputError(
      'unreadable',
      file,
      `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  if (size > cap) throw new BundleInputError('too-large', file, `is ${size} bytes; refusing to read more than ${cap}`);
  const src = await fileSource(file);
  try {
    return await src.read(0, src.size);
  } finally {
    await src.close();
  }
}
