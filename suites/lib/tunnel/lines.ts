/** Newline framing on a TCP socket for the reference protocol (HELLO/WELCOME, PING/PONG). */
import type { Socket } from 'node:net';

/** Calls `onLine` for every complete line; partial lines are kept (bounded to 4 KiB). */
export function onLines(sock: Socket, onLine: (line: string) => void): void {
  let buf = '';
  sock.on('data', (chunk: Buffer) => {
    buf += chunk.toString('latin1');
    if (buf.length > 4096 && !buf.includes('\n')) buf = ''; // not our protocol: liveness only
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onLine(line);
    }
  });
}
