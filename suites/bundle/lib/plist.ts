/**
 * Property lists, XML or binary (detected by the `bplist00` magic, as CoreFoundation does).
 * XML goes through `plist` after an xmldom well-formedness pass that reports line:col (plist's
 * own DOMParser prints to the console instead); binary goes through `bplist-parser` after a
 * shape check of the bplist00 container (CFBinaryPList.c layout: objects, offset table, 32-byte
 * trailer), because bplist-parser follows object references blindly: a reference cycle recurses
 * until the stack overflows and a shared sub-array expands exponentially. The check bounds both.
 */
import { DOMParser } from '@xmldom/xmldom';
import { parseBuffer } from 'bplist-parser';
import { parse as parseXmlPlist } from 'plist';
import { LIMITS, readCapped } from './bytes.ts';
import { BundleInputError } from './errors.ts';

export type PlistDict = { readonly [key: string]: unknown };

const BPLIST_MAGIC = Buffer.from('bplist00', 'latin1');
/** Objects after expanding shared references; a real Info.plist has a few hundred. */
const MAX_EXPANDED_OBJECTS = 40_000;
/** bplist-parser's own default object-count limit. */
const MAX_OBJECTS = 32_768;

export function isBinaryPlist(buf: Buffer): boolean {
  return buf.length >= 8 && buf.subarray(0, 8).equals(BPLIST_MAGIC);
}

/** Parses a plist (either form) whose top level must be a dictionary. */
export function parsePlistDict(buf: Buffer, file: string): PlistDict {
  const value = parsePlist(buf, file);
  if (!isDict(value))
    throw new BundleInputError('plist-malformed', file, `top level is ${describeType(value)}, not a dictionary`);
  return value;
}

export function parsePlist(buf: Buffer, file: string): unknown {
  if (buf.length === 0) throw new BundleInputError('plist-malformed', file, 'is empty');
  if (isBinaryPlist(buf)) {
    checkBinaryShape(buf, file);
    try {
      return parseBuffer(buf)[0];
    } catch (err) {
      throw new BundleInputError('plist-malformed', file, `binary plist: ${(err as Error).message}`);
    }
  }
  if (buf.length > LIMITS.xmlPlistBytes)
    throw new BundleInputError(
      'too-large',
      file,
      `is a ${buf.length}-byte XML plist; refusing more than ${LIMITS.xmlPlistBytes}`,
    );
  let text: string;
  try {
    // Strict decoding: Xcode writes UTF-8, and a replacement character would reach plist's own parser (which logs).
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new BundleInputError('plist-malformed', file, 'is neither a binary plist (bplist00) nor UTF-8 XML');
  }
  const problems: string[] = [];
  try {
    new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') problems.push(message.split('\n')[0]!.trim());
      },
    }).parseFromString(text, 'text/xml');
  } catch (err) {
    // xmldom reports a fatal error through onError and then throws its ParseError.
    if (!problems.length) problems.push((err as Error).message.split('\n')[0]!.trim());
  }
  if (problems.length)
    throw new BundleInputError('plist-malformed', file, `XML plist is not well-formed: ${problems[0]}`);
  try {
    return parseXmlPlist(text);
  } catch (err) {
    throw new BundleInputError('plist-malformed', file, `XML plist: ${(err as Error).message}`);
  }
}

export async function readPlistDict(file: string): Promise<PlistDict> {
  return parsePlistDict(await readCapped(file, LIMITS.plistBytes), file);
}

export function isDict(v: unknown): v is PlistDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

/** Own properties only: a plist key named like an Object.prototype member must not leak in. */
export function get(d: PlistDict | undefined, key: string): unknown {
  return d !== undefined && Object.hasOwn(d, key) ? d[key] : undefined;
}
export function getString(d: PlistDict | undefined, key: string): string | undefined {
  const v = get(d, key);
  return typeof v === 'string' ? v : undefined;
}
export function getDict(d: PlistDict | undefined, key: string): PlistDict | undefined {
  const v = get(d, key);
  return isDict(v) ? v : undefined;
}
export function getStrings(d: PlistDict | undefined, key: string): string[] | undefined {
  const v = get(d, key);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

export function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'missing';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (v instanceof Uint8Array) return 'data';
  return `a ${typeof v}`;
}

