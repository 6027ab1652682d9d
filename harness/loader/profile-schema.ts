/**
 * The profile's JSON Schema. `profileSchema` is what the loader validates with; each
 * scenario's `with:`/`expect:` is validated separately against that scenario's own schema
 * (so errors carry the exact path). `publishedSchema()` adds those per-`use:` schemas as
 * if/then branches so an editor can autocomplete `with:` (`netconform schema`).
 */
import { labSchema } from '../lab/schema.ts';
import type { JsonSchema } from '../model/scenario.ts';
import { durationSchema, maxDurationText } from '../util/duration.ts';
import { boundedParamsSchema } from './scenario-schema.ts';

export const SCHEMA_ID = 'https://netconform.dev/schema/profile.json';

const CAPABILITIES = ['linux', 'darwin', 'root', 'netns', 'lab', 'addon', 'netem', 'tbf', 'ipv6', 'lnp', 'sut'];

const duration = { ...durationSchema, description: `a duration up to ${maxDurationText}: milliseconds, or a string like 500ms, 30s, 15m` };

const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'a name of letters, digits, ".", "_" and "-"' };

export const sutSchema = {
  type: 'object',
  description: 'the system under test: the product’s own command, started in a lab host',
  additionalProperties: false,
  required: ['command'],
  properties: {
    host: { type: 'string', description: 'lab host to run in' },
    command: { type: 'array', minItems: 1, items: { type: 'string' }, description: 'argv; ${var} substituted; a relative path is resolved against the profile folder' },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    ready: {
      type: 'object',
      additionalProperties: false,
      properties: {
        stdout: { type: 'string', description: 'regular expression a stdout line must match' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        delay: duration,
        timeout: duration,
      },
    },
  },
} as const;

export const scenarioEntrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'use'],
  properties: {
    id: name,
    use: { type: 'string', pattern: '^[a-z0-9-]+\\.[a-z0-9-]+$', description: 'a scenario name like multicast.asymmetry' },
    description: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    with: { type: 'object', default: {} },
    expect: { type: 'object', default: {} },
    timeout: duration,
    retries: { type: 'integer', minimum: 0, maximum: 10 },
    expectFail: { type: 'string', minLength: 1, description: 'why this case is known to fail' },
    sut: sutSchema,
  },
} as const;

export const profileSchema = {
  $id: SCHEMA_ID,
  title: 'netconform profile',
  type: 'object',
  additionalProperties: false,
  required: ['profile', 'scenarios'],
  properties: {
    $schema: { type: 'string' },
    profile: name,
    description: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' }, default: [] },
    requires: {
      type: 'object',
      additionalProperties: false,
      properties: {
        platforms: { type: 'array', items: { enum: ['linux', 'darwin'] } },
        privileges: { type: 'array', items: { enum: ['root'] } },
        capabilities: { type: 'array', items: { enum: CAPABILITIES } },
      },
    },
    lab: labSchema,
    sut: sutSchema,
    scenarios: { type: 'array', minItems: 1, items: scenarioEntrySchema },
  },
} as const;

/** The schema with per-scenario `with:`/`expect:` branches, for editors. */
export function publishedSchema(scenarios: Array<{ id: string; withSchema: JsonSchema; expectSchema: JsonSchema }>): JsonSchema {
  const branches = scenarios.map((s) => ({
    if: { properties: { use: { const: s.id } }, required: ['use'] },
    then: { properties: { with: boundedParamsSchema(s.withSchema), expect: boundedParamsSchema(s.expectSchema) } },
  }));
  const { $id: _id, ...rest } = profileSchema;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    ...rest,
    properties: {
      ...rest.properties,
      scenarios: { ...rest.properties.scenarios, items: { ...scenarioEntrySchema, properties: { ...scenarioEntrySchema.properties, use: { enum: scenarios.map((s) => s.id) } }, allOf: branches } },
    },
  };
}
