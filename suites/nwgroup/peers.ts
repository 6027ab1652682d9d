/**
 * nwgroup.peers: Network framework NWConnectionGroup peers side by side with BSD-socket peers
 * on one host, in one multicast group. Evidence: the group state timeline, each NW send's
 * completion beside what a BSD witness joined on the same interface heard, and the delivery
 * matrix NW→BSD, BSD→NW, NW→NW, BSD→BSD after a warm-up. The failure this exists for: the
 * framework completes every send while nothing is transmitted (local network privacy on
 * macOS 15, Apple TN3179; or a group bound to the wrong interface).
 * macOS only (host mode, --allow-host-network); the logic is tested on Linux with a fake driver.
 */
import { check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { assertSafeDestination } from '../../harness/net/safety.ts';
import { runExchange } from './lib/exchange.ts';
import { hostPeerFactory } from './lib/host-peers.ts';
import { judgeDirections, judgeNwSendsTransmit, judgeReady } from './lib/judge.ts';
import { PeersExpect, PeersWith } from './lib/params.ts';

export default defineScenario<PeersWith, PeersExpect>({
  id: 'nwgroup.peers',
  summary:
    'NWConnectionGroup and BSD multicast peers on one host: group states, NW send completions vs a BSD witness, delivery by direction',
  platforms: ['darwin'],
  platformNote: 'Network framework is macOS-only',
  requires: ['addon'],
  sendsOnHostNetwork: true,
  withSchema: PeersWith,
  expectSchema: PeersExpect,
  defaultTimeoutMs: 60_000,
  async run(ctx, { with: w, expect: e }, signal) {
    const names = ['every group reaches ready', 'NW send completions reach the witness', 'delivery by direction'];
    const factory = hostPeerFactory(ctx);
    const nwProblem = factory.nwUnavailable();
    if (nwProblem && w.peers.includes('nw')) return names.map((n) => check.skip(n, nwProblem));
    const iface = factory.bsdInterface(w.interface);
    if ('problem' in iface) return names.map((n) => check.skip(n, iface.problem));
    assertSafeDestination(w.group, { where: ctx.lab ? 'lab' : 'host', allowHostNetwork: ctx.allowHostNetwork });
    ctx.log(`group ${w.group}:${w.port} on ${iface.name}; peers ${w.peers.join(', ')} + a BSD witness`);
    const x = await runExchange(
      factory,
      {
        kinds: w.peers,
        opts: { group: w.group, port: w.port, iface: w.interface, ttl: w.ttl },
        rounds: w.rounds,
        intervalMs: w.intervalMs,
        settleMs: w.settleMs,
        readyTimeoutMs: w.readyTimeoutMs,
      },
      iface.name,
      signal,
    );
    const ex = { warmup: w.warmup, maxLossPercent: e.maxLossPercent };
    return [judgeReady(x, w.readyTimeoutMs), judgeNwSendsTransmit(x, ex), judgeDirections(x, ex)];
  },
});
