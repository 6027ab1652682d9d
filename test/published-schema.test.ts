/**
 * The JSON Schema editors get (profiles/netconform.schema.json, which cli.e2e checks is current)
 * as an editor's validator reads it: plain draft-07, unknown keywords such as enumDescriptions
 * ignored. The loader itself validates with its own strict schemas; this is about what a
 * profile's author sees.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../harness/runner/registry.ts';
import { DURATION_FORMAT } from '../harness/util/duration.ts';

const root = join(import.meta.dirname, '..');
const schema = JSON.parse(readFileSync(join(root, 'profiles/netconform.schema.json'), 'utf8')) as {
  properties: {
    scenarios: { items: { properties: { use: { anyOf: Array<{ const: string; description: string }> } } } };
  };
};
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

describe('the published profile schema', () => {
  it('accepts every shipped profile, so an editor flags none of them (a defaulted parameter is not required)', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addFormat(DURATION_FORMAT, true);
    const validate = ajv.compile(schema);
    const profiles = readdirSync(join(root, 'profiles')).filter((f) => f.endsWith('.yaml'));
    expect(profiles.length).toBeGreaterThan(10);
    const refused = profiles.flatMap((f) =>
      validate(parse(readFileSync(join(root, 'profiles', f), 'utf8')))
        ? []
        : [`${f}: ${ajv.errorsText(validate.errors)}`],
    );
    expect(refused).toEqual([]);
  });

  it('refuses what the loader refuses in a with: (the per-use branches are live)', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addFormat(DURATION_FORMAT, true);
    const validate = ajv.compile(schema);
    const base = { profile: 'p', scenarios: [{ id: 'a', use: 'keepalive.honoured', with: {} }] };
    expect(validate(base)).toBe(true);
    expect(validate({ ...base, scenarios: [{ id: 'a', use: 'keepalive.honoured', with: { port: 70000 } }] })).toBe(
      false,
    );
    expect(
      validate({
        ...base,
        scenarios: [{ id: 'a', use: 'darkwake.churn', with: { schedule: { phases: [{ nap: '1s' }] } } }],
      }),
    ).toBe(false);
    expect(validate({ ...base, scenarios: [{ id: 'a', use: 'no.such-scenario' }] })).toBe(false);
  });

  it('lists every scenario under use: with its summary, for completion and hover', async () => {
    const values = schema.properties.scenarios.items.properties.use.anyOf;
    const registry = await loadRegistry();
    expect(values.map((v) => v.const)).toEqual([...registry.keys()].filter((id) => !id.startsWith('fixture.')));
    expect(values.map((v) => v.const)).toContain('darkwake.churn');
    for (const v of values) expect(v.description, v.const).toBe(registry.get(v.const)?.summary);
  });

  it('compiles under a stock draft-07 validator in strict mode (no formats added, no unknown keyword)', () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    const validate = ajv.compile(schema);
    const profiles = readdirSync(join(root, 'profiles')).filter((f) => f.endsWith('.yaml'));
    const refused = profiles.flatMap((f) =>
      validate(parse(readFileSync(join(root, 'profiles', f), 'utf8')))
        ? []
        : [`${f}: ${ajv.errorsText(validate.errors)}`],
    );
    expect(refused).toEqual([]);
    // Our formats, said as patterns: a malformed duration and a malformed peer address are still refused.
    const peers = (list: string[]) =>
      validate({ profile: 'p', scenarios: [{ id: 'a', use: 'broadcast.reach', with: { peers: list } }] });
    expect(peers(['198.18.1.2'])).toBe(true);
    expect(peers(['198.18.1.256'])).toBe(false);
    const delay = (d: string) =>
      validate({
        profile: 'p',
        sut: { command: ['sut'], ready: { delay: d } },
        scenarios: [{ id: 'a', use: 'preflight.loopback-udp' }],
      });
    expect(delay('1s500ms')).toBe(true);
    expect(delay('5 parsecs')).toBe(false);
    expect(JSON.stringify(schema)).not.toContain('"format"');
  });
});
