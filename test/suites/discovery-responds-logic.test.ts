/** Pure logic behind discovery.responds: the queries it sends, what counts as an answer, the reasons. */
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { explainResponds } from '../../suites/discovery/lib/explain.ts';
import {
  fillTemplate,
  judgeMdns,
  judgeSsdp,
  makeQuery,
  type Query,
  type QueryParams,
} from '../../suites/discovery/lib/queries.ts';

const q = (p: Partial<QueryParams>): Query => {
  const r = makeQuery({ family: 4, mdnsType: 'PTR', ...p });
  if (typeof r === 'string') throw new Error(r);
  return r;
};
const refusal = (p: Partial<QueryParams>): Query | string => makeQuery({ family: 4, mdnsType: 'PTR', ...p });
const mdnsResponse = (name: string, type: 'response' | 'query' = 'response'): Buffer =>
  dnsPacket.encode({
    type,
    id: 0,
    flags: type === 'response' ? dnsPacket.AUTHORITATIVE_ANSWER : 0,
    answers: [{ type: 'PTR', name, ttl: 120, data: `x.${name}` }],
  });
const http = (...lines: string[]): Buffer => Buffer.from([...lines, '', ''].join('\r\n'));

describe('discovery.responds queries', () => {
  it('mdns preset: a PTR question for the target to 224.0.0.251:5353 (ff02::fb for IPv6), TTL 255', () => {
    const m = q({ preset: 'mdns' });
    expect([m.group, m.port, m.target, m.ttl]).toEqual(['224.0.0.251', 5353, '_services._dns-sd._udp.local', 255]);
    const sent = dnsPacket.decode(m.build('lan-a'));
    expect(sent.type).toBe('query');
    expect(sent.questions).toEqual([{ name: '_services._dns-sd._udp.local', type: 'PTR', class: 'IN' }]);
    expect(q({ preset: 'mdns', family: 6 }).group).toBe('ff02::fb');
    const a = q({ preset: 'mdns', target: 'box.local', mdnsType: 'A' });
    expect(dnsPacket.decode(a.build('x')).questions?.[0]?.type).toBe('A');
  });

  it('an mDNS answer is a response with a record of the asked name; a query or another name is not', () => {
    const t = '_services._dns-sd._udp.local';
    expect(judgeMdns(mdnsResponse(t), t)).toEqual({ ok: true, summary: `mDNS response: PTR ${t} → x.${t}` });
    expect(judgeMdns(mdnsResponse(t.toUpperCase()), t).ok).toBe(true);
    expect(judgeMdns(mdnsResponse('_http._tcp.local'), t)).toMatchObject({
      ok: false,
      summary: expect.stringMatching(/^mDNS response without/),
    });
    expect(judgeMdns(mdnsResponse(t, 'query'), t)).toMatchObject({
      ok: false,
      summary: expect.stringMatching(/^a query, not a response/),
    });
    expect(judgeMdns(http('HTTP/1.1 200 OK'), t).ok).toBe(false);
  });

  it('ssdp preset: an M-SEARCH; a 200 with the ST answers, a NOTIFY or another ST does not', () => {
    const st = 'urn:x:device:Y:1';
    const s = q({ preset: 'ssdp', target: st });
    expect([s.group, s.port]).toEqual(['239.255.255.250', 1900]);
    expect(s.build('lan-a')).toEqual(
      http('M-SEARCH * HTTP/1.1', 'HOST: 239.255.255.250:1900', 'MAN: "ssdp:discover"', 'MX: 1', `ST: ${st}`),
    );
    const ok = http('HTTP/1.1 200 OK', `ST: ${st}`, 'USN: u');
    expect(judgeSsdp(ok, st)).toEqual({ ok: true, summary: `SSDP 200, ST ${st}` });
    expect(judgeSsdp(http('HTTP/1.1 200 OK', 'ST: urn:other'), st)).toEqual({
      ok: false,
      summary: `ST urn:other, not ${st}`,
    });
    expect(judgeSsdp(http('HTTP/1.1 200 OK', 'ST: urn:other'), 'ssdp:all').ok).toBe(true);
    expect(judgeSsdp(http('NOTIFY * HTTP/1.1', 'NT: urn:x'), 'ssdp:all').ok).toBe(false);
    expect(q({ preset: 'ssdp', family: 6 }).build('x').toString()).toContain('HOST: [ff02::c]:1900');
  });

  it('a payload is a template; without a group it goes to the directed broadcast; answerPattern judges answers', () => {
    const p = q({ payload: 'HELLO ${segment} ${port} ${unknown}', port: 7000 });
    expect(p.group).toBeUndefined();
    expect(p.build('lan-b').toString()).toBe('HELLO lan-b 7000 ${unknown}');
    expect(p.judge(Buffer.from('anything')).ok).toBe(true);
    const r = q({ payload: 'HELLO', port: 7000, answerPattern: '^OK ' });
    expect(r.judge(Buffer.from('OK here')).ok).toBe(true);
    expect(r.judge(Buffer.from('NO'))).toEqual({ ok: false, summary: 'does not match /^OK /: NO' });
    expect(fillTemplate('${group}:${port}', { group: 'g', port: '1' })).toBe('g:1');
  });

  it('parameters that describe no query are refused with the reason', () => {
    expect(refusal({ payload: 'x' })).toBe('with.port is needed without a preset (the port the SUT serves)');
    expect(refusal({ port: 9 })).toMatch(/^with.payload \(the query to send\) is needed without a preset/);
    expect(refusal({ family: 6, port: 9, payload: 'x' })).toBe(
      'with.group is needed for IPv6 (there is no IPv6 broadcast)',
    );
    expect(refusal({ preset: 'mdns', answerPattern: '(' })).toMatch(/^with.answerPattern is not a regular expression/);
  });
});

