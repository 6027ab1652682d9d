/**
 * The profile's JSON Schema. `profileSchema` is what the loader validates with; each
 * scenario's `with:`/`expect:` is validated separately against that scenario's own schema
 * (so errors carry the exact path). `publishedSchema()` adds those per-`use:` schemas as
 * if/then branches so an editor can autocomplete `with:` (`netconform schema`).
 */
import { labSchema } from '../lab/schema.ts';
import { DEFAULT_READY_TIMEOUT_MS } from '../process/types.ts';
import type { JsonSchema } from '../model/scenario.ts';
import { durationSchema, durationText } from '../util/duration.ts';
import { boundedParamsSchema } from './scenario-schema.ts';
import { publishable } from './publish.ts';

export const SCHEMA_ID = 'https://netconform.dev/schema/profile.json';

const CAPABILITIES = ['linux', 'darwin', 'root', 'netns', 'lab', 'addon', 'netem', 'tbf', 'ipv6', 'lnp', 'sut'];

const duration = { ...durationSchema, description: durationText };

// A property's own description is for editors; the error text is the type's description
// (loader/ajv.ts), so a property that describes itself wraps its type in allOf.
const name = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'a name of letters, digits, ".", "_" and "-"',
};

const ENV_NAME = {
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  description: 'an environment variable name: letters, digits and "_", not starting with a digit',
};

export const sutSchema = {
  type: 'object',
  description: 'the system under test: the product’s own command, started in a lab host',
  additionalProperties: false,
  required: ['command'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: "what reports and messages call it (default: the scenario's id)",
    },
    host: { type: 'string', description: 'lab host to run in' },
    command: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', description: 'one argument (the first: the program)' },
      description:
        'argv; ${var} substituted from what the scenario provides (netconform list <scenario>), $${ for a literal ${; a relative path is resolved against the profile folder',
    },
    // A name with "=" or NUL cannot be one environment entry (execve(2) passes "NAME=value");
    // POSIX.1-2017 Base Definitions §8.1 names portable ones.
    env: {
      type: 'object',
      propertyNames: ENV_NAME,
      additionalProperties: { type: 'string', description: "the variable's value" },
      description: 'environment variables to set for it (values: ${var} substituted, $${ for a literal ${)',
      examples: [{ LOG_LEVEL: 'debug' }],
    },
    files: {
      type: 'object',
      maxProperties: 64,
      additionalProperties: { type: 'string', description: "the file's content (${var} substituted)" },
      description:
        'files written before it starts (a relative path → its content; ${var} in both), in a folder of their own that is ${files} and is removed with the lab',
      examples: [{ 'app.conf': 'listen ${port}\n' }],
    },
    exit: {
      enum: ['failure', 'error'],
      description:
        "what the SUT exiting before the scenario is done means: failure (the product failed: a fail naming its exit) or error (the run could not judge it); default: the scenario's (netconform list)",
    },
    ready: {
      type: 'object',
      additionalProperties: false,
      description:
        'when the SUT counts as ready: once every condition given here holds (none: as soon as it has started)',
      properties: {
        line: { type: 'string', description: 'pattern (RE2 syntax) a line of its output must match; read from stream' },
        stream: {
          enum: ['either', 'stdout', 'stderr'],
          description: 'the stream ready.line is read from: either (default), stdout or stderr',
        },
        stdout: {
          type: 'string',
          description: 'pattern (RE2 syntax) a stdout line must match (ready.line with stream: stdout)',
        },
        port: {
          description:
            'TCP port the SUT listens on in its host once it is ready: a number, or a ${var} the scenario provides',
          anyOf: [
            { type: 'integer', minimum: 1, maximum: 65535, description: 'a TCP port' },
            { type: 'string', pattern: '^\\$\\{[^}]+\\}$', description: 'a ${var} template' },
          ],
        },
        // allOf keeps the duration's own description as the error text.
        delay: {
          description: `a fixed wait from its start, beside any stdout/port condition (${durationText})`,
          allOf: [duration],
        },
        timeout: {
          description: `how long it may take to become ready; past it the SUT is stopped and the scenario is an error (default ${DEFAULT_READY_TIMEOUT_MS / 1000}s; ${durationText})`,
          allOf: [duration],
        },
      },
    },
    minReaction: {
      description: `the product's own shortest timer that a scaled timeline (darkwake.*: timeScale) must leave room for: its ping or heartbeat period, the time it needs to notice a resume; real time, never scaled. A phase or bound longer than it unscaled but shorter once scaled is refused before anything starts, with the timeScale that fits (${durationText})`,
      allOf: [duration],
    },
  },
} as const;

