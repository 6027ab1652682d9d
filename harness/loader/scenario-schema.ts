/**
 * A scenario's `with:`/`expect:` schema as the loader validates it (and `netconform schema`
 * publishes it). By convention a parameter whose name ends in `Ms` is milliseconds that end up
 * in a timer or a deadline, so it gets the same maximum as every duration (MAX_DURATION_MS:
 * longer, and a Node timer fires at once). Duration strings are bounded by `durationSchema`
 * itself, which the scenarios spread into their schemas.
 */
import type { JsonSchema } from '../model/scenario.ts';
import { MAX_DURATION_MS } from '../util/duration.ts';

const bounded = new WeakMap<object, JsonSchema>();

/** The schema with every `…Ms` number property bounded; one copy per schema object (so Ajv compiles each once). */
export function boundedParamsSchema(schema: JsonSchema): JsonSchema {
  let out = bounded.get(schema);
  if (!out) {
    out = bound(schema) as JsonSchema;
    bounded.set(schema, out);
  }
  return out;
}

function bound(node: unknown, name?: string): unknown {
  if (Array.isArray(node)) return node.map((n) => bound(n));
  if (!node || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([prop, s]) => [prop, bound(s, prop)]));
    } else if (k === 'default' || k === 'const' || k === 'enum' || k === 'examples') {
      out[k] = v; // values, not schemas
    } else {
      out[k] = bound(v);
    }
  }
  const isNumber = src.type === 'integer' || src.type === 'number';
  if (name?.endsWith('Ms') && isNumber) {
    const max = typeof src.maximum === 'number' ? src.maximum : Infinity;
    if (max > MAX_DURATION_MS && !(typeof src.exclusiveMaximum === 'number' && src.exclusiveMaximum <= MAX_DURATION_MS)) out.maximum = MAX_DURATION_MS;
  }
  return out;
}
