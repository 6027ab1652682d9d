/**
 * Ajv standalone code (ajv.js.org/standalone.html) for the schemas the loader validates with:
 * the same options and formats as ajv.ts, generated when the CLI is compiled, so a start does
 * not pay for Ajv's compile of the profile schema and of each scenario's with:/expect:.
 */
import { _, type ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import type { AnyScenario } from '../../suites/registry.ts';
import { newAjv, schemaKey } from './ajv.ts';
import { profileSchema } from './profile-schema.ts';
import { boundedParamsSchema } from './scenario-schema.ts';

// CommonJS; under ESM its callable is the default export.
const standaloneCode = standaloneModule as unknown as (ajv: ReturnType<typeof newAjv>, validate: ValidateFunction) => string;

/** One validator as a CommonJS module body (it assigns `module.exports`). */
export interface StandaloneValidator {
  key: string;
  /** Its `require("./formats.ts")` is this folder's formats.ts (resolve it from here). */
  code: string;
}

/** Every schema the loader compiles for these scenarios: the profile's, then each with:/expect:. */
export function loaderSchemas(registry: Map<string, AnyScenario>): object[] {
  const out: object[] = [profileSchema];
  for (const s of registry.values()) out.push(boundedParamsSchema(s.withSchema), boundedParamsSchema(s.expectSchema));
  return out;
}

/** Standalone code per distinct schema (by `schemaKey`). */
export function standaloneValidators(schemas: object[]): StandaloneValidator[] {
  // Formats are looked up in ./formats.ts's `formats` by name (ajv-formats leaves a set one alone).
  const ajv = newAjv({ code: { source: true, formats: _`require("./formats.ts").formats` } });
  const seen = new Set<string>();
  const out: StandaloneValidator[] = [];
  for (const schema of schemas) {
    const key = schemaKey(schema);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, code: standaloneCode(ajv, ajv.compile(schema)) });
  }
  return out;
}

/** The ES module that replaces ./precompiled.ts in the bundle. */
export function precompiledModule(validators: StandaloneValidator[]): string {
  const entries = validators.map((v) => `  [${JSON.stringify(v.key)}, () => { const module = { exports: {} }; ${v.code}\n    return module.exports; }],`);
  return [`export const precompiled = new Map([`, ...entries, `]);`, ''].join('\n');
}