export const scenarioEntrySchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'one scenario to run: a registered scenario (use:) with its parameters (with:) and what it must observe (expect:)',
  required: ['id', 'use'],
  properties: {
    id: {
      description: "this scenario instance's id, unique in the profile (--grep matches it; reports name it)",
      examples: ['bcast-reach'],
      allOf: [name],
    },
    use: {
      type: 'string',
      pattern: '^[a-z0-9-]+\\.[a-z0-9-]+$',
      description: 'a scenario name like multicast.asymmetry',
    },
    description: { type: 'string', description: 'what this instance shows, in a sentence (shown in reports)' },
    tags: {
      type: 'array',
      items: { type: 'string', description: 'a tag' },
      description: "tags --tag selects by, beside the profile's own",
    },
    with: { type: 'object', default: {}, description: "the scenario's parameters (its schema depends on use:)" },
    expect: {
      type: 'object',
      default: {},
      description: 'what the scenario should observe (its schema depends on use:); checks compare against it',
    },
    // allOf keeps the duration's own description as the error text ("must be a duration up to …").
    timeout: {
      description: `this scenario's timeout, overriding its default (${duration.description})`,
      allOf: [duration],
    },
    retries: {
      type: 'integer',
      minimum: 0,
      maximum: 10,
      default: 0,
      description: 'retries of a failing attempt; a pass on a retry is reported flaky',
    },
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
    $schema: {
      type: 'string',
      description: 'the JSON Schema editors validate this file against (netconform.schema.json)',
    },
    profile: {
      description:
        "the profile's name: the JUnit testsuite, and part of each scenario's key (profile/id); unique within a run",
      examples: ['broadcast'],
      allOf: [name],
    },
    description: { type: 'string', description: 'what the profile checks, in a sentence (netconform list shows it)' },
    tags: {
      type: 'array',
      items: { type: 'string', description: 'a tag' },
      default: [],
      description: 'tags every scenario of the profile carries (--tag selects by them)',
    },
    requires: {
      type: 'object',
      additionalProperties: false,
      description: 'what the whole profile needs; scenarios are skipped with the reason when it is missing',
      properties: {
        platforms: {
          type: 'array',
          items: { enum: ['linux', 'darwin'], description: 'an operating system: linux or darwin (macOS)' },
          description: 'operating systems it runs on',
        },
        privileges: {
          type: 'array',
          items: { enum: ['root'], description: 'a privilege: root' },
          description: 'privileges it needs',
        },
        capabilities: {
          type: 'array',
          items: { enum: CAPABILITIES, description: `a capability: ${CAPABILITIES.join(', ')}` },
          description: 'host capabilities it needs (probed at the start of a run)',
        },
      },
    },
    lab: labSchema,
    sut: sutSchema,
    minJudged: {
      type: 'integer',
      minimum: 0,
      maximum: 100000,
      description:
        'the fewest checks this profile must judge (pass, fail, flaky or xfail: not skipped) for a run to be green; fewer is exit 4',
    },
    scenarios: {
      type: 'array',
      minItems: 1,
      items: scenarioEntrySchema,
      description: 'the scenarios to run, in order',
    },
  },
} as const;

/**
 * The schema with per-scenario `with:`/`expect:` branches, for editors. Each `use:` value
 * carries its summary twice: `enumDescriptions` beside the enum (the completion list of
 * yaml-language-server and VS Code, non-standard; redhat-developer/yaml-language-server#941)
 * and the branch's own `use` description (hover, any JSON Schema editor).
 */
export function publishedSchema(
  scenarios: Array<{ id: string; summary: string; withSchema: JsonSchema; expectSchema: JsonSchema }>,
): JsonSchema {
  const branches = scenarios.map((s) => ({
    if: { properties: { use: { const: s.id } }, required: ['use'] },
    then: {
      properties: {
        use: { description: `${s.id}: ${s.summary}` },
        with: { ...boundedParamsSchema(s.withSchema), description: `${s.id}'s parameters` },
        expect: { ...boundedParamsSchema(s.expectSchema), description: `what ${s.id} must observe` },
      },
    },
  }));
  const { $id: _id, ...rest } = profileSchema;
  const use = {
    description: 'the scenario to run (netconform list shows them with their summaries)',
    enum: scenarios.map((s) => s.id),
    enumDescriptions: scenarios.map((s) => s.summary),
  };
  return publishable({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    ...rest,
    properties: {
      ...rest.properties,
      scenarios: {
        ...rest.properties.scenarios,
        items: { ...scenarioEntrySchema, properties: { ...scenarioEntrySchema.properties, use }, allOf: branches },
      },
    },
  });
}
