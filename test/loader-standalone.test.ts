/**
 * The validators the compiled CLI carries (harness/loader/standalone.ts, Ajv standalone code
 * generated at build time) against the ones ajv.ts compiles at run time: same verdict, same
 * errors (verbose: schema, parentSchema, data included) and the same defaults filled in, on the
 * shipped profiles and on every case of the malformed corpus that parses as YAML.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ValidateFunction } from 'ajv';

import { newAjv, schemaKey } from '../harness/loader/ajv.ts';
import * as formatsModule from '../harness/loader/formats.ts';
import { profileSchema } from '../harness/loader/profile-schema.ts';
import { boundedParamsSchema } from '../harness/loader/scenario-schema.ts';
import { loaderSchemas, precompiledModule, standaloneValidators } from '../harness/loader/standalone.ts';
import { decodeProfile, parseYaml } from '../harness/loader/yaml-source.ts';
import { loadRegistry } from '../harness/runner/registry.ts';
import { malformedCases } from './corpus/malformed-profiles.ts';
import { repoRoot } from './helpers/cli.ts';

const requireFromLoader = createRequire(join(repoRoot, 'harness/loader/ajv.ts'));

/** Evaluates one generated CommonJS body the way the bundle does (its formats from formats.ts). */
function load(code: string): ValidateFunction {
  const module = { exports: {} as unknown };
  const req = (id: string): unknown => (id === './formats.ts' ? formatsModule : requireFromLoader(id));
  new Function('module', 'require', code)(module, req);
  return module.exports as ValidateFunction;
}

/** A bounded picture of one validation: the first 500 errors (as many as ajv.ts describes), their verbose fields digested. */
function outcome(fn: ValidateFunction, data: unknown): { valid: boolean; errors: unknown; value: unknown } {
  const value = structuredClone(data);
  const valid = fn(value) as boolean;
  const digest = (v: unknown) => JSON.stringify(v)?.slice(0, 300);
  const errors = (fn.errors ?? [])
    .slice(0, 500)
    .map((e) => ({ ...e, schema: digest(e.schema), parentSchema: digest(e.parentSchema), data: digest(e.data) }));
  return { valid, errors, value };
}

/** Larger cases only repeat the same errors; this keeps the test in seconds. */
const MAX_CASE_BYTES = 64 * 1024;

describe('validators generated at build time', () => {
  it('match the run-time compile on shipped profiles and the malformed corpus', async () => {
    const registry = await loadRegistry();
    const generated = new Map(standaloneValidators(loaderSchemas(registry)).map((v) => [v.key, load(v.code)]));
    const runtime = newAjv();
    const pairs = new Map<object, [ValidateFunction, ValidateFunction]>();
    const pair = (schema: object) => {
      let p = pairs.get(schema);
      if (!p) {
        const g = generated.get(schemaKey(schema));
        if (!g) throw new Error(`no generated validator for ${JSON.stringify(schema).slice(0, 80)}`);
        p = [g, runtime.compile(schema)];
        pairs.set(schema, p);
      }
      return p;
    };

    const documents: unknown[] = readdirSync(join(repoRoot, 'profiles'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => parse(readFileSync(join(repoRoot, 'profiles', f), 'utf8')));
    for (const c of malformedCases([...registry.keys()])) {
      if (c.bytes.length > MAX_CASE_BYTES) continue;
      const decoded = decodeProfile(c.bytes);
      if (!decoded.ok) continue;
      // Refused by the loader's own YAML checks (not YAML, an alias expanding without end, …): no schema sees it.
      const parsed = parseYaml(decoded.text);
      if (parsed.ok) documents.push(parsed.data);
    }
    let compared = 0;
    let invalid = 0;
    for (const doc of documents) {
      const [g, r] = pair(profileSchema);
      const a = outcome(g, doc);
      expect(a).toEqual(outcome(r, doc));
      compared++;
      if (!a.valid) invalid++;
      const scenarios = (doc as { scenarios?: unknown })?.scenarios;
      if (!Array.isArray(scenarios)) continue;
      for (const s of scenarios as Array<{ use?: unknown; with?: unknown; expect?: unknown }>) {
        const scenario = typeof s?.use === 'string' ? registry.get(s.use) : undefined;
        if (!scenario) continue;
        for (const [schema, data] of [
          [scenario.withSchema, s.with],
          [scenario.expectSchema, s.expect],
        ] as const) {
          if (!data || typeof data !== 'object') continue;
          const [gs, rs] = pair(boundedParamsSchema(schema));
          const b = outcome(gs, data);
          expect(b).toEqual(outcome(rs, data));
          compared++;
          if (!b.valid) invalid++;
        }
      }
    }
    // The comparison covered both verdicts, and many schemas.
    expect(compared).toBeGreaterThan(200);
    expect(invalid).toBeGreaterThan(50);
    expect(pairs.size).toBeGreaterThan(10);
  }, 120_000);

  it('are one factory per schema in the module that replaces precompiled.ts, given the modules their code requires', () => {
    const text = precompiledModule([
      { key: 'k1', code: 'module.exports = 1;' },
      { key: 'k2', code: 'module.exports = require("./formats.ts").two + require("x/y").default;' },
    ]);
    expect(text.match(/require\("[^"]+"\)/g)).toEqual(['require("./formats.ts")', 'require("x/y")']);
    // `require` as an argument (esbuild bundles those calls); the export, as the function's result.
    const modules: Record<string, unknown> = { './formats.ts': { two: 2 }, 'x/y': { default: 40 } };
    const body = text.replace('export const precompiled =', 'return');
    const table = new Function('require', body)((id: string) => modules[id]) as Map<string, () => unknown>;
    expect([...table.keys()]).toEqual(['k1', 'k2']);
    expect(table.get('k1')!()).toBe(1);
    expect(table.get('k2')!()).toBe(42);
  });
});