describe('explainResponds', () => {
  const base = { defaultRoute: 'lan-a', to: '224.0.0.251:5353', queries: 3, timeoutMs: 1200, nonAnswers: 0 };
  const silent = (s: string): { segment: string; elsewhere: string[] } => ({ segment: s, elsewhere: [] });

  it('silence on some segments: one-interface membership or a bound socket, said as likely, not as fact', () => {
    expect(explainResponds({ ...base, answered: ['lan-a'], missed: [silent('lan-b'), silent('lan-c')] })).toBe(
      'no answer came back on lan-b and lan-c within 1200 ms (it answered only on lan-a, the default route): ' +
        'typically the responder joined the group on one interface only or bound its socket to one address',
    );
  });

  it('answers that arrived on the default route instead', () => {
    const missed = ['lan-b', 'lan-c'].map((segment) => ({ segment, elsewhere: ['lan-a'] }));
    expect(explainResponds({ ...base, answered: ['lan-a'], missed })).toBe(
      'the queries on lan-b and lan-c were answered on lan-a (the default route) instead: typically the responder ' +
        'sends its answers without choosing the interface the query arrived on (IP_MULTICAST_IF from IP_PKTINFO), ' +
        'so the routing table picks one',
    );
  });

  it('no answer anywhere names what was sent and what the SUT said', () => {
    const said = { sutExit: 'exited with code 1', sutHint: 'OSError: [Errno 98]' };
    const o = { ...base, ...said, nonAnswers: 2, answered: [], missed: [silent('lan-a')] };
    expect(explainResponds(o)).toBe(
      'no answer came back on any segment within 1200 ms of 3 queries to 224.0.0.251:5353 from each segment ' +
        '(2 datagram(s) from the SUT did not answer the query): typically the responder is not listening on that port, ' +
        'did not join the group, or answers something else; the SUT exited with code 1; ' +
        'it said: "OSError: [Errno 98]"',
    );
  });
});
