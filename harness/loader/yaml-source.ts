/**
 * YAML parsing that keeps positions, so every profile error can say file:line:col.
 * Limits keep a hostile or broken file from taking the machine: size, alias expansion.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

export const MAX_PROFILE_BYTES = 1024 * 1024;
/** yaml's own guard against "billion laughs": expanding more aliases than this throws. */
const MAX_ALIAS_COUNT = 100;

export type PathSegment = string | number;

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
}

export type ParseOutcome = { ok: true; source: YamlSource; data: unknown } | { ok: false; issues: SourceIssue[] };

export function parseYaml(text: string): ParseOutcome {
  if (text.length > MAX_PROFILE_BYTES) {
    return { ok: false, issues: [{ line: 1, col: 1, code: 'too-large', message: `file is larger than ${MAX_PROFILE_BYTES} bytes; a profile is a small YAML file` }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        // yaml appends " at line L, column C" to some messages; the position is already in front.
        const message = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
        return { line, col, code: `yaml-${e.code.toLowerCase().replace(/_/g, '-')}`, message: `invalid YAML: ${message}` };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return { ok: false, issues: [{ line: 1, col: 1, code: 'yaml-aliases', message: `invalid YAML: ${(err as Error).message}` }] };
  }
  return { ok: true, source: { text, doc, lines }, data };
}

/**
 * Position of the node at `path`. With `key`, the position of the mapping key itself (for
 * "unknown key" errors). A path that does not exist resolves to its deepest existing parent.
 */
export function positionOf(source: YamlSource, path: readonly PathSegment[], opts: { key?: boolean } = {}): Position {
  let node: Node | null | undefined = source.doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      if (opts.key && seg === path[path.length - 1]) {
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
