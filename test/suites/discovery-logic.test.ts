/** Pure logic behind discovery.* verdicts: pattern sentences and churn step validation. */
import { describe, expect, it } from 'vitest';
import { explainDiscovery } from '../../suites/discovery/lib/explain.ts';
import { explainChurn, validateSteps } from '../../suites/discovery/lib/churn-steps.ts';
import { MentionWatch, sutHint } from '../../suites/lib/discovery/sut.ts';

const base = { defaultRoute: 'lan-a', kinds: ['broadcast' as const], port: 47840, timeoutMs: 2000 };

describe('explainDiscovery', () => {
  it('names the unbound all-hosts broadcast', () => {
    expect(explainDiscovery({ ...base, reached: ['lan-a'], missed: ['lan-b', 'lan-c'], limitedBroadcast: true })).toBe(
      'reached lan-a only (the default-route segment); lan-b and lan-c never heard it: typically one all-hosts broadcast (255.255.255.255) sent without binding a socket to each interface, which leaves by the default route only; a product configured for that one interface looks the same',
    );
  });
  it('names multicast without IP_MULTICAST_IF, silence and partial reach', () => {
    expect(
      explainDiscovery({
        ...base,
        kinds: ['multicast'],
        reached: ['lan-a'],
        missed: ['lan-b'],
        limitedBroadcast: false,
      }),
    ).toMatch(
      /: typically multicast sent without choosing each interface \(IP_MULTICAST_IF\), so the routing table picked one; a product configured for that one interface looks the same$/,
    );
    expect(
      explainDiscovery({
        ...base,
        reached: [],
        missed: ['lan-a'],
        limitedBroadcast: false,
        sutHint: 'PermissionError: [Errno 13]',
      }),
    ).toMatch(/reached no segment.*PermissionError/);
    expect(explainDiscovery({ ...base, reached: ['lan-a', 'lan-b'], missed: ['lan-c'], limitedBroadcast: true })).toBe(
      'reached lan-a and lan-b; lan-c got nothing within 2000 ms',
    );
  });
});

describe('churn steps', () => {
  const start = { linked: new Set(['lan-a', 'lan-b']), down: new Set<string>() };
  it('validates against the evolving link state', () => {
    expect(
      validateSteps(
        [
          { action: 'link-down', segment: 'lan-b' },
          { action: 'link-up', segment: 'lan-b' },
          { action: 'add-link', segment: 'lan-d' },
        ],
        start,
        ['lan-a', 'lan-b', 'lan-d'],
      ),
    ).toEqual([]);
    expect(
      validateSteps(
        [
          { action: 'add-link', segment: 'lan-a' },
          { action: 'link-down', segment: 'lan-x' },
          { action: 'set-address', segment: 'lan-b' },
        ],
        start,
        ['lan-a', 'lan-b'],
      ),
    ).toEqual([
      "with.steps[0] (add-link lan-a): the SUT's host is already on lan-a",
      'with.steps[1] (link-down lan-x): no segment lan-x in the lab',
      'with.steps[2] (set-address lan-b): set-address needs address',
    ]);
  });
  it('explains what a missed segment after each step means', () => {
    expect(explainChurn({ action: 'add-link', segment: 'lan-d' }, ['lan-d'], 3000)).toMatch(
      /does not pick up interfaces that appear after start/,
    );
    expect(
      explainChurn({ action: 'set-address', segment: 'lan-c', address: '198.18.3.77/24' }, ['lan-c'], 3000),
    ).toMatch(/re-enumerate and rebind/);
    expect(explainChurn({ action: 'link-down', segment: 'lan-b' }, ['lan-a'], 3000)).toMatch(
      /stopped reaching lan-a \(unchanged segments\)/,
    );
    expect(explainChurn(undefined, ['lan-b', 'lan-c'], 3000)).toBe(
      'the SUT never reached lan-b and lan-c after it started (within 3000 ms)',
    );
  });
});

describe('SUT output', () => {
  it('finds the failure line and the responders not mentioned', () => {
    expect(sutHint(['[stdout] discovering', '[stderr] PermissionError: [Errno 13] Permission denied'])).toBe(
      'PermissionError: [Errno 13] Permission denied',
    );
    const m = new MentionWatch(['responder-lan-a', 'responder-lan-b']);
    m.line('found NETCONFORM-RESPONDER responder-lan-a');
    for (let i = 0; i < 50_000; i++) m.line(`chatter ${i}`); // far past what the report keeps
    expect(m.missing()).toEqual(['responder-lan-b']);
  });
});
