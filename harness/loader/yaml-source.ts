/**
 * YAML parsing that keeps positions, so every profile error can say file:line:col.
 * Limits keep a hostile or broken file from taking the machine: size, alias expansion, nesting.
 *
 * Work is linear in the file's size: yaml's own duplicate-key check (`uniqueKeys`) compares each
 * key with every earlier key of its mapping, so it is off and one pass over the document
 * (`inspect`) finds duplicates with a Set, and keeps a key → pair index per mapping that
 * `positionOf` uses instead of scanning the mapping once per error.
 */
import { isUtf8 } from 'node:buffer';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

/**
 * The largest profile accepted. Shipped profiles are 1–5 KiB, so 256 KiB leaves room for any
 * generated one (~2,000 scenarios), while keeping validation of the largest possible file well under
 * a second: parsing YAML with positions (the `yaml` package) costs ~1.5 s of CPU per MiB here.
 */
export const MAX_PROFILE_BYTES = 256 * 1024;
/** yaml's own guard against "billion laughs": expanding more aliases than this throws. */
const MAX_ALIAS_COUNT = 100;
/**
 * Aliases copy what they name into the data, and from there into every report: 90 aliases to
 * one 240 KB string made a 245 KB file into 44 MB of results.json and 87 MB of report.html. So
 * the document is capped as expanded (characters of keys and strings plus one per node, every
 * alias counted as what it names) at four times the file limit, aliases at 256 in all, and any
 * one string or key at 4 KiB (the longest in a shipped profile is ~160 characters).
 */
export const MAX_EXPANDED_CHARS = 4 * MAX_PROFILE_BYTES;
export const MAX_ALIASES = 256;
export const MAX_STRING_CHARS = 4096;
const STRING_LIMIT = `a profile's strings are at most ${MAX_STRING_CHARS}`;
/** Deeper than any profile needs; keeps recursion in toJS, Ajv and structuredClone far from the stack limit. */
export const MAX_NESTING = 64;
/** Explicit tags a profile may use: the YAML 1.2 core schema's (§10.3). Others (!!binary, !!set, custom) make values a profile cannot mean. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

export type PathSegment = string | number;

const DEEP_FLOW = new RegExp(`[[{](?:[ \\t\\r\\n]*[[{]){${MAX_NESTING}}`);

export interface Position {
  line: number;
  col: number;
}

export interface SourceIssue extends Position {
  code: string;
  message: string;
}

export interface YamlSource {
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Scalar key → pair, per mapping (built by `inspect`). */
  index: WeakMap<YAMLMap, Map<string, Pair>>;
}

export type ParseOutcome = { ok: true; source: YamlSource; data: unknown } | { ok: false; issues: SourceIssue[] };

/**
 * Characters YAML 1.2 does not allow in a stream (§5.1 c-printable: tab, LF, CR, x20–x7E, x85,
 * xA0–xD7FF, xE000–xFFFD, x10000–x10FFFF). A BOM is allowed only as the stream's first character.
 */
const NOT_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|(?<!^)\uFEFF/u;

/** The text of a profile file's bytes, or where they stop being UTF-8 (YAML 1.2 §5.2). */
export function decodeProfile(bytes: Uint8Array): { ok: true; text: string } | { ok: false; issues: SourceIssue[] } {
  if (isUtf8(bytes)) return { ok: true, text: new TextDecoder('utf-8').decode(bytes) };
  const offset = firstInvalidUtf8(bytes);
  const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
  const byte = bytes[offset]!.toString(16).padStart(2, '0');
  return {
    ok: false,
    issues: [
      {
        ...lineColAt(before, before.length),
        code: 'yaml-encoding',
        message: `invalid YAML: byte 0x${byte} at offset ${offset} is not UTF-8 (a profile is UTF-8 text)`,
      },
    ],
  };
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629 §4). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    if (n > 0 && !isUtf8(b.subarray(i, i + n + 1))) return i;
    i += n + 1;
  }
  return b.length;
}

