/** keepalive.honoured with your own client: its keepalive read from the wire (suites/keepalive/lib/wire-detection.ts). Pure. */
import { describe, expect, it } from 'vitest';
import type { Segment } from '../../suites/lib/net/tcp-segments.ts';
import { probeHint, readDetection } from '../../suites/keepalive/lib/wire-detection.ts';

const C = '198.18.0.1';
const G = '198.18.0.2';
const seg = (t: number, from: 'c' | 'g', flags: string, length = 0): Segment =>
  from === 'c'
    ? { t, src: C, sport: 40000, dst: G, dport: 4501, flags, length }
    : { t, src: G, sport: 4501, dst: C, dport: 40000, flags, length };
const ka = { idleSec: 1, intervalSec: 1, count: 2 };
const up = [seg(0, 'c', 'S'), seg(0.1, 'g', 'S.'), seg(0.2, 'c', '.'), seg(10, 'c', 'P.', 5), seg(10.2, 'g', '.')];

describe('keepalive from the wire', () => {
  it('probes at idle and idle + interval, then the reset at idle + interval × count: no hint', () => {
    const d = readDetection([...up, seg(1010, 'c', '.'), seg(2010, 'c', '.'), seg(3011, 'c', 'R.')], C, G, 50);
    expect(d).toEqual({ lastRxMs: 10.2, probesMs: [999.8, 1999.8], endMs: 3000.8, endHow: 'RST' });
    expect(probeHint(d, ka, 500, 6000)).toBe('');
  });

  it('names the timer the probes contradict', () => {
    expect(probeHint(readDetection(up, C, G, 50), ka, 500, 6000)).toMatch(
      /no keepalive probe left the client within 6\.00 s .*SO_KEEPALIVE is off, or TCP_KEEPIDLE is longer than 1 s$/,
    );
    const idleOnly = readDetection([...up, seg(1010, 'c', '.')], C, G, 50);
    expect(probeHint(idleOnly, ka, 500, 6000)).toBe(
      ': its probes left at 1.00 s after the last segment it received; no second probe 1 s later (TCP_KEEPINTVL is not 1 s)',
    );
    const slowIdle = readDetection([...up, seg(2010, 'c', '.')], C, G, 50);
    expect(probeHint(slowIdle, ka, 500, 6000)).toMatch(/the first after 2\.00 s, not TCP_KEEPIDLE 1 s$/);
    const manyProbes = readDetection(
      [...up, seg(1010, 'c', '.'), seg(2010, 'c', '.'), seg(3010, 'c', '.'), seg(4011, 'c', 'R.')],
      C,
      G,
      50,
    );
    expect(probeHint(manyProbes, ka, 500, 6000)).toMatch(/it gave up after 3 unanswered, not TCP_KEEPCNT 2$/);
  });

  it('the last segment received is the one before the blackhole', () => {
    expect(readDetection([...up, seg(900, 'g', 'P.', 3)], C, G, 50).lastRxMs).toBe(10.2);
  });
});
