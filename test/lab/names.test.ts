// A lab host resolves the lab's names through its own resolver (getaddrinfo reading the
// /etc/hosts `ip netns exec` mounts), and a host that opts in has its own /run and /tmp.
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { bringUpLab, newRunId } from '../../harness/lab/index.ts';
import { etcDirOf, hostsText, nameProblem } from '../../harness/lab/host-files.ts';
import { buildModel } from '../../harness/lab/model.ts';
import { checkLabSpec, type LabSpec } from '../../harness/lab/schema.ts';
import type { Lab } from '../../harness/lab/types.ts';
import { PRIVATE_ROOT, netnsExecArgv, privateDirOf } from '../../harness/process/netns-exec.ts';
import { isolateState, labNeed } from './helpers.ts';
import { cgroup2Mount } from '../../harness/lab/local-network.ts';

const spec: LabSpec = {
  segments: { 'lan-a': {}, 'lan-b': {} },
  hosts: {
    client: { links: [{ segment: 'lan-a' }] },
    server: { links: [{ segment: 'lan-a' }, { segment: 'lan-b' }], private: ['run', 'tmp'] },
    far: { links: [{ segment: 'lan-b' }] },
  },
  names: { 'api.example.test': 'server' },
};

/** `getent ahosts NAME` in a host: the addresses getaddrinfo returned, in its order. */
async function ahosts(lab: Lab, host: string, name: string): Promise<string[]> {
  const out = await lab
    .host(host)
    .exec(['getent', 'ahosts', name])
    .catch(() => ({ stdout: '' }));
  return [
    ...new Set(
      out.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]!),
    ),
  ];
}

describe('lab names and private folders: the pure parts', () => {
  const m = buildModel(spec, 'abcde');
  const text = (viewer: string): string => hostsText(m, m.hosts.get(viewer)!, new Map(Object.entries(spec.names!)));

  it('a host sees another host by its addresses on the segments they share, its own name by all of them', () => {
    const client = text('client');
    expect(client).toContain('198.18.1.2\tserver');
    expect(client).not.toContain('198.18.2.2\tserver'); // lan-b: the client is not on it
    expect(client).toContain('198.18.1.2\tapi.example.test');
    expect(client).toMatch(/^2001:2:0:1::2\tserver$/m);
    const server = text('server');
    expect(server).toContain('198.18.1.2\tserver');
    expect(server).toContain('198.18.2.2\tserver');
    // No shared segment: every address (the product's routing decides).
    expect(text('client')).toContain('198.18.2.3\tfar');
    expect(client.split('\n').slice(1, 3)).toEqual([
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
    ]);
  });

  it('a name must be a host name, its target a host or an address inside the lab ranges', () => {
    expect(nameProblem(m, 'ok.example.test', 'server')).toBeUndefined();
    expect(nameProblem(m, 'ok.example.test', '198.18.1.200')).toBeUndefined();
    expect(nameProblem(m, 'ok.example.test', '2001:2:0:1::99')).toBeUndefined();
    expect(nameProblem(m, 'bad name', 'server')).toMatch(/is not a host name/);
    expect(nameProblem(m, 'x\n10.0.0.1 evil', 'server')).toMatch(/is not a host name/);
    expect(nameProblem(m, 'ok.test', '10.0.0.1')).toBe("10.0.0.1 is outside 198.18.0.0/15, the lab's IPv4 range");
    expect(nameProblem(m, 'far', 'server')).toBe('far is already the name of a lab host');
    expect(nameProblem(m, 'ok.test', 'nobody')).toMatch(
      /neither a host of this lab \(client, server, far\) nor an address/,
    );
  });

  it('checkLabSpec names a lab.names entry that points at no host', () => {
    expect(checkLabSpec({ ...spec, names: { 'a.test': 'srv' } })).toEqual([
      { path: ['names', 'a.test'], message: 'name a.test points at unknown host "srv" (hosts: client, server, far)' },
    ]);
    expect(checkLabSpec({ ...spec, names: { client: 'server' } })).toEqual([
      { path: ['names', 'client'], message: 'client is already the name of a lab host' },
    ]);
  });

  it('a host without private folders is entered by a plain ip netns exec', () => {
    expect(netnsExecArgv('nc-zzzzz-none', ['true'])).toEqual(['ip', 'netns', 'exec', 'nc-zzzzz-none', 'true']);
  });
});

