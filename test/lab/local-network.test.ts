// A host's localNetwork policy applies to its own programs only, and the wire proves it: a
// tcpdump witness in the segment's switch namespace sees what left the host under each policy.
// denied → EHOSTUNREACH for every local send and TCP connect, nothing on the wire; silent →
// every send says ok, nothing on the wire; allowed → all of it arrives. Loopback, receiving and
// the harness's own processes in the same namespace are never affected. Root.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bringUpLab, newRunId } from '../../harness/lab/index.ts';
import { cgroup2Mount } from '../../harness/lab/local-network.ts';
import type { Lab, LocalNetworkPolicy } from '../../harness/lab/types.ts';
import { probeCapabilities } from '../../harness/runner/capabilities.ts';
import { argvInCgroup, spawnManaged } from '../../harness/process/spawn.ts';
import { startWitness, type Witness } from '../suites/helpers-net/witness.ts';
import { segmentNetns } from '../../harness/lab/names.ts';
import { FIXTURES, isolateState, labNeed, snapshot } from './helpers.ts';

const SEND = join(FIXTURES, 'lnp-send.mjs');
const UDP = join(FIXTURES, 'udp.mjs');
const PORT = 47990;
const KINDS = ['unicast', 'broadcast', 'multicast4', 'multicast6'];

// Beyond a lab: the 'lnp' capability (cgroup v2 + BPF), probed as the runner does.
const caps = labNeed.ok ? await probeCapabilities() : undefined;
const skip = !labNeed.ok ? labNeed.reason : !caps!.lnp.ok ? caps!.lnp.reason : undefined;

describe.skipIf(skip !== undefined)(`local network policies in a lab${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let witness: Witness;
  const runId = newRunId();
  isolateState();
  beforeAll(async () => {
    lab = await bringUpLab(
      {
        segments: { a: {} },
        hosts: {
          dut: { links: [{ segment: 'a' }], defaultRoute: 'a', localNetwork: 'denied' },
          peer: { links: [{ segment: 'a' }] },
        },
      },
      { runId, log: () => {} },
    );
    witness = await startWitness(segmentNetns(runId, 'a'), `udp port ${PORT} or tcp port ${PORT}`);
  });
  afterAll(async () => {
    await witness?.stop();
    await lab?.down();
    expect(snapshot(runId).netns).toEqual([]);
    // The host's cgroup goes with the lab.
    expect(existsSync(join(cgroup2Mount()!, `nc-${runId}-dut`))).toBe(false);
  });

  /** Runs the sender in dut, as one of its own programs (app) or as a harness instrument. */
  async function sendFromDut(token: string, app: boolean): Promise<Record<string, string>> {
    const i = lab.host('dut').iface('a');
    const p = lab
      .host('dut')
      .spawn(
        [
          process.execPath,
          SEND,
          token,
          lab.host('peer').iface('a').ipv4!.address,
          i.ipv4!.broadcast,
          i.ipv4!.address,
          i.name,
          String(PORT),
        ],
        { app },
      );
    await p.exited;
    const line = p.output.find((l) => l.startsWith('[stdout] {'));
    if (!line) throw new Error(`sender printed: ${p.output.join(' | ')}`);
    return JSON.parse(line.slice(9)) as Record<string, string>;
  }

  /** Kinds of this token's datagrams the witness saw cross the segment. */
  async function onWire(token: string): Promise<string[]> {
    await new Promise((r) => setTimeout(r, 300)); // tcpdump -l flushes per packet; let the last one arrive
    return KINDS.filter((k) => witness.packets.some((p) => p.payload.includes(`LNPW ${token} ${k}`)));
  }

  const cases: Array<[LocalNetworkPolicy, string, string[]]> = [
    ['denied', 'EHOSTUNREACH', []],
    ['silent', 'ok', []],
    ['allowed', 'ok', KINDS],
  ];
  for (const [policy, sendResult, wire] of cases) {
    it(`${policy}: sends → ${sendResult}, on the wire: ${wire.length ? wire.join(', ') : 'nothing'}; loopback works`, async () => {
      await lab.setLocalNetwork('dut', policy);
      expect(lab.host('dut').localNetwork()).toBe(policy);
      const token = `${policy}-${runId}`;
      const got = await sendFromDut(token, true);
      expect(Object.fromEntries(KINDS.map((k) => [k, got[k]]))).toEqual(
        Object.fromEntries(KINDS.map((k) => [k, sendResult])),
      );
      expect(got.loopback).toBe('ok');
      // TCP: denied refuses the connect at once (macOS: EHOSTUNREACH); silent lets the SYN vanish.
      expect(got.tcp).toBe(policy === 'denied' ? 'EHOSTUNREACH' : policy === 'silent' ? 'ETIMEDOUT' : 'ECONNREFUSED');
      expect(await onWire(token)).toEqual(wire);
    });
  }

  it("the harness's own processes in the same host are not affected (denied applies to its programs only)", async () => {
    await lab.lnpDeny('dut');
    const token = `instrument-${runId}`;
    const got = await sendFromDut(token, false);
    expect(Object.fromEntries(KINDS.map((k) => [k, got[k]]))).toEqual(Object.fromEntries(KINDS.map((k) => [k, 'ok'])));
    expect(await onWire(token)).toEqual(KINDS);
  });

  it("receiving keeps working under denied and silent (a peer reaches the host's program)", async () => {
    for (const how of ['denied', 'silent'] as const) {
      await lab.lnpDeny('dut', how);
      const rx = lab
        .host('dut')
        .spawn([process.execPath, UDP, 'recv', '0.0.0.0', String(PORT + 1), '1500'], { app: true });
      while (!rx.output.includes('[stdout] ready') && rx.running()) await new Promise((r) => setTimeout(r, 10));
      const tx = lab
        .host('peer')
        .spawn([
          process.execPath,
          UDP,
          'send',
          lab.host('dut').iface('a').ipv4!.address,
          String(PORT + 1),
          `to-dut-${how}`,
        ]);
      await tx.exited;
      await rx.exited;
      expect(rx.output.filter((l) => l.includes(`to-dut-${how}`)).length).toBeGreaterThan(0);
    }
    await lab.lnpGrant('dut');
    expect(lab.host('dut').localNetwork()).toBe('allowed');
  });
});

describe("joining a host program's cgroup", () => {
  it('a program whose cgroup cannot be joined never runs (fails closed, never unconfined)', async () => {
    const p = spawnManaged(['/bin/echo', 'ran'], { cgroup: '/nonexistent-netconform-cgroup' });
    const exit = await p.exited;
    expect(exit.code).not.toBe(0);
    expect(p.output).not.toContain('[stdout] ran');
  });
  it("argv reaches the program as is, never through the shell's parser", async () => {
    const argv = argvInCgroup('/x', undefined, ['/bin/echo', '$HOME; rm -rf /', '"q"']);
    expect(argv.slice(-3)).toEqual(['/bin/echo', '$HOME; rm -rf /', '"q"']);
    expect(argvInCgroup('/x', 'nc-abcde-h', ['prog']).slice(-5)).toEqual(['ip', 'netns', 'exec', 'nc-abcde-h', 'prog']);
  });
});
