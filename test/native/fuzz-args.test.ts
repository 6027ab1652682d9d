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

async function inChild(script: string): Promise<{ exitCode: number | undefined; signal: string | undefined; stdout: string; stderr: string }> {
  const r = await execa('node', ['--input-type=module', '-e', script], { cwd: repoRoot, reject: false, timeout: 60_000 });
  return { exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)('addon argument handling (child processes)', () => {
  it('sendBatch over 1024 items with a throwing getter throws that error in JS (was exit 134)', async () => {
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
    expect(r.stdout.split('\n')).toEqual(['caught: getter of data', 'caught: getter of address', 'caught: getter of port', 'caught: RangeError proxy trap', 'caught: RangeError']);
  });

  it('a getter that detaches an earlier item\'s buffer cannot make sendBatch read freed memory', async () => {
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

  it.each([1, 2, 3, 4])('fuzz seed %i: 2000 hostile calls return or throw a JS error, none aborts', async (seed) => {
    const r = await execa('node', ['test/native/fuzz-args.mjs', String(seed), '2000'], { cwd: repoRoot, reject: false, timeout: 120_000 });
    expect(r.stderr).not.toContain('terminate called');
    expect({ exitCode: r.exitCode, signal: r.signal, stderr: r.stderr }).toEqual({ exitCode: 0, signal: undefined, stderr: '' });
    const counts = JSON.parse(r.stdout) as { calls: number; returned: number; threwError: number; threwMarker: number };
    expect(counts.calls).toBe(2000);
    // The hostile getters did run and their own errors came through.
    expect(counts.threwMarker).toBeGreaterThan(0);
    expect(counts.threwError).toBeGreaterThan(0);
    expect(counts.returned).toBeGreaterThan(0);
  });
});
