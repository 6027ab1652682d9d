/**
 * The profile's `lab:` section: JSON Schema (for the loader's strict ajv) plus the semantic
 * checks a schema cannot express. Paths returned by `checkLabSpec` are relative to the `lab`
 * node so the loader can map them to file:line:col. Format documented in ./README.md.
 */
import { allocate } from './alloc.ts';

/** Local network privacy of a host's own programs, as on macOS (harness/lab/README.md). */
export const LOCAL_NETWORK_POLICIES = ['allowed', 'denied', 'silent'] as const;
export type LocalNetworkPolicy = (typeof LOCAL_NETWORK_POLICIES)[number];

export interface LinkSpecProps {
  mtu?: number;
  rate?: string;
  delayMs?: number;
  jitterMs?: number;
  lossPercent?: number;
}
export interface SegmentSpec extends LinkSpecProps {
  description?: string;
  /** IPv4 prefix inside 198.18.0.0/15; default: a free /24. */
  ipv4?: string;
  /** IPv6 prefix inside 2001:2::/48; default: a free /64. */
  ipv6?: string;
}
export interface LinkSpec extends LinkSpecProps {
  segment: string;
  /** Fixed IPv4 address with prefix length (must match the segment's). */
  address?: string;
  address6?: string;
}
export interface HostSpec {
  description?: string;
  links: LinkSpec[];
  /** Segment that carries the host's IPv4 and IPv6 default route (on-link, no gateway). */
  defaultRoute?: string;
  /** Local network privacy of the host's own programs (the SUT), as on macOS; default allowed. */
  localNetwork?: LocalNetworkPolicy;
  /** Folders of its own, shared by its programs only (harness/process/netns-exec.ts). */
  private?: Array<'run' | 'tmp'>;
}
export interface LabSpec {
  segments: Record<string, SegmentSpec>;
  hosts: Record<string, HostSpec>;
  /** Extra names in every host's /etc/hosts: DNS name → the lab host it stands for. */
  names?: Record<string, string>;
}
export interface LabSpecIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * What bounds a lab's size (each limit is what something below needs, no more):
 * - a host's and a segment's index are one byte each of its interfaces' MACs (names.ts macFor),
 *   so 256 hosts and 256 segments at most before two MACs on a segment could collide;
 * - a carved /24 holds 254 hosts; a bigger segment needs an explicit prefix (e.g. ipv4: …/22);
 * - interface names stay ≤ 15 bytes (IFNAMSIZ) for any index below 1000 (names.ts);
 * - a Linux bridge takes up to 1024 ports (BR_MAX_PORTS, net/bridge/br_private.h).
 * 64 segments are 64 namespaces more: kept below the MAC bound so a lab stays a few hundred namespaces.
 */
export const MAX_HOSTS = 256;
export const MAX_SEGMENTS = 64;
export const MAX_LINKS_PER_HOST = 8;
/** Lower-case names: they end up in namespace names and in `ip netns exec` lines. */
export const LAB_NAME_PATTERN = '^[a-z][a-z0-9-]{0,19}$';
/**
 * A host name as /etc/hosts takes it: dot-separated labels of letters, digits and inner "-"
 * (RFC 1123 section 2.1), at most DNS_NAME_MAX characters; no space or newline can reach the file.
 */
export const DNS_NAME_MAX = 253;
const DNS_LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
export const DNS_NAME_PATTERN = `^${DNS_LABEL}(\\.${DNS_LABEL})*$`;

const name = {
  type: 'string',
  pattern: LAB_NAME_PATTERN,
  description: 'lower-case letters, digits and "-", at most 20',
};

// A property's own description is for editors; a failed pattern reads "must be <the type's
// description>" (loader/ajv.ts), so a described property wraps its patterned type in allOf.
const rate = {
  type: 'string',
  pattern: '^[0-9]+(\\.[0-9]+)?(bit|kbit|mbit|gbit)$',
  description: 'a rate like 10mbit: a number, then bit, kbit, mbit or gbit',
};

