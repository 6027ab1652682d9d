/**
 * Small TypeBox helpers for scenario parameters (`with:` / `expect:`), so a scenario writes its
 * params once: the schema the loader validates and publishes, and the type `run` sees.
 */
import { Type, type SchemaOptions, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { durationSchema, durationText, type Duration } from '../../harness/util/duration.ts';

/**
 * `{ enum: [...] }`, typed as the union of its values. TypeBox's own `Type.Union` of literals
 * would publish `anyOf` of `const`s, and the loader's message for a wrong value would change
 * from "must be one of: a, b" (loader/ajv.ts `enum`) to the union's description.
 */
export function Enum<const V extends readonly (string | number)[]>(
  values: V,
  options: SchemaOptions = {},
): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ ...options, enum: [...values] });
}

/**
 * `type` with a property's own description (and default, examples) for editors, its type
 * wrapped in `allOf`: the loader turns a failed `pattern` or `anyOf` into "must be <the
 * description of the schema that failed>" (loader/ajv.ts), so the message stays the type's
 * own text ("must be an IPv4 group in …") rather than the property's editor description.
 * Use it for a property whose type is a pattern or a union; plain types take the options directly.
 */
export function Described<T extends TSchema>(
  type: T,
  options: SchemaOptions & { description: string },
): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>({ ...options, allOf: [type] });
}

/**
 * A duration: whole milliseconds, or a string like 500ms, 30s, 15m, 1h (harness/util/duration.ts).
 * Its own description is what the loader says of a value that is not one ("must be a duration up to …").
 */
export const DurationType = Type.Unsafe<Duration>({ ...durationSchema, description: durationText });

/** A duration parameter with its default and its editor description (the type's text stays the error). */
export function DurationParam(dflt: Duration, description: string, options: SchemaOptions = {}): TUnsafe<Duration> {
  return Described(DurationType, { ...options, description, default: dflt });
}
