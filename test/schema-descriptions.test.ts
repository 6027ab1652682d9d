/** Every `with:` / `expect:` parameter an editor shows has a description (test/helpers/schema-descriptions.ts). */
import { beforeAll, describe, expect, it } from 'vitest';
import { profileJsonSchema } from '../harness/cli/commands.ts';
import { paramCount, undescribedParams } from './helpers/schema-descriptions.ts';

/** The families migrated to TypeBox with a description on every parameter so far. */
const DESCRIBED = /^(broadcast|multicast|discovery)\./;

let published: Record<string, unknown>;
beforeAll(async () => {
  published = await profileJsonSchema();
});

describe('scenario parameters in the published schema', () => {
  it('every parameter of the described families has a description', () => {
    expect(paramCount(published, (id) => DESCRIBED.test(id))).toBeGreaterThan(90);
    expect(undescribedParams(published, (id) => DESCRIBED.test(id))).toEqual([]);
  });

  it('the walker finds a missing description, nested ones included', () => {
    const branch = (w: object) => ({ properties: { scenarios: { items: { allOf: [{ if: { properties: { use: { const: 'x.y' } } }, then: { properties: { with: w, expect: { properties: {} } } } }] } } } });
    const w = { properties: { a: { description: 'a' }, b: {}, c: { description: 'c', items: { type: 'string' } }, d: { description: 'd', allOf: [{ properties: { e: {} } }] }, f: { description: 'f', additionalProperties: { type: 'boolean' } } } };
    expect(undescribedParams(branch(w), () => true)).toEqual(['x.y with.b', 'x.y with.c[]', 'x.y with.d.e', 'x.y with.f.<key>']);
    expect(undescribedParams(branch(w), () => false)).toEqual([]);
  });
});