export const linkPropsSchema = {
  mtu: { type: 'integer', minimum: 1280, maximum: 9000, description: 'MTU of the link (1280 is the IPv6 minimum)' },
  rate: { description: 'egress rate in both directions (tc tbf), e.g. 10mbit', examples: ['10mbit'], allOf: [rate] },
  delayMs: {
    type: 'number',
    minimum: 0,
    maximum: 60000,
    description: 'netem delay; scenarios are skipped where the kernel lacks netem',
  },
  jitterMs: { type: 'number', minimum: 0, maximum: 60000, description: 'netem jitter' },
  lossPercent: { type: 'number', minimum: 0, maximum: 100, description: 'netem loss' },
} as const;

const cidr4 = {
  type: 'string',
  pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$',
  description: 'an IPv4 address with its prefix length, like 198.18.1.0/24',
};
const cidr6 = {
  type: 'string',
  pattern: '^[0-9a-fA-F:]+/[0-9]{1,3}$',
  description: 'an IPv6 address with its prefix length, like 2001:2:0:1::/64',
};

export const labSchema = {
  type: 'object',
  description: 'an isolated topology: one network namespace per host, one bridge per segment (Linux)',
  additionalProperties: false,
  required: ['segments', 'hosts'],
  properties: {
    names: {
      type: 'object',
      description:
        'extra names every lab host resolves through its /etc/hosts (getaddrinfo): <name>: <lab host>; ' +
        "each host's own name resolves too",
      examples: [{ 'api.example.test': 'server' }],
      propertyNames: {
        type: 'string',
        maxLength: DNS_NAME_MAX,
        pattern: DNS_NAME_PATTERN,
        description: `a host name: dot-separated labels of letters, digits and "-", at most ${DNS_NAME_MAX} characters`,
      },
      additionalProperties: { description: 'the lab host the name resolves to (a name under hosts:)', allOf: [name] },
    },
    segments: {
      type: 'object',
      propertyNames: name,
      description:
        'the lab\'s segments by name (lower-case letters, digits and "-", at most 20): one bridge each, joining the hosts linked to it',
      examples: [{ lan: {}, wan: { delayMs: 20 } }],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        description: 'a segment: one bridge; its addresses are carved from the lab ranges unless given',
        properties: {
          description: {
            type: 'string',
            description: 'what the segment stands for, in a few words (shown in lab listings)',
          },
          ipv4: {
            description: 'IPv4 prefix inside 198.18.0.0/15 (default: a free /24)',
            examples: ['198.18.10.0/24'],
            allOf: [cidr4],
          },
          ipv6: {
            description: 'IPv6 prefix inside 2001:2::/48 (default: a free /64)',
            examples: ['2001:2:0:10::/64'],
            allOf: [cidr6],
          },
          ...linkPropsSchema,
        },
      },
    },
    hosts: {
      type: 'object',
      propertyNames: name,
      description:
        'the lab\'s hosts by name (lower-case letters, digits and "-", at most 20): one network namespace each',
      examples: [{ client: { links: [{ segment: 'lan' }] }, gateway: { links: [{ segment: 'lan' }] } }],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['links'],
        description: 'a host: one network namespace with one veth per link',
        properties: {
          description: {
            type: 'string',
            description: 'what the host stands for, in a few words (shown in lab listings)',
          },
          links: {
            type: 'array',
            description: `the host's interfaces, one per segment it is on (at most ${MAX_LINKS_PER_HOST})`,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['segment'],
              description: "one interface: a veth into a segment's bridge",
              properties: {
                // allOf keeps the name's own description as the error text (loader/ajv.ts uses a pattern's description).
                segment: { description: 'the segment this interface is on (a name under segments:)', allOf: [name] },
                address: {
                  description: 'fixed IPv4 address/len inside the segment',
                  examples: ['198.18.10.5/24'],
                  allOf: [cidr4],
                },
                address6: {
                  description: 'fixed IPv6 address/len inside the segment',
                  examples: ['2001:2:0:10::5/64'],
                  allOf: [cidr6],
                },
                ...linkPropsSchema,
              },
            },
          },
          defaultRoute: { description: 'segment for the default route (IPv4 and IPv6, on-link)', allOf: [name] },
          localNetwork: {
            enum: [...LOCAL_NETWORK_POLICIES],
            description:
              "local network privacy of the host's own programs (its SUT), as on macOS: denied = sends and connects to the lab fail with EHOSTUNREACH, silent = sends say yes and nothing leaves; receiving and loopback always work (default allowed)",
          },
          private: {
            type: 'array',
            uniqueItems: true,
            items: { enum: ['run', 'tmp'], description: 'run or tmp' },
            description:
              "folders of the host's own, empty at bring-up and shared by its programs only " +
              "(a daemon's pid file or socket): run = /run, tmp = /tmp",
            examples: [['run', 'tmp']],
          },
        },
      },
    },
  },
} as const;