export function parseYaml(text: string): ParseOutcome {
  if (text.length > MAX_PROFILE_BYTES) {
    return {
      ok: false,
      issues: [
        {
          line: 1,
          col: 1,
          code: 'too-large',
          message: `file is larger than ${MAX_PROFILE_BYTES} bytes; a profile is a small YAML file`,
        },
      ],
    };
  }
  const bad = NOT_PRINTABLE.exec(text);
  if (bad) {
    return {
      ok: false,
      issues: [
        {
          ...lineColAt(text, bad.index),
          code: 'yaml-character',
          message: `invalid YAML: character ${codePoint(bad[0])} is not allowed in a YAML file (YAML 1.2 §5.1)`,
        },
      ],
    };
  }
  // A run of flow-collection openers deeper than any profile: yaml would recurse until the stack
  // overflows (about 1 s per 200 KB). Found with one regular-expression scan instead. (Inside a
  // quoted string such a run is refused too; no profile value looks like that.)
  const deep = DEEP_FLOW.exec(text);
  if (deep)
    return {
      ok: false,
      issues: [
        {
          ...lineColAt(text, deep.index),
          code: 'yaml-depth',
          message: `invalid YAML: nested more deeply than ${MAX_NESTING} levels`,
        },
      ],
    };
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, strict: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      issues: problems.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        // yaml appends " at line L, column C" to some messages; the position is already in front.
        let message = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
        if (/Maximum call stack size exceeded/.test(message)) message = `nested more deeply than ${MAX_NESTING} levels`;
        return {
          line,
          col,
          code: `yaml-${e.code.toLowerCase().replace(/_/g, '-')}`,
          message: `invalid YAML: ${message}`,
        };
      }),
    };
  }
  const source: YamlSource = { text, doc, lines, index: new WeakMap() };
  const issues = inspect(source);
  if (issues.length) return { ok: false, issues };
  const expanded = checkExpandedSize(source);
  if (expanded) return { ok: false, issues: [expanded] };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return {
      ok: false,
      issues: [{ line: 1, col: 1, code: 'yaml-aliases', message: `invalid YAML: ${(err as Error).message}` }],
    };
  }
  return { ok: true, source, data };
}

/** 1-based line and column (UTF-16 units, as yaml counts) of `offset` in `text`. */
function lineColAt(text: string, offset: number): Position {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return { line, col: offset - start + 1 };
}

