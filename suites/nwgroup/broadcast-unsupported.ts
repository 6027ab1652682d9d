/**
 * nwgroup.broadcast-unsupported: documents by test that Network framework cannot send IPv4
 * broadcast — a group descriptor takes a multicast group (nw_group_descriptor_create_multicast,
 * Apple "Network > Connection Groups"), so a product that needs broadcast (DHCP-style
 * discovery, many IoT protocols) must keep a BSD socket with SO_BROADCAST. Nothing is sent:
 * if this macOS accepted the broadcast address as a group, the check is skipped saying so.
 */
import { check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { hostPeerFactory } from './lib/host-peers.ts';
import { stateTimeline } from './lib/judge.ts';
import { openNwPeer } from './lib/nw-peer.ts';
import { BroadcastWith, NoExpect } from './lib/params.ts';

const NAME = 'an NW group refuses IPv4 broadcast';

export default defineScenario<BroadcastWith, NoExpect>({
  id: 'nwgroup.broadcast-unsupported',
  summary: 'Network framework cannot use 255.255.255.255 as a group: broadcast needs BSD sockets',
  platforms: ['darwin'],
  platformNote: 'Network framework is macOS-only',
  requires: ['addon'],
  sendsOnHostNetwork: false,
  withSchema: BroadcastWith,
  expectSchema: NoExpect,
  defaultTimeoutMs: 30_000,
  async run(ctx, { with: w }, signal) {
    const problem = hostPeerFactory(ctx).nwUnavailable();
    if (problem) return [check.skip(NAME, problem)];
    const started = performance.now();
    const peer = openNwPeer('broadcast', { group: w.address, port: w.port, iface: undefined, ttl: 1 }, () =>
      Math.round(performance.now() - started),
    );
    try {
      const state = await peer.settle(w.readyTimeoutMs, signal);
      const last = peer.states().at(-1);
      const ev = [
        stateTimeline({
          peers: [],
          witness: { id: 'broadcast', kind: 'nw', settled: state, states: peer.states(), sends: [] },
          witnessIface: '',
          receptions: [],
          rounds: 0,
        }),
      ];
      const why = last?.error ? ` (${last.error})` : '';
      if (state === 'failed' || state === 'cancelled') {
        return [
          check.pass(
            NAME,
            `Network framework refused ${w.address} as a group${why}: a product that needs IPv4 broadcast must use a BSD socket with SO_BROADCAST`,
            ev,
          ),
        ];
      }
      if (state === 'ready')
        return [
          check.skip(
            NAME,
            `this macOS accepted ${w.address} as a group (ready); netconform sends no broadcast on a host network to look further`,
            ev,
          ),
        ];
      return [
        check.skip(
          NAME,
          `the group stayed ${state} for ${w.readyTimeoutMs} ms: cannot tell a broadcast refusal from another cause (no usable path, local network privacy)`,
          ev,
        ),
      ];
    } finally {
      await peer.close();
    }
  },
});
