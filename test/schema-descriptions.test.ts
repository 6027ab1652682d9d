/** Every key and `with:` / `expect:` parameter an editor shows has a description (test/helpers/schema-descriptions.ts). */
import { beforeAll, describe, expect, it } from 'vitest';
import { profileJsonSchema } from '../harness/cli/commands.ts';
import { paramCount, undescribedParams, undescribedProfileKeys } from './helpers/schema-descriptions.ts';

/** Every shipped scenario; the tests' own fixture scenarios (test/fixtures/suites, family `fixture`) are not published. */
const SHIPPED = (id: string): boolean => !id.startsWith('fixture.');

type Json = Record<string, unknown>;
/** The object at `keys` below `node` (plain JSON). */
const at = (node: unknown, ...keys: string[]): Json => keys.reduce((n, k) => (n as Json)[k], node) as Json;
const branchOf = (s: Json, id: string): Json =>
  at(
    (at(s, 'properties', 'scenarios', 'items').allOf as Json[]).find(
      (b) => at(b, 'if', 'properties', 'use').const === id,
    ),
    'then',
    'properties',
  );

let published: Json;
beforeAll(async () => {
  published = await profileJsonSchema();
});

describe('descriptions in the published schema', () => {
  it("nothing in the whole schema lacks one: the profile's own keys and every scenario's parameters", () => {
    expect(paramCount(published, SHIPPED)).toBeGreaterThan(250);
    expect([...undescribedProfileKeys(published), ...undescribedParams(published, SHIPPED)]).toEqual([]);
  });

  it('the walker finds a missing description, nested ones included', () => {
    const branch = (w: object) => ({
      properties: {
        scenarios: {
          items: {
            allOf: [
              {
                if: { properties: { use: { const: 'x.y' } } },
                then: { properties: { with: w, expect: { properties: {} } } },
              },
            ],
          },
        },
      },
    });
    const w = {
      properties: {
        a: { description: 'a' },
        b: {},
        c: { description: 'c', items: { type: 'string' } },
        d: { description: 'd', allOf: [{ properties: { e: {} } }] },
        f: { description: 'f', additionalProperties: { type: 'boolean' } },
      },
    };
    expect(undescribedParams(branch(w), () => true)).toEqual([
      'x.y with.b',
      'x.y with.c[]',
      'x.y with.d.e',
      'x.y with.f.<key>',
    ]);
    expect(undescribedParams(branch(w), () => false)).toEqual([]);
    const top = {
      properties: {
        a: { description: 'a', properties: { b: {} } },
        scenarios: {
          description: 's',
          items: { properties: { id: {} }, allOf: [{ then: { properties: { with: { properties: { z: {} } } } } }] },
        },
      },
    };
    expect(undescribedProfileKeys(top)).toEqual(['a.b', 'scenarios[]', 'scenarios[].id']);
  });

  it('a description taken away from the real schema is found, at top level and nested', () => {
    const copy = structuredClone(published);
    delete at(branchOf(copy, 'broadcast.reach'), 'with', 'properties', 'port').description;
    delete at(branchOf(copy, 'discovery.churn'), 'with', 'properties', 'steps', 'items', 'properties', 'action')
      .description;
    expect(undescribedParams(copy, SHIPPED)).toEqual([
      'broadcast.reach with.port',
      'discovery.churn with.steps[].action',
    ]);
  });

  it('no property with a default is required (TypeBox lists every non-Optional one; the loader fills defaults first)', () => {
    expect(at(branchOf(published, 'lnp.probe'), 'with').required).toBeUndefined();
    expect(at(branchOf(published, 'discovery.churn'), 'with').required).toEqual(['steps']);
  });
});
