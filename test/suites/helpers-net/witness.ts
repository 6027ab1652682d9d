/**
 * An independent witness: tcpdump inside a namespace (a lab segment's switch namespace, where
 * every port of the bridge is visible with `-i any`, or the root namespace), printing payloads
 * (-A) line-buffered (-l), so a test can say which probe rows and which SUT datagrams crossed
 * which segment without trusting the harness's own sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Packet {
  header: string;
  payload: string;
}

export interface Witness {
  packets: Packet[];
  stop(): Promise<void>;
}

export async function startWitness(netns: string | undefined, filter: string): Promise<Witness> {
  const argv = ['tcpdump', '-i', 'any', '-n', '-l', '-A', '-s', '512', filter];
  const cp: ChildProcess = netns
    ? spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const packets: Packet[] = [];
  let buf = '';
  cp.stdout!.setEncoding('latin1');
  cp.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      if (/^\d\d:\d\d:\d\d\.\d+ /.test(l)) packets.push({ header: l, payload: '' });
      else if (packets.length) packets[packets.length - 1]!.payload += l;
    }
  });
  // Ready once tcpdump says it is listening (bounded: 5 s).
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump in ${netns ?? 'root'} did not start`)), 5000);
    cp.stderr!.on('data', (d: Buffer) => {
      if (/listening on/.test(d.toString())) {
        clearTimeout(t);
        resolve();
      }
    });
    cp.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`tcpdump exited ${code}`));
    });
    // A missing tcpdump or ip is an 'error' event (spawn ENOENT): a rejection here, never an uncaught exception.
    cp.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(t);
      reject(
        Object.assign(
          new Error(
            `cannot start ${cp.spawnfile} for the witness (${err.code ?? err.message}); tcpdump comes in the Debian package tcpdump`,
          ),
          { code: err.code },
        ),
      );
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    packets,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (cp.exitCode !== null) return resolve();
        cp.once('exit', () => resolve());
        // Let the last packets flush through -l before SIGTERM.
        setTimeout(() => cp.kill('SIGTERM'), 200);
      });
      return stopped;
    },
  };
}

/** Probe rows (from the NCPROBE1 JSON payload) seen by this witness. */
export function probeRows(w: Witness): Set<string> {
  const out = new Set<string>();
  for (const p of w.packets) {
    const m = /"row":"([^"]+)"/.exec(p.payload);
    if (m) out.add(m[1]!);
  }
  return out;
}
