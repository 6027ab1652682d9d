/**
 * The pure parts of `netconform doctor` (doctor.ts gathers, this file decides), each tested on
 * Linux with recorded output of both OSes (test/doctor.test.ts).
 */
import type { LoadedProfile } from '../loader/profile.ts';
import { labCapability } from '../runner/run.ts';
import type { Capabilities, Capability } from '../model/scenario.ts';
import type { NetInterface } from '../../native/types.ts';
import { parseRouteGet } from '../../suites/lib/net/route-get.darwin.ts';
import { notSegmentReason } from '../../suites/lib/net/topology.ts';
import type { ContextRun } from '../../suites/lnp/lib/launch-context.ts';
import { outcomes } from '../../suites/lnp/lib/outcome.ts';
import type { AnyScenario } from '../model/scenario.ts';
import type { DoctorContextRow, DoctorInterface, DoctorRoute, DoctorScenarioRow } from './doctor-schema.ts';

type Exec = (argv: string[]) => Promise<string>;

/** `ip -j [-6] route show default` (iproute2 JSON): the first default route's device and gateway. */
export function linuxDefaultRoute(json: string): DoctorRoute {
  const routes = JSON.parse(json || '[]') as Array<{ dev?: string; gateway?: string }>;
  const r = routes[0];
  if (!r?.dev) return { reason: 'no default route' };
  return { interface: r.dev, ...(r.gateway ? { gateway: r.gateway } : {}) };
}

/** macOS `route -n get [-inet6] default` (route-get.darwin.ts). */
export function darwinDefaultRoute(text: string): DoctorRoute {
  const r = parseRouteGet(text);
  if (!r?.interface) return { reason: 'no default route' };
  return { interface: r.interface, ...(r.gateway ? { gateway: r.gateway } : {}) };
}

/** Both default routes; a command that fails (route exits 1 with "not in table") is "no default route". */
export async function defaultRoutes(
  platform: NodeJS.Platform,
  exec: Exec,
): Promise<{ ipv4: DoctorRoute; ipv6: DoctorRoute }> {
  const one = async (v6: boolean): Promise<DoctorRoute> => {
    try {
      if (platform === 'darwin') {
        return darwinDefaultRoute(await exec(['route', '-n', 'get', ...(v6 ? ['-inet6'] : []), 'default']));
      }
      return linuxDefaultRoute(await exec(['ip', '-j', ...(v6 ? ['-6'] : []), 'route', 'show', 'default']));
    } catch (err) {
      return { reason: `no default route (${(err as Error).message.split('\n')[0]})` };
    }
  };
  return { ipv4: await one(false), ipv6: await one(true) };
}

const FLAG_NAMES: Array<[keyof NetInterface['flags'], string]> = [
  ['up', 'up'],
  ['running', 'running'],
  ['loopback', 'loopback'],
  ['broadcast', 'broadcast'],
  ['multicast', 'multicast'],
  ['pointToPoint', 'point-to-point'],
];

export function interfaceRow(i: NetInterface): DoctorInterface {
  const why = notSegmentReason(i);
  return {
    name: i.name,
    index: i.index,
    type: i.type,
    flags: FLAG_NAMES.filter(([k]) => i.flags[k]).map(([, n]) => n),
    mtu: i.mtu,
    addresses: i.addresses.map((a) => `${a.address}/${a.prefixLength}`),
    segment: why === undefined,
    ...(why ? { notSegment: why } : {}),
  };
}

/** One launch context's quick probe as a row: per kind, refused (with errno) or not. */
export function contextRow(r: ContextRun): DoctorContextRow {
  return {
    context: r.context,
    detail: r.detail,
    ...(r.skipped ? { skipped: r.skipped } : {}),
    sends: r.skipped
      ? []
      : outcomes(r.events, undefined, []).map((o) => ({
          kind: o.kind,
          state: o.send,
          ...(o.code ? { code: o.code } : {}),
        })),
  };
}

/** Whether the profile's lab would come up here: the runner's own rule (harness/runner/run.ts). */
export function labPossible(profile: LoadedProfile, caps: Capabilities): { ok: boolean; reason: string } {
  return labCapability(profile, caps);
}

export interface PredictOptions {
  platform: 'linux' | 'darwin';
  allowHostNetwork: boolean;
}

/**
 * What `netconform run` would do with one scenario here, in the runner's order and words
 * (harness/runner/execute.ts whyNotRunnable), assuming a lab that can come up does.
 */
export function predictScenario(
  scenario: AnyScenario,
  profile: LoadedProfile,
  spec: { id: string; use: string },
  caps: Capabilities,
  o: PredictOptions,
): DoctorScenarioRow {
  const row = (runs: boolean, reason: string): DoctorScenarioRow => ({ id: spec.id, use: spec.use, runs, reason });
  if (!scenario.platforms.includes(o.platform)) {
    const note = scenario.platformNote ? `${scenario.platformNote}: ` : '';
    return row(false, `${note}${scenario.id} runs on ${scenario.platforms.join(', ')}; this is ${o.platform}`);
  }
  const req = profile.profile.requires;
  if (req?.platforms?.length && !req.platforms.includes(o.platform)) {
    const name = profile.profile.profile;
    return row(false, `profile ${name} requires ${req.platforms.join(' or ')}; this is ${o.platform}`);
  }
  const lab = labPossible(profile, caps);
  const profileCaps: Capabilities = { ...caps, lab };
  const profileNeeds = [...((req?.capabilities ?? []) as Capability[]), ...(req?.privileges ?? [])];
  const needs = [...new Set([...scenario.requires, ...profileNeeds])];
  const missing = needs.filter((r) => !profileCaps[r].ok).map((r) => profileCaps[r].reason);
  if (missing.length) return row(false, `cannot run here: ${missing.join('; ')}`);
  const labUp = profile.profile.lab !== undefined && lab.ok;
  if (profile.profile.lab && !labUp && scenario.sendsOnHostNetwork) {
    return row(false, `cannot run here: the profile's lab is not up: ${lab.reason}`);
  }
  if (scenario.sendsOnHostNetwork && !labUp && !o.allowHostNetwork) {
    const why = "would send on this host's real interfaces (no lab): refusing without --allow-host-network";
    return row(false, `${scenario.id} ${why}`);
  }
  if (labUp) return row(true, "runs in the profile's lab");
  if (scenario.sendsOnHostNetwork) return row(true, "runs on this host's interfaces (--allow-host-network)");
  return row(true, 'runs on this host');
}
