/**
 * Addon UDP sockets a test opens, closed after each test (vitest afterEach), so a failing
 * assertion never leaves a socket receiving into the next test.
 */
import { afterEach } from 'vitest';
import { createUdpSocket } from '../../native/index.ts';

export type Sock = ReturnType<typeof createUdpSocket>;

const open: Sock[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** A new socket of `family`, closed when the test ends. */
export function udp(family: 4 | 6, opts: { broadcast?: boolean; reuseAddr?: boolean } = {}): Sock {
  const s = createUdpSocket({ family, ...opts });
  open.push(s);
  return s;
}
