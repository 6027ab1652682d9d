/** Per-datagram evidence of what the discovery responders heard (discovery.*, lnp.*). */
import type { TextEvidence } from '../../../harness/model/check.ts';
import type { Heard } from './responders.ts';

export function heardEvidence(heard: Heard[], max = 60): TextEvidence {
  const lines = heard
    .slice(0, max)
    .map(
      (h) =>
        `+${Math.round(h.t)}ms ${h.responder} on ${h.ifname} (ifindex ${h.ifindex}) from ${h.source} to ${h.destination} (${h.kind}, ${h.bytes} B)`,
    );
  if (heard.length > max) lines.push(`… ${heard.length - max} more`);
  return {
    kind: 'text',
    title: 'what each responder heard',
    text: lines.join('\n') || 'no datagram reached any responder',
  };
}
