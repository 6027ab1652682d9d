/**
 * Ajv standalone code (ajv.js.org/standalone.html) for the schemas the loader validates with:
 * the same options and formats as ajv.ts, generated when the CLI is compiled, so a start does
 * not pay for Ajv's compile of the profile schema and of each scenario's with:/expect:.
 */
import { _, type ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import type { AnyScenario } from '../model/scenario.ts';
import { newAjv, schemaKey } from './ajv.ts';
import { profileSchema } from './profile-schema.ts';
import { boundedParamsSchema } from './scenario-schema.ts';

// CommonJS; under ESM its callable is the default export.
const standaloneCode = standaloneModule as unknown as (
  ajv: ReturnType<typeof newAjv>,
  validate: ValidateFunction,
) => string;

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

/**
 * The ES module that replaces ./precompiled.ts in the bundle. Each validator's code is a string,
 * made a function (`new Function`, as Ajv itself does at run time) when its schema is first
 * used: V8 only scans a string literal at start, where it would pre-parse ~0.5 MB of functions
 * (measured: ~7 ms less per start). What the code `require()`s (Ajv's runtime helpers, the
 * formats) is required here by name, so esbuild bundles it and hands over what that code
 * expects (a CommonJS module's `module.exports`).
 */
export function precompiledModule(validators: StandaloneValidator[]): string {
  const ids = [
    ...new Set(
      validators.flatMap((v) =>
        [...v.code.matchAll(/\brequire\(("[^"]+")\)/g)].map((m) => JSON.parse(m[1]!) as string),
      ),
    ),
  ].sort();
  return [
    `const modules = new Map([`,
    ...ids.map((id) => `  [${JSON.stringify(id)}, () => require(${JSON.stringify(id)})],`),
    `]);`,
    `const requireGenerated = (id) => { if (!modules.has(id)) throw new Error(\`a generated validator requires \${id}, which the build did not bundle\`); return modules.get(id)(); };`,
    `const factory = (code) => () => { const module = { exports: {} }; new Function('module', 'require', code)(module, requireGenerated); return module.exports; };`,
    `export const precompiled = new Map([`,
    ...validators.map((v) => `  [${JSON.stringify(v.key)}, factory(${JSON.stringify(v.code)})],`),
    `]);`,
    '',
  ].join('\n');
}