/** True when a host starts with a local network policy other than allowed (needs cgroup v2 + BPF). */
export function labNeedsLocalNetwork(spec: LabSpec): boolean {
  return Object.values(spec.hosts).some((h) => (h.localNetwork ?? 'allowed') !== 'allowed');
}

/** True when any segment or link asks for delay, jitter or loss (which need sch_netem). */
export function labNeedsNetem(spec: LabSpec): boolean {
  const uses = (p: LinkSpecProps): boolean =>
    p.delayMs !== undefined || p.jitterMs !== undefined || p.lossPercent !== undefined;
  return Object.values(spec.segments).some(uses) || Object.values(spec.hosts).some((h) => h.links.some(uses));
}

/** Semantic errors; [] when the spec is usable. Assumes the schema already passed. */
export function checkLabSpec(spec: LabSpec): LabSpecIssue[] {
  const issues: LabSpecIssue[] = [];
  const segNames = Object.keys(spec.segments);
  const hostNames = Object.keys(spec.hosts);
  if (hostNames.length === 0) issues.push({ path: ['hosts'], message: 'a lab needs at least one host' });
  if (hostNames.length > MAX_HOSTS)
    issues.push({ path: ['hosts'], message: `too many hosts: ${hostNames.length} (at most ${MAX_HOSTS})` });
  if (segNames.length === 0) issues.push({ path: ['segments'], message: 'a lab needs at least one segment' });
  if (segNames.length > MAX_SEGMENTS)
    issues.push({ path: ['segments'], message: `too many segments: ${segNames.length} (at most ${MAX_SEGMENTS})` });
  const known = `(segments: ${segNames.join(', ') || 'none'})`;
  for (const [h, host] of Object.entries(spec.hosts)) {
    if (host.links.length === 0) issues.push({ path: ['hosts', h, 'links'], message: `host ${h} has no links` });
    if (host.links.length > MAX_LINKS_PER_HOST) {
      issues.push({
        path: ['hosts', h, 'links'],
        message: `host ${h} has ${host.links.length} links (at most ${MAX_LINKS_PER_HOST})`,
      });
    }
    const seen = new Set<string>();
    host.links.forEach((l, i) => {
      if (!(l.segment in spec.segments)) {
        issues.push({ path: ['hosts', h, 'links', i, 'segment'], message: `unknown segment "${l.segment}" ${known}` });
      } else if (seen.has(l.segment)) {
        issues.push({
          path: ['hosts', h, 'links', i, 'segment'],
          message: `host ${h} already has a link on segment ${l.segment}`,
        });
      }
      seen.add(l.segment);
    });
    if (host.defaultRoute !== undefined && !host.links.some((l) => l.segment === host.defaultRoute)) {
      issues.push({
        path: ['hosts', h, 'defaultRoute'],
        message: `host ${h} has no link on segment "${host.defaultRoute}"`,
      });
    }
  }
  for (const [n, target] of Object.entries(spec.names ?? {})) {
    if (n in spec.hosts) issues.push({ path: ['names', n], message: `${n} is already the name of a lab host` });
    else if (!(target in spec.hosts)) {
      const message = `name ${n} points at unknown host "${target}" (hosts: ${hostNames.join(', ') || 'none'})`;
      issues.push({ path: ['names', n], message });
    }
  }
  if (issues.length === 0) issues.push(...allocate(spec).issues);
  return issues;
}
