/**
 * The published copy of the profile schema (profiles/netconform.schema.json) is read by other
 * validators than ours — an editor's, a user's CI — which know none of our formats: a stock
 * draft-07 validator in strict mode (Ajv `strict: true`) refuses an unknown `format` and an
 * unknown keyword. So the copy says the same things in plain draft-07:
 *
 * - `format: netconform-duration` goes: the `pattern` beside it says the syntax, the description
 *   the maximum (2³¹−1 ms, which no regular expression states readably); the loader checks both.
 * - `format: ipv4` becomes ajv-formats' own ipv4 pattern (formats are optional in draft-07, and
 *   Ajv without ajv-formats refuses them).
 * - `enum` + `enumDescriptions` (VS Code's extension) becomes `anyOf` of `const`s with a
 *   `description` each, which VS Code's and yaml-language-server's completion show per value.
 */
import { DURATION_FORMAT } from '../util/duration.ts';
import type { JsonSchema } from '../model/scenario.ts';

/** ajv-formats' `ipv4` (ajv-formats/dist/formats.js, fullFormats.ipv4). */
export const IPV4_PATTERN =
  '^(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)$';

const FORMAT_PATTERNS: Record<string, string> = { ipv4: IPV4_PATTERN };

type Json = JsonSchema | Json[] | string | number | boolean | null;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of `schema` in plain draft-07 (see above); `schema` is not changed. */
export function publishable<T>(schema: T): T {
  return rewrite(schema as Json) as T;
}

function rewrite(v: Json): Json {
  if (Array.isArray(v)) return v.map(rewrite);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = rewrite(x as Json);
  const format = out.format;
  if (typeof format === 'string') {
    delete out.format;
    const pattern = FORMAT_PATTERNS[format];
    if (format === DURATION_FORMAT && typeof out.pattern === 'string') {
      // The sibling pattern already says it.
    } else if (pattern === undefined) {
      throw new Error(
        `the published schema cannot say format "${format}" in plain draft-07: add its pattern to loader/publish.ts`,
      );
    } else if (out.pattern === undefined) {
      out.pattern = pattern;
    } else {
      out.allOf = [...((out.allOf as unknown[] | undefined) ?? []), { pattern }];
    }
  }
  if (Array.isArray(out.enum) && Array.isArray(out.enumDescriptions)) {
    const descriptions = out.enumDescriptions as string[];
    out.anyOf = (out.enum as unknown[]).map((value, i) => ({ const: value, description: descriptions[i] }));
    delete out.enum;
    delete out.enumDescriptions;
  }
  return out as JsonSchema;
}
