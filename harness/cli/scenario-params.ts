/**
 * `netconform list <scenario>`: a scenario's `with:` and `expect:` parameters as a table a person
 * reads (dotted name, type, default, description), from the same JSON Schema the loader
 * validates against and `netconform schema` publishes, so they cannot disagree.
 */
import type { JsonSchema } from '../model/scenario.ts';

export interface ParamRow {
  /** Dotted path under `with:` / `expect:`, `[]` for an array's items. */
  name: string;
  type: string;
  /** JSON of the default; undefined when there is none. */
  default?: string;
  required: boolean;
  description: string;
}

const isSchema = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schemas a wrapper (Described, DurationParam: an allOf of one) stands for. */
function unwrap(s: JsonSchema): JsonSchema {
  const all = s.allOf;
  if (Array.isArray(all) && all.length === 1 && isSchema(all[0]) && s.type === undefined)
    return { ...unwrap(all[0]), ...withoutAllOf(s) };
  return s;
}

function withoutAllOf(s: JsonSchema): JsonSchema {
  const { allOf: _allOf, ...rest } = s;
  return rest;
}

function bounds(s: JsonSchema): string {
  const lo = s.minimum ?? s.exclusiveMinimum;
  const hi = s.maximum ?? s.exclusiveMaximum;
  if (lo === undefined && hi === undefined) return '';
  return ` ${lo ?? ''}…${hi ?? ''}`;
}

/** A short type: "integer 1…65535", "kernel-keepalive | node-keepalive", "array of string", "duration". */
export function typeText(schema: JsonSchema): string {
  const s = unwrap(schema);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v).replace(/^"|"$/g, '')).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const union = (s.anyOf ?? s.oneOf) as unknown;
  if (Array.isArray(union)) {
    const parts = union.filter(isSchema).map(typeText);
    // A duration: milliseconds or a string like 30s (util/duration.ts's schema).
    if (parts.length === 2 && parts[0]!.startsWith('integer') && parts[1] === 'string (pattern)')
      return 'duration (ms or 500ms, 30s, 15m)';
    return [...new Set(parts)].join(' | ');
  }
  const t = Array.isArray(s.type) ? s.type.join(' | ') : typeof s.type === 'string' ? s.type : 'any';
  if (t === 'array' && isSchema(s.items)) return `array of ${typeText(s.items)}`;
  if (t === 'string' && typeof s.pattern === 'string') return 'string (pattern)';
  if (t === 'integer' || t === 'number') return `${t}${bounds(s)}`;
  return t;
}

/** Rows for every property, depth first: an object's own row, then its properties. */
export function paramRows(schema: JsonSchema, prefix = ''): ParamRow[] {
  const s = unwrap(schema);
  const props = isSchema(s.properties) ? s.properties : {};
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const rows: ParamRow[] = [];
  for (const [key, raw] of Object.entries(props)) {
    if (!isSchema(raw)) continue;
    const p = unwrap(raw);
    const name = prefix ? `${prefix}.${key}` : key;
    rows.push({
      name,
      type: typeText(p),
      ...(p.default !== undefined ? { default: JSON.stringify(p.default) } : {}),
      required: required.has(key) && p.default === undefined,
      description: typeof p.description === 'string' ? p.description : '',
    });
    if (isSchema(p.properties)) rows.push(...paramRows(p, name));
    else if (isSchema(p.items) && isSchema(unwrap(p.items).properties))
      rows.push(...paramRows(unwrap(p.items), `${name}[]`));
  }
  return rows;
}

/** The rows as aligned text lines (name, type, default; the description on the next line). */
export function paramLines(rows: ParamRow[]): string[] {
  if (!rows.length) return ['    (none)'];
  return rows.flatMap((r) => {
    const head = `    ${r.name}  ${r.type}${r.default !== undefined ? `  (default ${r.default})` : r.required ? '  (required)' : ''}`;
    return r.description ? [head, `        ${r.description}`] : [head];
  });
}
