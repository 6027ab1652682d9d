// The lab section's schema (strict ajv, as the loader compiles it) and the semantic checks.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkLabSpec, labNeedsNetem, labSchema, type LabSpec } from '../../harness/lab/schema.ts';
import { buildModel, createLines } from '../../harness/lab/model.ts';
import { linkLocalFromMac, formatV6, parseV6 } from '../../harness/lab/addr.ts';

const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true, allowUnionTypes: true });
const validate = ajv.compile(labSchema);
const example = (): LabSpec =>
  (parse(readFileSync(new URL('../../profiles/lab-example.yaml', import.meta.url), 'utf8')) as { lab: LabSpec }).lab;
const msgs = (spec: LabSpec): string[] => checkLabSpec(spec).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('lab schema', () => {
  it('accepts the shipped example and finds nothing wrong with it', () => {
    const spec = example();
    expect(validate(spec), JSON.stringify(validate.errors)).toBe(true);
    expect(checkLabSpec(spec)).toEqual([]);
  });

  it('rejects unknown keys at every level and bad names', () => {
    expect(validate({ segments: {}, hosts: {}, extra: 1 })).toBe(false);
    expect(validate({ segments: { a: { vlan: 3 } }, hosts: {} })).toBe(false);
    expect(validate({ segments: { a: {} }, hosts: { h: { links: [{ segment: 'a', speed: 1 }] } } })).toBe(false);
    expect(validate({ segments: { Bad_Name: {} }, hosts: {} })).toBe(false);
    expect(validate({ segments: { a: { rate: 'fast' } }, hosts: {} })).toBe(false);
    expect(validate({ segments: { a: { mtu: 100 } }, hosts: {} })).toBe(false);
  });
});

describe('checkLabSpec', () => {
  const base = (): LabSpec => ({ segments: { a: {}, b: {} }, hosts: { h: { links: [{ segment: 'a' }] } } });

  it('names an unknown segment with the path of the link', () => {
    const s = base();
    s.hosts.h!.links.push({ segment: 'nope' });
    expect(checkLabSpec(s)).toEqual([
      { path: ['hosts', 'h', 'links', 1, 'segment'], message: 'unknown segment "nope" (segments: a, b)' },
    ]);
  });

  it('flags a host with no links, a duplicate link and a default route off its links', () => {
    const s = base();
    s.hosts.x = { links: [] };
    s.hosts.h!.links.push({ segment: 'a' });
    s.hosts.h!.defaultRoute = 'b';
    expect(msgs(s)).toEqual([
      'hosts.h.links.1.segment: host h already has a link on segment a',
      'hosts.h.defaultRoute: host h has no link on segment "b"',
      'hosts.x.links: host x has no links',
    ]);
  });

  it('keeps prefixes inside the benchmarking ranges and apart', () => {
    expect(msgs({ ...base(), segments: { a: { ipv4: '10.0.0.0/24' }, b: {} } })).toEqual([
      'segments.a.ipv4: 10.0.0.0/24 is outside 198.18.0.0/15, the only range a lab may use',
    ]);
    expect(msgs({ ...base(), segments: { a: { ipv6: 'fd00::/64' }, b: {} } })).toEqual([
      'segments.a.ipv6: fd00::/64 is outside 2001:2::/48, the only range a lab may use',
    ]);
    expect(msgs({ ...base(), segments: { a: { ipv4: '198.18.0.0/16' }, b: { ipv4: '198.18.5.0/24' } } })).toEqual([
      'segments.b.ipv4: 198.18.5.0/24 overlaps segment a',
    ]);
    expect(msgs({ ...base(), segments: { a: { ipv4: '198.18.1.1/24' }, b: {} } })[0]).toMatch(/host bits must be 0/);
  });

  it('checks fixed addresses against their segment', () => {
    const s: LabSpec = {
      segments: { a: { ipv4: '198.18.9.0/24' } },
      hosts: {
        h: { links: [{ segment: 'a', address: '198.18.8.1/24' }] },
        k: { links: [{ segment: 'a', address: '198.18.9.255/24' }] },
      },
    };
    expect(msgs(s)).toEqual([
      'hosts.h.links.0.address: 198.18.8.1/24 is not inside segment a (198.18.9.0/24)',
      'hosts.k.links.0.address: 198.18.9.255/24 is the network or broadcast address of a',
    ]);
  });

  it('limits the size of a lab and of a segment', () => {
    const hosts: LabSpec['hosts'] = {};
    for (let i = 0; i < 257; i++) hosts[`h${i}`] = { links: [{ segment: 'a' }] };
    expect(msgs({ segments: { a: { ipv4: '198.18.8.0/22' } }, hosts })).toEqual([
      'hosts: too many hosts: 257 (at most 256)',
    ]);
    const segments: LabSpec['segments'] = {};
    for (let i = 0; i < 65; i++) segments[`s${i}`] = {};
    expect(msgs({ segments, hosts: { h: { links: [{ segment: 's0' }] } } })).toEqual([
      'segments: too many segments: 65 (at most 64)',
    ]);
    // 254 hosts fill a carved /24; the 255th names the full segment.
    const full: LabSpec['hosts'] = {};
    for (let i = 0; i < 255; i++) full[`h${i}`] = { links: [{ segment: 'a' }] };
    expect(msgs({ segments: { a: {} }, hosts: full })).toEqual([
      'hosts.h254.links.0: segment a has no free address left',
    ]);
    delete full.h254;
    expect(msgs({ segments: { a: {} }, hosts: full })).toEqual([]);
    const few: LabSpec['hosts'] = {};
    for (let i = 0; i < 3; i++) few[`h${i}`] = { links: [{ segment: 'a' }] };
    expect(msgs({ segments: { a: { ipv4: '198.18.4.0/30' } }, hosts: few })).toEqual([
      'hosts.h2.links.0: segment a has no free address left',
    ]);
  });

  it('knows when a lab needs netem', () => {
    expect(labNeedsNetem(example())).toBe(false);
    expect(labNeedsNetem({ ...base(), segments: { a: { delayMs: 20 }, b: {} } })).toBe(true);
  });
});

describe('model', () => {
  it('gives every name the run id, never eth0/en0/wlan0, and fits IFNAMSIZ', () => {
    const m = buildModel(example(), 'k3x9q');
    for (const h of m.hosts.values()) {
      expect(h.netns).toContain('k3x9q');
      for (const i of h.ifs.values()) {
        expect(i.name).toContain('k3x9q');
        expect(i.name).not.toMatch(/^(eth|en|wlan)\d/);
        expect(i.name.length).toBeLessThanOrEqual(15);
        expect(i.port.length).toBeLessThanOrEqual(15);
      }
    }
    expect(createLines(m).every((l) => l.includes('k3x9q'))).toBe(true);
    // Automatic addresses: host k is .k on every segment; fixed ones are kept.
    expect([...m.hosts.get('dut')!.ifs.values()].map((i) => i.v4.addr & 255)).toEqual([1, 10, 1]);
    expect(m.hosts.get('peer-b')!.ifs.get('lan-b')!.mtu).toBe(1400);
  });

  it('derives EUI-64 link-local addresses and prints IPv6 in RFC 5952 form', () => {
    expect(linkLocalFromMac('02:a5:c1:83:00:01')).toBe('fe80::a5:c1ff:fe83:1');
    expect(formatV6(parseV6('2001:2:0:1:0:0:0:1')!)).toBe('2001:2:0:1::1');
    expect(formatV6(parseV6('2001:0:0:1::')!)).toBe('2001:0:0:1::');
  });
});