describe.skipIf(!labNeed.ok)(labNeed.title('lab names and private folders in a real lab'), () => {
  isolateState();
  const labs: Lab[] = [];
  afterAll(async () => {
    await Promise.all(labs.map((l) => l.down()));
  });

  it('getaddrinfo in a host resolves hosts and lab.names; later names and addresses reach running ones', async () => {
    const lab = await bringUpLab(spec, { runId: newRunId(), log: () => {} });
    labs.push(lab);
    const serverA = lab.host('server').iface('lan-a');
    const serverB = lab.host('server').iface('lan-b');
    const wanted = [serverA.ipv4!.address, serverA.ipv6!.address];
    expect((await ahosts(lab, 'client', 'server')).sort()).toEqual([...wanted].sort());
    expect((await ahosts(lab, 'client', 'api.example.test')).sort()).toEqual([...wanted].sort());
    expect(await ahosts(lab, 'far', 'api.example.test')).toContain(serverB.ipv4!.address);
    expect(await ahosts(lab, 'client', 'far')).toContain(lab.host('far').iface('lan-b').ipv4!.address);
    expect(await ahosts(lab, 'client', 'localhost')).toContain('127.0.0.1');
    // Node's dns.lookup is getaddrinfo too: what a product written in Node would get.
    const js = 'require("dns").lookup("api.example.test",{family:4},(e,a)=>{if(e)throw e;console.log(a)})';
    expect((await lab.host('client').exec([process.execPath, '-e', js])).stdout.trim()).toBe(serverA.ipv4!.address);

    // A program that started before the name existed resolves it once it is added.
    const poll = 'for i in $(seq 100); do getent ahostsv4 late.example.test && exit 0; sleep 0.05; done; exit 1';
    const waiter = lab.host('client').spawn(['/bin/sh', '-c', poll]);
    lab.addNames({ 'late.example.test': 'far' });
    expect((await waiter.exited).code).toBe(0);
    expect(waiter.output.join('\n')).toContain(`${lab.host('far').iface('lan-b').ipv4!.address} `);
    lab.removeNames(['late.example.test']);
    expect(await ahosts(lab, 'client', 'late.example.test')).toEqual([]);
    expect(() => lab.addNames({ 'x.test': '8.8.8.8' })).toThrow(/outside 198\.18\.0\.0\/15/);

    const moved = `${serverA.ipv4!.address.split('.').slice(0, 3).join('.')}.77`;
    await lab.setAddress('server', 'lan-a', `${moved}/24`);
    expect(await ahosts(lab, 'client', 'api.example.test')).toContain(moved);
    expect(await ahosts(lab, 'client', 'api.example.test')).not.toContain(serverA.ipv4!.address);
  }, 60_000);

  it('private: [run, tmp] gives a host an empty /run and /tmp, shared by its programs, seen nowhere else', async () => {
    const lab = await bringUpLab(spec, { runId: newRunId(), log: () => {} });
    labs.push(lab);
    const server = lab.host('server');
    const ns = server.netns;
    expect((await server.exec(['ls', '-A', '/run', '/tmp'])).stdout.trim()).toBe('/run:\n\n/tmp:');
    await server.exec(['/bin/sh', '-c', 'echo $$ > /run/daemon.pid && touch /tmp/daemon.sock']);
    // Another program in the same host sees them (a daemon and its control client).
    const p = server.spawn(['/bin/sh', '-c', 'ls -A /run /tmp']);
    await p.exited;
    expect(p.output).toEqual([
      '[stdout] /run:',
      '[stdout] daemon.pid',
      '[stdout] ',
      '[stdout] /tmp:',
      '[stdout] daemon.sock',
    ]);
    expect(readdirSync(privateDirOf(ns, 'run'))).toEqual(['daemon.pid']);
    // The host's own programs (a SUT) start through its cgroup first, then the same mounts.
    if (cgroup2Mount()) {
      const app = server.spawn(['/bin/ls', '-A', '/run'], { app: true });
      await app.exited;
      expect(app.output).toEqual(['[stdout] daemon.pid']);
    }
    // Nowhere else: not in this namespace's /run, not in a host without `private`.
    expect(existsSync('/run/daemon.pid') || existsSync('/tmp/daemon.sock')).toBe(false);
    expect((await lab.host('client').exec(['ls', '/run/netns'])).stdout).toContain(ns);
    await lab.down();
    expect(existsSync(etcDirOf(ns))).toBe(false);
    expect(existsSync(`${PRIVATE_ROOT}/${ns}`)).toBe(false);
    expect(existsSync(etcDirOf(lab.host('client').netns))).toBe(false);
  }, 60_000);
});
