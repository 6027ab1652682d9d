/**
 * What discovery.responds sends toward the SUT and how it recognises an answer: the mDNS and
 * SSDP presets, or the profile's own payload. Pure (no sockets); unit-tested.
 *
 * mDNS (RFC 6762): a standard query from port 5353 to 224.0.0.251 / ff02::fb, so a responder
 * answers by multicast on the link the query came in on (section 6, 11) — which is what shows
 * whether it answers on every interface; IP TTL 255, since responders drop other TTLs
 * (section 11). An answer is a response (QR set) with a record named as the question.
 * SSDP (UPnP Device Architecture 2.0, 1.3.2): an M-SEARCH to 239.255.255.250:1900; the answer
 * is a unicast "HTTP/1.1 200 OK" whose ST matches (any ST for ssdp:all). NOTIFY announcements
 * are not answers.
 */
import dnsPacket from 'dns-packet';

export const PRESETS = ['mdns', 'ssdp'] as const;
export type Preset = (typeof PRESETS)[number];
export const MDNS_TYPES = ['PTR', 'A', 'AAAA', 'SRV', 'TXT'] as const;
export type MdnsType = (typeof MDNS_TYPES)[number];

const DEFAULTS = {
  mdns: { group4: '224.0.0.251', group6: 'ff02::fb', port: 5353, target: '_services._dns-sd._udp.local', ttl: 255 },
  ssdp: { group4: '239.255.255.250', group6: 'ff02::c', port: 1900, target: 'ssdp:all', ttl: 4 },
} as const;

export interface QueryParams {
  preset?: Preset;
  family: 4 | 6;
  group?: string;
  port?: number;
  target?: string;
  mdnsType: MdnsType;
  payload?: string;
  answerPattern?: string;
}

export interface Answer {
  ok: boolean;
  summary: string;
}

export interface Query {
  kind: Preset | 'payload';
  /** Where each peer sends: the group, or (no group, IPv4 only) its segment's directed broadcast. */
  group: string | undefined;
  port: number;
  target: string;
  /** IP TTL / hop limit of the queries. */
  ttl: number;
  /** The query a peer on `segment` sends. */
  build(segment: string): Buffer;
  /** Whether a datagram from the SUT answers the query (NOTIFYs, mDNS probes and unrelated records do not). */
  judge(data: Buffer): Answer;
  /** Text for the evidence: what the query asks. */
  describe: string;
}

/** The profile's text with ${segment}, ${group}, ${port}, ${target} filled in; other ${…} stay as written. */
export function fillTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([a-z]+)\}/g, (all, k: string) => vars[k] ?? all);
}

/** The query the parameters describe, or why they describe none. */
export function makeQuery(p: QueryParams): Query | string {
  const d = p.preset ? DEFAULTS[p.preset] : undefined;
  const group = p.group ?? (d ? (p.family === 6 ? d.group6 : d.group4) : undefined);
  const port = p.port ?? d?.port;
  if (port === undefined) return 'with.port is needed without a preset (the port the SUT serves)';
  if (!p.preset && p.payload === undefined) {
    return 'with.payload (the query to send) is needed without a preset (mdns or ssdp)';
  }
  if (!group && p.family === 6) return 'with.group is needed for IPv6 (there is no IPv6 broadcast)';
  const target = p.target ?? d?.target ?? '';
  const vars = (segment: string): Record<string, string> => ({
    segment,
    group: group ?? 'broadcast',
    port: String(port),
    target,
  });
  let pattern: RegExp | undefined;
  if (p.answerPattern !== undefined) {
    try {
      pattern = new RegExp(p.answerPattern);
    } catch (e) {
      return `with.answerPattern is not a regular expression: ${(e as Error).message}`;
    }
  }
  const byPattern = (data: Buffer, fallback: () => Answer): Answer => {
    if (!pattern) return fallback();
    const text = data.toString('latin1');
    const ok = pattern.test(text);
    return { ok, summary: `${ok ? 'matches' : 'does not match'} /${p.answerPattern}/: ${oneLine(text)}` };
  };
  const base = { group, port, target, ttl: d?.ttl ?? 1 };
  if (p.payload !== undefined) {
    const payload = p.payload;
    return {
      ...base,
      kind: 'payload',
      describe: `the profile's payload (${payload.length} characters)`,
      build: (segment) => Buffer.from(fillTemplate(payload, vars(segment)), 'latin1'),
      judge: (data) => byPattern(data, () => anyDatagram(data)),
    };
  }
  if (p.preset === 'mdns') {
    return {
      ...base,
      kind: 'mdns',
      describe: `mDNS ${p.mdnsType} ${target}`,
      build: () =>
        dnsPacket.encode({
          type: 'query',
          id: 0,
          flags: 0,
          questions: [{ name: target, type: p.mdnsType, class: 'IN' }],
        }),
      judge: (data) => byPattern(data, () => judgeMdns(data, target)),
    };
  }
  const host = p.family === 6 ? `[${group}]` : group;
  return {
    ...base,
    kind: 'ssdp',
    describe: `SSDP M-SEARCH ST ${target}`,
    build: () =>
      Buffer.from(
        ['M-SEARCH * HTTP/1.1', `HOST: ${host}:${port}`, 'MAN: "ssdp:discover"', 'MX: 1', `ST: ${target}`, '', ''].join(
          '\r\n',
        ),
        'latin1',
      ),
    judge: (data) => byPattern(data, () => judgeSsdp(data, target)),
  };
}

export function judgeMdns(data: Buffer, target: string): Answer {
  let m: dnsPacket.Packet;
  try {
    m = dnsPacket.decode(data);
  } catch (e) {
    return { ok: false, summary: `not a DNS message (${(e as Error).message})` };
  }
  const records = [...(m.answers ?? []), ...(m.additionals ?? [])];
  if (m.type !== 'response') {
    return { ok: false, summary: `a query, not a response (${(m.questions ?? []).map((q) => q.name).join(', ')})` };
  }
  const named = records.filter((r) => r.name.toLowerCase() === target.toLowerCase());
  const shown = records
    .slice(0, 3)
    .map((r) => `${r.type} ${r.name}${'data' in r && typeof r.data === 'string' ? ` → ${r.data}` : ''}`)
    .join(', ');
  if (named.length) return { ok: true, summary: `mDNS response: ${shown}` };
  return { ok: false, summary: `mDNS response without ${target} (${shown || 'no records'})` };
}

export function judgeSsdp(data: Buffer, target: string): Answer {
  const text = data.toString('latin1');
  const [status = '', ...lines] = text.split(/\r?\n/);
  if (!/^HTTP\/1\.1 200\b/i.test(status)) return { ok: false, summary: `not a search response: ${oneLine(status)}` };
  const st = lines.map((l) => /^ST:\s*(.*)$/i.exec(l)?.[1]?.trim()).find((x) => x !== undefined);
  if (st === undefined) return { ok: false, summary: 'a 200 without an ST header' };
  if (target !== 'ssdp:all' && st !== target) return { ok: false, summary: `ST ${st}, not ${target}` };
  return { ok: true, summary: `SSDP 200, ST ${st}` };
}

const anyDatagram = (data: Buffer): Answer => ({
  ok: true,
  summary: `${data.length} B: ${oneLine(data.toString('latin1'))}`,
});
const oneLine = (s: string): string =>
  s
    .replace(/[\r\n]+/g, ' ⏎ ')
    .replace(/[^\x20-\x7e⏎]/g, '.')
    .slice(0, 120);
