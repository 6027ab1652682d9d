/**
 * A scenario's `with:`/`expect:` schema as the loader validates it (and `netconform schema`
 * publishes it). By convention a parameter whose name ends in `Ms` is milliseconds that end up
 * in a timer or a deadline, so it gets the same maximum as every duration (MAX_DURATION_MS:
 * longer, and a Node timer fires at once). Duration strings are bounded by `durationSchema`
 * itself, which the scenarios spread into their schemas.
 *
 * A property with a `default` is not `required`: the loader fills it in before checking
 * (Ajv useDefaults), and an editor must not flag a profile that leaves it out. TypeBox lists
 * every non-Optional property in `required`, so a TypeBox scenario writes a defaulted
 * property as required (its type then says it is always there) and this drops it. Ajv applies
 * no defaults inside anyOf, oneOf, not or if/then/else, so `required` there is left alone.
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

/** Keywords under which Ajv applies no defaults (ajv.js.org/guide/modifying-data.html#assigning-defaults). */
const NO_DEFAULTS = new Set(['anyOf', 'oneOf', 'not', 'if', 'then', 'else']);

function bound(node: unknown, name?: string, defaultsApply = true): unknown {
  if (Array.isArray(node)) return node.map((n) => bound(n, undefined, defaultsApply));
  if (!node || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([prop, s]) => [prop, bound(s, prop, defaultsApply)]),
      );
    } else if (k === 'default' || k === 'const' || k === 'enum' || k === 'examples') {
      out[k] = v; // values, not schemas
    } else {
      out[k] = bound(v, undefined, defaultsApply && !NO_DEFAULTS.has(k));
    }
  }
  const props = src.properties as Record<string, unknown> | undefined;
  if (defaultsApply && Array.isArray(src.required) && props) {
    const required = src.required.filter(
      (key: unknown) =>
        !(typeof key === 'string' && (props[key] as { default?: unknown } | undefined)?.default !== undefined),
    );
    if (required.length) out.required = required;
    else delete out.required;
  }
  const isNumber = src.type === 'integer' || src.type === 'number';
  if (name?.endsWith('Ms') && isNumber) {
    const max = typeof src.maximum === 'number' ? src.maximum : Infinity;
    if (max > MAX_DURATION_MS && !(typeof src.exclusiveMaximum === 'number' && src.exclusiveMaximum <= MAX_DURATION_MS))
      out.maximum = MAX_DURATION_MS;
  }
  return out;
}
