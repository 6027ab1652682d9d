/** Every key and `with:` / `expect:` parameter an editor shows has a description (test/helpers/schema-descriptions.ts). */
import { beforeAll, describe, expect, it } from 'vitest';
import { profileJsonSchema } from '../harness/cli/commands.ts';
import { paramCount, undescribedParams, undescribedProfileKeys } from './helpers/schema-descriptions.ts';

/** Every shipped scenario; the tests' own fixture scenarios (test/fixtures/suites, family `fixture`) are not published. */
const SHIPPED = (id: string): boolean => !id.startsWith('fixture.');

let published: Record<string, unknown>;
beforeAll(async () => {
  published = await profileJsonSchema();
});

describe('descriptions in the published schema', () => {
  it('nothing in the whole schema lacks one: the profile\'s own keys and every scenario\'s parameters', () => {
    expect(paramCount(published, SHIPPED)).toBeGreaterThan(250);
    expect([...undescribedProfileKeys(published), ...undescribedParams(published, SHIPPED)]).toEqual([]);
  });

  it('the walker finds a missing description, nested ones included', () => {
    const branch = (w: object) => ({ properties: { scenarios: { items: { allOf: [{ if: { properties: { use: { const: 'x.y' } } }, then: { properties: { with: w, expect: { properties: {} } } } }] } } } });
    const w = { properties: { a: { description: 'a' }, b: {}, c: { description: 'c', items: { type: 'string' } }, d: { description: 'd', allOf: [{ properties: { e: {} } }] }, f: { description: 'f', additionalProperties: { type: 'boolean' } } } };
    expect(undescribedParams(branch(w), () => true)).toEqual(['x.y with.b', 'x.y with.c[]', 'x.y with.d.e', 'x.y with.f.<key>']);
    expect(undescribedParams(branch(w), () => false)).toEqual([]);
    const top = { properties: { a: { description: 'a', properties: { b: {} } }, scenarios: { description: 's', items: { properties: { id: {} }, allOf: [{ then: { properties: { with: { properties: { z: {} } } } } }] } } } };
    expect(undescribedProfileKeys(top)).toEqual(['a.b', 'scenarios[]', 'scenarios[].id']);
  });
});
