/**
 * The lnp probe agent: a small program that stands for "an app on this host". It receives a
 * plan (JSON in argv[2]), binds its receive sockets, prints `listening`, sends each step
 * `count` times with node's dgram (an ordinary app's BSD sockets), listens for `receiveMs`
 * and prints one JSON line per fact (plan.ts). It runs wherever the OS decides local network
 * access per process: in a lab host's cgroup under its localNetwork policy, or on macOS as a
 * child of the harness, a LaunchAgent, or root through sudo (launch-context.darwin.ts).
 * Only node built-ins and plan.ts: it must start in any of those contexts.
 */
import dgram from 'node:dgram';
import {
  payloadFor,
  type AgentEvent,
  type AgentPlan,
  type ReceiveStep,
  type SendStep,
  type TrafficKind,
} from './plan.ts';

const emit = (e: AgentEvent): void => void process.stdout.write(`${JSON.stringify(e)}\n`);
const errCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String((e as Error).message);

function bound(type: 'udp4' | 'udp6', port: number, address: string | undefined): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, reuseAddr: true });
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

async function openReceiver(r: ReceiveStep, sockets: dgram.Socket[]): Promise<void> {
  const v6 = r.kind === 'multicast6';
  const s = await bound(v6 ? 'udp6' : 'udp4', r.port, v6 ? '::' : '0.0.0.0');
  sockets.push(s);
  if (r.group) s.addMembership(r.group, v6 ? `::%${r.ifname ?? ''}` : r.ifaceV4);
  s.on('message', (_m, rinfo) => emit({ event: 'recv', kind: r.kind, from: rinfo.address }));
}

async function sendStep(step: SendStep, plan: AgentPlan, token: string): Promise<void> {
  const v6 = step.kind === 'multicast6' || step.address.includes(':');
  let s: dgram.Socket | undefined;
  let sent = 0;
  try {
    s = await bound(v6 ? 'udp6' : 'udp4', 0, undefined);
    if (step.kind === 'broadcast') s.setBroadcast(true);
    if (step.kind === 'multicast4' && step.ifaceV4) s.setMulticastInterface(step.ifaceV4);
    if (step.kind === 'multicast6' && step.ifname) s.setMulticastInterface(`::%${step.ifname}`);
    for (let n = 0; n < plan.count; n++) {
      const sock = s;
      await new Promise<void>((resolve, reject) =>
        sock.send(payloadFor(token, step.kind, n, 'agent'), step.port, step.address, (e) =>
          e ? reject(e) : resolve(),
        ),
      );
      sent++;
      await new Promise((r) => setTimeout(r, 20));
    }
    emit({ event: 'send', kind: step.kind, sent });
  } catch (e) {
    emit({ event: 'send', kind: step.kind, sent, code: errCode(e) });
  } finally {
    s?.close();
  }
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '{}') as AgentPlan;
  if (!Array.isArray(plan.sends) || !Array.isArray(plan.receives) || typeof plan.token !== 'string') {
    process.stderr.write('usage: agent.ts <plan JSON> (suites/lnp/lib/plan.ts)\n');
    process.exit(2);
  }
  const count = Math.min(Math.max(1, plan.count | 0), 20);
  const sockets: dgram.Socket[] = [];
  const listening: TrafficKind[] = [];
  for (const r of plan.receives) {
    try {
      await openReceiver(r, sockets);
      listening.push(r.kind);
    } catch (e) {
      emit({ event: 'bind-error', kind: r.kind, code: errCode(e) });
    }
  }
  emit({ event: 'listening', kinds: listening });
  for (const step of plan.sends) await sendStep(step, { ...plan, count }, plan.token);
  await new Promise((r) => setTimeout(r, Math.min(Math.max(0, plan.receiveMs), 30_000)));
  for (const s of sockets) s.close();
  emit({ event: 'done', uid: process.getuid?.() ?? -1 });
}

void main();