function codePoint(ch: string): string {
  const names: Record<number, string> = { 0: 'NUL', 27: 'ESC', 127: 'DEL', 65279: 'BOM' };
  const cp = ch.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}${names[cp] ? ` (${names[cp]})` : ''}`;
}

/**
 * One pass over the document: duplicate keys, keys that are collections (a JS object cannot hold
 * them; yaml would stringify them with a process warning), tags outside the core schema, NUL in a
 * value (from a "\0" escape: no argv, environment or name can hold it), nesting depth. Builds the
 * per-mapping index for `positionOf`.
 */
function inspect(source: YamlSource): SourceIssue[] {
  const issues: SourceIssue[] = [];
  const at = (node: Node | null | undefined, code: string, message: string) =>
    issues.push({ ...source.lines.linePos(node?.range?.[0] ?? 0), code, message: `invalid YAML: ${message}` });
  const stack: Array<{ node: Node | null | undefined; depth: number }> = [{ node: source.doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!node || isAlias(node)) continue;
    if (node.tag !== undefined && !CORE_TAGS.has(node.tag))
      at(
        node,
        'yaml-tag',
        `tag ${node.tag.replace('tag:yaml.org,2002:', '!!')} is not supported (a profile uses plain YAML values)`,
      );
    if (isScalar(node)) {
      if (typeof node.value === 'string' && node.value.includes('\0'))
        at(
          node,
          'yaml-character',
          'a value contains a NUL character (U+0000), which no argv, environment or name can hold',
        );
      if (typeof node.value === 'string' && node.value.length > MAX_STRING_CHARS) {
        at(node, 'yaml-string-length', `a string of ${node.value.length} characters; ${STRING_LIMIT}`);
      }
      continue;
    }
    if (depth >= MAX_NESTING) {
      at(node, 'yaml-depth', `nested more deeply than ${MAX_NESTING} levels`);
      continue;
    }
    if (isMap(node)) {
      const keys = new Map<string, Pair>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (key && !isScalar(key) && !isAlias(key)) {
          at(key, 'yaml-key', `a mapping key must be a plain value, not a ${isMap(key) ? 'mapping' : 'sequence'}`);
          continue;
        }
        const name = isScalar(key) ? String(key.value) : isAlias(key) ? `*${key.source}` : '';
        const first = keys.get(name);
        if (first)
          at(
            key,
            'yaml-duplicate-key',
            `duplicate key "${name}" (first at line ${source.lines.linePos((first.key as Node | null)?.range?.[0] ?? 0).line}); map keys must be unique`,
          );
        else keys.set(name, pair);
        if (isScalar(key) && typeof key.value === 'string' && key.value.includes('\0'))
          at(key, 'yaml-character', 'a key contains a NUL character (U+0000)');
        if (isScalar(key) && typeof key.value === 'string' && key.value.length > MAX_STRING_CHARS) {
          at(key, 'yaml-string-length', `a key of ${key.value.length} characters; ${STRING_LIMIT}`);
        }
        stack.push({ node: pair.value as Node | null, depth: depth + 1 });
      }
      source.index.set(node, keys);
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item as Node | null, depth: depth + 1 });
    }
  }
  // The stack visits last-written first; report in file order.
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * The document's size with every alias expanded, or the issue where it passes
 * MAX_EXPANDED_CHARS or the MAX_ALIASES-th alias. Each node's expanded size is computed once
 * (aliases share their target's), so the work is linear in the file even for an alias bomb;
 * the walk in document order stops at the node where the running total passes the cap.
 */
function checkExpandedSize(source: YamlSource): SourceIssue | undefined {
  const memo = new Map<Node, number>();
  const children = (node: YAMLMap | YAMLSeq): unknown[] =>
    node.items.flatMap((item) => (isPair(item) ? [item.key, item.value] : [item]));
  // Each alias's target, in one pass in document order (an alias names the last anchor of its
  // name before it, YAML 1.2 §7.1): yaml's own `Alias.resolve` walks the whole document per call.
  const targets = new Map<Node, Node | undefined>();
  const anchors = new Map<string, Node>();
  for (const stack: unknown[] = [source.doc.contents]; stack.length > 0; ) {
    const node = stack.pop();
    if (isAlias(node)) {
      targets.set(node, anchors.get(node.source));
      continue;
    }
    if (isScalar(node) || isMap(node) || isSeq(node)) {
      if (node.anchor) anchors.set(node.anchor, node);
    }
    if (isMap(node) || isSeq(node)) {
      const kids = children(node);
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
    }
  }
  const resolve = (node: unknown): unknown => (isAlias(node) ? targets.get(node) : node);
  const leaf = (node: unknown): number =>
    isScalar(node) && typeof node.value === 'string' ? node.value.length + 1 : 1;
  /**
   * Post-order with an explicit stack: an alias chain can be far deeper than the nesting limit.
   * An alias inside what it names (`&a [*a]`) would expand without end: Infinity.
   */
  const sizeOf = (root: unknown): number => {
    const top = resolve(root);
    if (!isMap(top) && !isSeq(top)) return leaf(top);
    const open = new Set<Node>();
    const stack: Array<YAMLMap | YAMLSeq> = [top];
    while (stack.length > 0) {
      const node = stack[stack.length - 1]!;
      if (memo.has(node)) {
        stack.pop();
        continue;
      }
      const kids = children(node).map(resolve);
      if (!open.has(node)) {
        open.add(node);
        for (const k of kids) {
          if ((isMap(k) || isSeq(k)) && !memo.has(k)) {
            if (open.has(k)) return Infinity;
            stack.push(k);
          }
        }
        continue;
      }
      let n = 1;
      for (const k of kids) n += isMap(k) || isSeq(k) ? (memo.get(k) ?? Infinity) : leaf(k);
      memo.set(node, n);
      open.delete(node);
      stack.pop();
    }
    return memo.get(top) ?? Infinity;
  };
  let total = 0;
  let aliases = 0;
  const at = (node: Node, message: string): SourceIssue => ({
    ...source.lines.linePos(node.range?.[0] ?? 0),
    code: 'yaml-expansion',
    message: `invalid YAML: ${message}`,
  });
  // Document order: an explicit stack, last child pushed first.
  const stack: unknown[] = [source.doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) {
      const name = `*${node.source}`;
      aliases++;
      if (aliases > MAX_ALIASES) return at(node, `more than ${MAX_ALIASES} aliases (${name}); profiles need far fewer`);
      total += sizeOf(node);
      if (total === Infinity) return at(node, `the alias ${name} is inside what it names, so it expands without end`);
      if (total > MAX_EXPANDED_CHARS) {
        const times = MAX_EXPANDED_CHARS / MAX_PROFILE_BYTES;
        return at(
          node,
          `with its aliases expanded (${name} here) the document passes ${MAX_EXPANDED_CHARS} ` +
            `characters, ${times} times the file limit; every alias copies what it names into the results`,
        );
      }
      continue;
    }
    if (isMap(node) || isSeq(node)) {
      total += 1;
      const children = node.items.flatMap((item) => (isPair(item) ? [item.key, item.value] : [item]));
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    } else if (node !== null && node !== undefined) {
      total += sizeOf(node);
    }
  }
  return undefined;
}

/**
 * Position of the node at `path`. With `key`, the position of the mapping key itself (for
 * "unknown key" errors). A path that does not exist resolves to its deepest existing parent.
 */
export function positionOf(source: YamlSource, path: readonly PathSegment[], opts: { key?: boolean } = {}): Position {
  let node: Node | null | undefined = source.doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node)) {
      const pair = source.index.get(node)?.get(String(seg));
      if (!pair || !isPair(pair)) break;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      if (opts.key && i === path.length - 1) {
        offset = keyNode.range?.[0] ?? offset;
        break;
      }
      offset = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? offset;
      node = valueNode;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return source.lines.linePos(offset);
}
