/**
 * Parameter fragments the network scenario families share (TypeBox: each is a JSON Schema and
 * its Static type). A fragment's own `description` is the loader's message when a `pattern`
 * fails (loader/ajv.ts), so a property that describes itself wraps it with `Described`.
 */
import { Type } from '@sinclair/typebox';
import { GROUP4_PATTERN, GROUP6_PATTERN } from '../../../harness/net/safety.ts';

/** A list of segment names (`with.segments`, `with.join`); `description` says what the list selects. */
export function Segments(description: string, options: { minItems?: number } = {}) {
  return Type.Array(
    Type.String({ description: 'a lab segment name (host mode: an interface name)', examples: ['lan-a', 'en0'] }),
    { uniqueItems: true, ...options, description },
  );
}

/** An IPv4 group the safety rule allows in a lab (harness/net/safety.ts). */
export const Group4 = Type.String({
  pattern: GROUP4_PATTERN,
  description: 'an IPv4 group in 224.0.0.0/24 or 239.0.0.0/8 (the safety rule, harness/README.md)',
});

/** An IPv6 group the safety rule allows in a lab: scopes 1–5 (RFC 4291 §2.7). */
export const Group6 = Type.String({
  pattern: GROUP6_PATTERN,
  description: 'an IPv6 group of scope 1–5, interface- to site-local (the safety rule, harness/README.md)',
});

/** Either family's group. */
export const Group = Type.String({
  pattern: `${GROUP4_PATTERN}|${GROUP6_PATTERN}`,
  description:
    'a group in 224.0.0.0/24 or 239.0.0.0/8, or an IPv6 group of scope 1–5 (the safety rule, harness/README.md)',
});
