// mapBounded (harness/lab/index.ts): the bring-up's per-namespace `ip` runs, at most N at a time.
import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../harness/lab/index.ts';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('mapBounded', () => {
  it('keeps input order and never has more than the limit in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded(
      Array.from({ length: 50 }, (_, i) => i),
      async (i) => {
        peak = Math.max(peak, ++inFlight);
        await tick();
        inFlight--;
        return i * 2;
      },
      4,
    );
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(peak).toBe(4);
  });

  it('after a rejection starts nothing new and rejects only once the calls in flight settled', async () => {
    const started: number[] = [];
    let settled = 0;
    const p = mapBounded(
      Array.from({ length: 20 }, (_, i) => i),
      async (i) => {
        started.push(i);
        await tick();
        settled++;
        if (i === 1) throw new Error('line 1 failed');
        return i;
      },
      3,
    );
    await expect(p).rejects.toThrow('line 1 failed');
    expect(settled).toBe(started.length);
    expect(started.length).toBeLessThan(20);
  });
});
