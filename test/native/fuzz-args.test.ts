/**
 * The addon turns every JS exception raised while it reads its arguments into a JS error:
 * no abort (exit 134, "terminate called after throwing an instance of 'Napi::Error'"), no
 * crash. Hostile calls run in child processes (test/native/fuzz-args.mjs), so an abort is a
 * failed test rather than a dead test runner. Loopback only.
 */
import { execa } from 'execa';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonStatus } from '../../native/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const built = addonStatus().loaded;

async function inChild(
  script: string,
  nodeArgs: string[] = [],
): Promise<{ exitCode: number | undefined; signal: string | undefined; stdout: string; stderr: string }> {
  const r = await execa('node', [...nodeArgs, '--input-type=module', '-e', script], {
    cwd: repoRoot,
    reject: false,
    timeout: 60_000,
  });
  return { exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)('addon argument handling (child processes)', () => {
  it('sendBatch over 1024 items with a throwing getter throws that error in JS, no abort', async () => {
    const r = await inChild(`
      import { createRequire } from 'node:module';
      const b = createRequire(process.cwd() + '/')('node-gyp-build')(process.cwd() + '/native');
      const s = new b.UdpSocket(4, false, false, false);
      for (const key of ['data', 'address', 'port']) {
        const items = Array.from({ length: 1100 }, () => ({ data: Buffer.from('x'), address: '127.0.0.1', port: 9 }));
        Object.defineProperty(items[1050], key, { get() { throw new Error('getter of ' + key); } });
        try { s.sendBatch(items); console.log('returned'); } catch (e) { console.log('caught: ' + e.message); }
      }
      const trap = new Proxy({}, { get() { throw new RangeError('proxy trap'); } });
      try { s.sendBatch([trap]); } catch (e) { console.log('caught: ' + e.constructor.name + ' ' + e.message); }
      const sparse = []; sparse.length = 2 ** 32 - 1;
      try { s.sendBatch(sparse); } catch (e) { console.log('caught: ' + e.constructor.name); }
      s.close();
    `);
    expect(r.stderr).not.toContain('terminate called');
    expect({ exitCode: r.exitCode, signal: r.signal }).toEqual({ exitCode: 0, signal: undefined });
    expect(r.stdout.split('\n')).toEqual([
      'caught: getter of data',
      'caught: getter of address',
      'caught: getter of port',
      'caught: RangeError proxy trap',
      'caught: RangeError',
    ]);
  });

  it("a getter that detaches an earlier item's buffer cannot make sendBatch read freed memory", async () => {
    const r = await inChild(`
      import { createRequire } from 'node:module';
      const b = createRequire(process.cwd() + '/')('node-gyp-build')(process.cwd() + '/native');
      const rx = new b.UdpSocket(4, false, false, false); rx.bind('127.0.0.1', 0);
      const port = rx.address().port;
      const s = new b.UdpSocket(4, false, false, false);
      const first = new Uint8Array(new ArrayBuffer(4096)).fill(7);
      const items = Array.from({ length: 1100 }, () => ({ data: Buffer.from('x'), address: '127.0.0.1', port }));
      items[0] = { data: first, address: '127.0.0.1', port };
      Object.defineProperty(items[1], 'data', { get() { structuredClone(first.buffer, { transfer: [first.buffer] }); return Buffer.from('y'); } });
      console.log(s.sendBatch(items), first.byteLength);
      rx.close(); s.close();
    `);
    expect(r.stderr).toBe('');
    // Every datagram went (the detached one as an empty payload), read after the last getter ran.
    expect(r.stdout).toBe('1100 0');
  });

  it("sendBatch re-entered from a getter on the same socket sends each call's own payloads", async () => {
    const r = await inChild(
      `
      import { createUdpSocket } from './native/index.ts';
      const rx = createUdpSocket({ family: 4 }); rx.bind('127.0.0.1', 0); rx.setBufferSizes(16 << 20, 0);
      const port = rx.address().port;
      const got = [];
      rx.on('message', (d) => got.push(d.data.toString()));
      rx.startReceiving();
      const tx = createUdpSocket({ family: 4 });
      const items = (tag, n, len) => Array.from({ length: n }, (_, i) => ({ data: Buffer.from((tag + i).padEnd(len, '.')), address: '127.0.0.1', port }));
      const report = [];
      for (const [k, [outerN, innerN, at]] of [[3, 2, 1], [1100, 1100, 1050], [1100, 3, 1050]].entries()) {
        const outer = items('outer' + k + '-', outerN, 10);
        const own = outer[at].data;
        Object.defineProperty(outer[at], 'data', { get() { tx.sendBatch(items('inner' + k + '-', innerN, 4000)); return own; } });
        try { report.push(tx.sendBatch(outer)); } catch (e) { report.push(e.message); }
      }
      await new Promise((res) => setTimeout(res, 500));
      const count = (prefix) => got.filter((p) => p.startsWith(prefix)).length;
      const intact = got.every((p) => /^(outer|inner)\\d+-\\d+\\.*$/.test(p));
      console.log(JSON.stringify({ report, outer: [0, 1, 2].map((k) => count('outer' + k + '-')), inner: [0, 1, 2].map((k) => count('inner' + k + '-')), intact, distinct: new Set(got).size === got.length }));
      rx.close(); tx.close();
    `,
      ['--import', 'tsx'],
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      report: [3, 1100, 1100],
      outer: [3, 1100, 1100],
      inner: [2, 1100, 3],
      intact: true,
      distinct: true,
    });
  });

  it.each([1, 2, 3])(
    're-entry fuzz seed %i: nested sendBatch calls each send exactly their own datagrams',
    async (seed) => {
      const r = await execa('node', ['--import', 'tsx', 'test/native/fuzz-reentry.ts', String(seed), '20'], {
        cwd: repoRoot,
        reject: false,
        timeout: 120_000,
      });
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
      const out = JSON.parse(r.stdout) as {
        calls: number;
        reentered: number;
        datagrams: number;
        missing: number;
        foreign: number;
        duplicated: number;
        wrongCounts: string[];
      };
      expect(out.reentered).toBeGreaterThan(10);
      expect(out.datagrams).toBeGreaterThan(5000);
      expect({
        missing: out.missing,
        foreign: out.foreign,
        duplicated: out.duplicated,
        wrongCounts: out.wrongCounts,
      }).toEqual({ missing: 0, foreign: 0, duplicated: 0, wrongCounts: [] });
    },
  );

  it.each([1, 2, 3, 4])('fuzz seed %i: 2000 hostile calls return or throw a JS error, none aborts', async (seed) => {
    const r = await execa('node', ['test/native/fuzz-args.mjs', String(seed), '2000'], {
      cwd: repoRoot,
      reject: false,
      timeout: 120_000,
    });
    expect(r.stderr).not.toContain('terminate called');
    expect({ exitCode: r.exitCode, signal: r.signal, stderr: r.stderr }).toEqual({
      exitCode: 0,
      signal: undefined,
      stderr: '',
    });
    const counts = JSON.parse(r.stdout) as { calls: number; returned: number; threwError: number; threwMarker: number };
    expect(counts.calls).toBe(2000);
    // The hostile getters did run and their own errors came through.
    expect(counts.threwMarker).toBeGreaterThan(0);
    expect(counts.threwError).toBeGreaterThan(0);
    expect(counts.returned).toBeGreaterThan(0);
  });
});
