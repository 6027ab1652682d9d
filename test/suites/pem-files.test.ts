// Key material of a lab's run lives in the lab's own files folder (0700 for keys), so the lab's
// teardown, the exit hook and `lab gc` remove it with the lab; without a lab, a temp folder.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../harness/lab/names.ts';
import { filesFor, removeState, writeState } from '../../harness/lab/state.ts';
import { pemDir } from '../../suites/lib/tls/pem-files.ts';

const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('PEM folders', () => {
  let saved: string | undefined;
  let state = '';
  beforeAll(() => {
    saved = process.env.NETCONFORM_STATE_DIR;
    state = mkdtempSync(join(tmpdir(), 'nc-pemstate-'));
    process.env.NETCONFORM_STATE_DIR = state;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.NETCONFORM_STATE_DIR;
    else process.env.NETCONFORM_STATE_DIR = saved;
    rmSync(state, { recursive: true, force: true });
  });

  it("in a lab: under the lab's files folder, keys 0600 in a 0700 folder, certificates readable; the lab's removal takes them", async () => {
    const runId = newRunId();
    writeState({
      runId,
      ownerPid: process.pid,
      ownerStart: undefined,
      createdAt: new Date().toISOString(),
      persistent: false,
      namespaces: [],
      hosts: [],
      segments: [],
    });
    const deferred: Array<() => unknown> = [];
    const files = await pemDir('tls-', (f) => deferred.push(f), { runId });
    expect(dirname(files.dir)).toBe(filesFor(runId));
    const ca = await files.write('ca.pem', 'CERT');
    const key = await files.write('valid-key.pem', 'KEY', 0o600);
    expect(dirname(key)).toBe(join(files.dir, 'private'));
    expect(await modeOf(dirname(key))).toBe(0o700);
    expect(await modeOf(key)).toBe(0o600);
    expect(await modeOf(ca)).toBe(0o644);
    expect(await modeOf(files.dir)).toBe(0o755);
    // What a SIGKILLed run leaves: no defer ran; removing the lab's record (down, exit hook, gc) takes the keys.
    removeState(runId);
    expect(existsSync(key)).toBe(false);
    expect(existsSync(filesFor(runId))).toBe(false);
    expect(existsSync(join(state, `${runId}.json`))).toBe(false);
  });

  it("the scenario's defer removes the folder; without a lab it is a temp folder", async () => {
    const deferred: Array<() => unknown> = [];
    const files = await pemDir('nc-pemtest-', (f) => deferred.push(f));
    expect(dirname(files.dir)).toBe(tmpdir());
    const key = await files.write('k.pem', 'KEY', 0o600);
    expect(await modeOf(dirname(key))).toBe(0o700);
    for (const f of deferred) await f();
    expect(existsSync(files.dir)).toBe(false);
  });
});
