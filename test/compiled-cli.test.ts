/**
 * What the compiled CLI (harness/bin/compile.ts) stores about each shipped scenario: its fields
 * but `run`, as JSON (harness/runner/registry.ts `scenarioMeta`). Stored, they must say what the module
 * says, and their with:/expect: schemas must find the validators generated for the module's.
 */
import { describe, expect, it } from 'vitest';

import { schemaKey } from '../harness/loader/ajv.ts';
import { boundedParamsSchema } from '../harness/loader/scenario-schema.ts';
import type { AnyScenario } from '../harness/model/scenario.ts';
import { loadRegistry, scenarioMeta } from '../harness/runner/registry.ts';

const fake = (extra: Record<string, unknown>): AnyScenario =>
  ({
    id: 'x.y',
    summary: 's',
    platforms: ['linux'],
    requires: [],
    withSchema: { type: 'object' },
    expectSchema: { type: 'object' },
    defaultTimeoutMs: 1,
    run: async () => [],
    ...extra,
  }) as AnyScenario;

describe('scenario descriptions stored by the compiled CLI', () => {
  it('keep every field but run of every shipped scenario, and the schemas key alike', async () => {
    const registry = await loadRegistry();
    expect(registry.size).toBeGreaterThan(10);
    for (const [use, s] of registry) {
      const meta = scenarioMeta(s, use);
      expect(Object.keys(meta).sort()).toEqual(
        Object.keys(s)
          .filter((k) => k !== 'run' && (s as unknown as Record<string, unknown>)[k] !== undefined)
          .sort(),
      );
      expect(meta.id).toBe(use);
      expect(JSON.stringify(meta.withSchema)).toBe(JSON.stringify(s.withSchema));
      expect(schemaKey(boundedParamsSchema(meta.withSchema))).toBe(schemaKey(boundedParamsSchema(s.withSchema)));
      expect(schemaKey(boundedParamsSchema(meta.expectSchema))).toBe(schemaKey(boundedParamsSchema(s.expectSchema)));
    }
  });

  it('refuse what JSON would lose, naming the field', () => {
    expect(() => scenarioMeta(fake({ plan: () => 1 }), 'suites/x/y.ts')).toThrow(/suites\/x\/y\.ts: plan is function/);
    expect(() => scenarioMeta(fake({ withSchema: { type: 'number', maximum: Infinity } }), 'p')).toThrow(
      /withSchema\.maximum is Infinity/,
    );
    expect(() => scenarioMeta(fake({ when: new Date(0) }), 'p')).toThrow(/when is a Date/);
    expect(scenarioMeta(fake({ platformNote: undefined }), 'p')).not.toHaveProperty('run');
  });
});
