/**
 * The lab changes discovery.churn applies under a running SUT, and what each one means when
 * the SUT fails to reach the changed segment again. Pure parts are unit-tested.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Lab } from '../../../harness/lab/types.ts';
import { LAB_CIDR4_PATTERN } from '../../../harness/net/safety.ts';
import { Described, Enum } from '../../lib/params.ts';
import { list } from '../../lib/net/matrix.ts';

export const CHURN_ACTIONS = ['link-down', 'link-up', 'set-address', 'add-link', 'remove-link'] as const;

const LabCidr = Type.String({
  pattern: LAB_CIDR4_PATTERN,
  description: 'an IPv4 address/prefix inside 198.18.0.0/15, like 198.18.2.50/24',
});

/** One change to the SUT's host (`with.steps[]`). */
export const ChurnStep = Type.Object(
  {
    action: Enum(CHURN_ACTIONS, {
      description:
        "link-down / link-up: the host's interface on segment; set-address: give it address; add-link / remove-link: a new interface on segment, or remove it",
    }),
    segment: Type.String({ description: "the lab segment whose link on the SUT's host changes", examples: ['lan-b'] }),
    address: Type.Optional(
      Described(LabCidr, {
        description: 'set-address: the new IPv4 address/prefix (inside 198.18.0.0/15)',
        examples: ['198.18.2.50/24'],
      }),
    ),
  },
  { additionalProperties: false, description: "one change to the SUT's host, applied while it runs" },
);
export type ChurnStep = Static<typeof ChurnStep>;

export const stepLabel = (s: ChurnStep): string => `${s.action} ${s.segment}${s.address ? ` (${s.address})` : ''}`;

/** The SUT host's link state as the steps change it. */
export interface LinkState {
  linked: Set<string>;
  down: Set<string>;
}

export const activeSegments = (s: LinkState): string[] => [...s.linked].filter((x) => !s.down.has(x));

/** Problems with the steps against the starting link state (run before any fault). */
export function validateSteps(steps: ChurnStep[], start: LinkState, labSegments: string[]): string[] {
  const st: LinkState = { linked: new Set(start.linked), down: new Set(start.down) };
  const errs: string[] = [];
  steps.forEach((s, k) => {
    const at = `with.steps[${k}] (${stepLabel(s)})`;
    if (!labSegments.includes(s.segment)) return void errs.push(`${at}: no segment ${s.segment} in the lab`);
    const linked = st.linked.has(s.segment);
    if (s.action === 'add-link') {
      if (linked) errs.push(`${at}: the SUT's host is already on ${s.segment}`);
      st.linked.add(s.segment);
    } else if (!linked) errs.push(`${at}: the SUT's host has no link on ${s.segment}`);
    else if (s.action === 'link-down') st.down.add(s.segment);
    else if (s.action === 'link-up') st.down.delete(s.segment);
    else if (s.action === 'remove-link') st.linked.delete(s.segment);
    else if (s.action === 'set-address' && !s.address) errs.push(`${at}: set-address needs address`);
  });
  return errs;
}

export async function applyStep(lab: Lab, host: string, s: ChurnStep, st: LinkState): Promise<void> {
  switch (s.action) {
    case 'link-down':
      await lab.linkDown(host, s.segment);
      st.down.add(s.segment);
      break;
    case 'link-up':
      await lab.linkUp(host, s.segment);
      st.down.delete(s.segment);
      break;
    case 'set-address':
      await lab.setAddress(host, s.segment, s.address!);
      break;
    case 'add-link':
      await lab.addLink(host, s.segment);
      st.linked.add(s.segment);
      break;
    case 'remove-link':
      await lab.removeLink(host, s.segment);
      st.linked.delete(s.segment);
      break;
  }
}

/** Why the SUT failed after `s`: `missed` are active segments it did not reach within the bound. */
export function explainChurn(s: ChurnStep | undefined, missed: string[], withinMs: number): string {
  const m = list(missed);
  if (!s) return `the SUT never reached ${m} after it started (within ${withinMs} ms)`;
  const changed = missed.includes(s.segment);
  const others = missed.filter((x) => x !== s.segment);
  const parts: string[] = [];
  if (changed) {
    switch (s.action) {
      case 'link-up':
        parts.push(
          `${s.segment} came back but the SUT did not reach it again within ${withinMs} ms: it does not reopen its socket when an interface returns`,
        );
        break;
      case 'set-address':
        parts.push(
          `after ${s.segment}'s address changed to ${s.address} the SUT did not reach ${s.segment} again within ${withinMs} ms: it kept a socket bound to the old address or interface list; re-enumerate and rebind`,
        );
        break;
      case 'add-link':
        parts.push(
          `the SUT never reached the new segment ${s.segment} within ${withinMs} ms: it does not pick up interfaces that appear after start`,
        );
        break;
      default:
        parts.push(`after ${stepLabel(s)} the SUT did not reach ${s.segment} within ${withinMs} ms`);
    }
  }
  if (others.length)
    parts.push(
      `after ${stepLabel(s)} the SUT stopped reaching ${list(others)} (unchanged segments) within ${withinMs} ms: one interface's change broke discovery on the others`,
    );
  return parts.join('; ');
}