/** Validates the bplist00 container so that parsing it is bounded in time and stack. */
function checkBinaryShape(buf: Buffer, file: string): void {
  const bad = (what: string): never => {
    throw new BundleInputError('plist-malformed', file, `binary plist: ${what}`);
  };
  if (buf.length < 8 + 1 + 32) bad(`${buf.length} bytes is shorter than a header, one object and the 32-byte trailer`);
  const t = buf.length - 32;
  const offsetSize = buf[t + 6]!;
  const refSize = buf[t + 7]!;
  const u64 = (at: number): number => {
    const v = buf.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const numObjects = u64(t + 8);
  const top = u64(t + 16);
  const tableOffset = u64(t + 24);
  if (offsetSize < 1 || offsetSize > 8 || refSize < 1 || refSize > 8)
    bad(`trailer gives offset size ${offsetSize} and reference size ${refSize} (each must be 1–8)`);
  if (numObjects < 1 || numObjects > MAX_OBJECTS)
    bad(`trailer claims ${numObjects} objects (1–${MAX_OBJECTS} allowed)`);
  if (top >= numObjects) bad(`top object ${top} is not among the ${numObjects} objects`);
  if (tableOffset < 9 || tableOffset + numObjects * offsetSize > t)
    bad(`offset table at ${tableOffset} (${numObjects} × ${offsetSize} bytes) does not fit before the trailer at ${t}`);
  const uint = (at: number, size: number): number => {
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + buf[at + i]!;
    return v;
  };
  const children: number[][] = [];
  for (let i = 0; i < numObjects; i++) {
    const off = uint(tableOffset + i * offsetSize, offsetSize);
    if (off < 8 || off >= tableOffset) bad(`object ${i} is at offset ${off}, outside the object area 8–${tableOffset}`);
    const marker = buf[off]!;
    const type = marker >> 4;
    const refs: number[] = [];
    if (type === 0xa || type === 0xc || type === 0xd) {
      let count = marker & 0xf;
      let start = off + 1;
      if (count === 0xf) {
        const intMarker = buf[start]!;
        if (intMarker >> 4 !== 0x1 || (intMarker & 0xf) > 3)
          bad(`object ${i}: count is not an integer object (marker 0x${intMarker.toString(16)})`);
        const size = 1 << (intMarker & 0xf);
        if (start + 1 + size > tableOffset) bad(`object ${i}: count runs past the object area`);
        count = uint(start + 1, size);
        start += 1 + size;
      }
      const n = type === 0xd ? count * 2 : count;
      if (start + n * refSize > tableOffset) bad(`object ${i}: ${n} references run past the object area`);
      for (let k = 0; k < n; k++) {
        const ref = uint(start + k * refSize, refSize);
        if (ref >= numObjects) bad(`object ${i} refers to object ${ref}; there are ${numObjects}`);
        refs.push(ref);
      }
    }
    children.push(refs);
  }
  // Size of the tree the parser will build: iterative post-order over the reference graph.
  const size = new Array<number>(numObjects).fill(-1); // -1 unvisited, -2 on the path, ≥0 done
  const stack: Array<{ node: number; next: number }> = [{ node: top, next: 0 }];
  size[top] = -2;
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    const kids = children[frame.node]!;
    if (frame.next < kids.length) {
      const kid = kids[frame.next++]!;
      if (size[kid] === -2) bad(`object ${kid} contains itself (a reference cycle)`);
      if (size[kid] === -1) {
        if (stack.length > 512) bad('nesting is deeper than 512 levels');
        size[kid] = -2;
        stack.push({ node: kid, next: 0 });
      }
      continue;
    }
    let total = 1;
    for (const kid of kids) total += size[kid]!;
    if (total > MAX_EXPANDED_OBJECTS) bad(`shared references expand to more than ${MAX_EXPANDED_OBJECTS} objects`);
    size[frame.node] = total;
    stack.pop();
  }
}
