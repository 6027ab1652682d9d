/**
 * The CLI's smaller commands and texts: `list <scenario>` with its parameters, `agent` (the peer
 * agent as a command), `schema --out`, help texts without doubled defaults, and what the package
 * ships (LICENSE, profiles' modelines, the Linux CI template's packages).
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bin, cli, repoRoot, tempOut } from './helpers/cli.ts';

describe('netconform list <scenario>', () => {
  it('shows each parameter with its type, default and description', async () => {
    const r = await cli(['list', 'keepalive.honoured']);
    expect(r.exitCode, r.all).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^keepalive\.honoured: TCP keepalive/);
    expect(lines).toContain('    strategy  kernel-keepalive | node-keepalive | sut  (default "kernel-keepalive")');
    expect(lines).toContain('    keepalive.idleSec  integer 1…7200  (default 1)');
    expect(lines[lines.indexOf('    keepalive.idleSec  integer 1…7200  (default 1)') + 1]).toBe(
      '        TCP_KEEPIDLE: seconds without traffic before the first probe',
    );
    expect(r.stdout).toMatch(/ {2}expect:\n {4}toleranceMs {2}number 0…\d+ {2}\(default 500\)/);
    const json = await cli(['list', 'keepalive.honoured', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      use: 'keepalive.honoured',
      with: expect.arrayContaining([
        {
          name: 'port',
          type: 'integer 1…65535',
          default: '4501',
          required: false,
          description: 'TCP port the gateway listens on in its lab host',
        },
      ]),
    });
  }, 120_000);

  it('an unknown scenario is exit 2 with a suggestion', async () => {
    const r = await cli(['list', 'keepalive.honord']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('list: unknown scenario "keepalive.honord" (did you mean keepalive.honoured?)');
  }, 60_000);
});

describe('netconform agent', () => {
  it('answers hello with its name on the control port, and stops on SIGTERM', async () => {
    const agent = execa('node', [bin, 'agent', '--name', 'peer-x', '--port', '0'], {
      cwd: repoRoot,
      reject: false,
      all: true,
      timeout: 60_000,
    });
    // The first line names the port; execa's line iterator would wait for the process's end when left.
    const port = await new Promise<number>((resolve, reject) => {
      let seen = '';
      agent.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const m =
          /^netconform: peer agent peer-x listening on 0\.0\.0\.0:(\d+) \(multicast sends refused without --allow-host-network\)$/m.exec(
            seen,
          );
        if (m) resolve(Number(m[1]));
      });
      void agent.then((x) => reject(new Error(`the agent ended first: ${x.all}`)));
    });
    expect(port).toBeGreaterThan(0);
    const client = createSocket('udp4');
    try {
      const reply = once(client, 'message') as Promise<[Buffer]>;
      client.send(JSON.stringify({ op: 'hello', id: 'h1' }), port, '127.0.0.1');
      const [data] = await reply;
      expect(JSON.parse(data.toString())).toMatchObject({
        op: 'hello',
        id: 'h1',
        name: 'peer-x',
        facing: { name: 'lo' },
      });
    } finally {
      client.close();
    }
    agent.kill('SIGTERM');
    const done = await agent;
    expect(done.exitCode, done.all).toBe(0);
    expect(done.stdout).toContain('netconform: peer agent peer-x stopped');
  }, 90_000);

  it('refuses a bad port with exit 2', async () => {
    const r = await cli(['agent', '--port', '70000']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('agent --port must be a UDP port from 0 to 65535, got "70000"');
  }, 60_000);
});

describe('schema, help, and what ships', () => {
  it('schema --out writes the published schema to a file', async () => {
    const file = join(await tempOut(), 'netconform.schema.json');
    const r = await cli(['schema', '--out', file], { env: { NETCONFORM_EXTRA_SUITES: '' } });
    expect(r.exitCode, r.all).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(
      await readFile(join(repoRoot, 'profiles/netconform.schema.json'), 'utf8'),
    );
  }, 60_000);

  it('no help text prints a default twice or "(default: [])"', async () => {
    for (const cmd of [['run'], ['merge'], ['list'], ['schema'], ['agent'], ['validate']]) {
      const r = await cli([...cmd, '--help']);
      const text = r.stdout.replace(/\s+/g, ' ');
      expect(text, cmd[0]).not.toContain('(default: [])');
      expect(text, cmd[0]).not.toMatch(/default: [^()]*\) \(default:/);
    }
  }, 120_000);

  it('ships a LICENSE; every shipped profile starts with the schema modeline; smoke.yaml is not "the default profile"', async () => {
    const pack = await execa('npm', ['pack', '--dry-run', '--json'], { cwd: repoRoot, stdin: 'ignore' });
    const files = (JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(await readFile(join(repoRoot, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const profiles = (await readdir(join(repoRoot, 'profiles'))).filter((f) => f.endsWith('.yaml'));
    for (const f of profiles)
      expect((await readFile(join(repoRoot, 'profiles', f), 'utf8')).split('\n')[0], f).toBe(
        '# yaml-language-server: $schema=./netconform.schema.json',
      );
    expect(await readFile(join(repoRoot, 'profiles/smoke.yaml'), 'utf8')).not.toMatch(/default profile/i);
  }, 120_000);

  it('the Linux CI template installs tcpdump where the lab runs (captures and peers need it)', async () => {
    const yml = await readFile(join(repoRoot, 'ci/github-actions-linux.yml'), 'utf8');
    const conformance = yml.slice(0, yml.indexOf('\n  merge:'));
    expect(conformance).toMatch(/apt-get install -y [^\n]*\btcpdump\b/);
  });
});
