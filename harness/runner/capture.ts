/**
 * Packet captures around one scenario attempt (`--capture off | on-failure | always`): one
 * tcpdump per lab segment, inside the segment's own namespace on its bridge (it sees exactly
 * what crossed that segment, every host's frames), started before the attempt's first packet
 * (we wait for tcpdump's "listening on" line, printed once the capture handle is active) and
 * stopped after the attempt's processes are gone and before the lab is torn down. tcpdump puts
 * the bridge in promiscuous mode, and a promiscuous bridge passes every frame it forwards up to
 * its own device too (Linux net/bridge/br_input.c, `IFF_PROMISC` → local_rcv), so unicast
 * between two hosts is captured, not only broadcast and multicast.
 *
 * Size cap per file: `-c 4096 -s 2048` (tcpdump(8): exit after 4096 packets, each cut to 2048
 * bytes), so a file is at most 24 + 4096 × (16 + 2048) bytes ≈ 8.5 MB; later packets are not
 * captured, and the scenario log says when the count was reached. `-U` writes each packet as it
 * is saved, `--immediate-mode` hands each packet to tcpdump at once (pcap_set_immediate_mode(3PCAP):
 * otherwise libpcap's TPACKET_V3 ring holds packets until a block fills or its 1 s timeout, and
 * a capture stopped sooner loses them: measured, a sub-second scenario's file was empty without
 * it), `-Z root` keeps root so the file lands in the report folder (Debian's tcpdump would
 * otherwise drop to user tcpdump after opening the device), `-n` does no DNS.
 */
import { mkdir, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Lab } from '../lab/types.ts';
import { bridgeName, segmentNetns } from '../lab/names.ts';
import { spawnManaged } from '../process/index.ts';
import type { ManagedProcess } from '../process/types.ts';
import type { CAPTURE_MODES, CaptureFile } from '../model/results.ts';

export type CaptureMode = (typeof CAPTURE_MODES)[number];

export const CAPTURE_MAX_PACKETS = 4096;
export const CAPTURE_SNAPLEN = 2048;
/** How long tcpdump gets to say it is listening before the attempt runs without that capture. */
const LISTEN_TIMEOUT_MS = 5000;
/** After the attempt: frames still in flight (a last datagram, a FIN) reach the ring before tcpdump stops. */
const DRAIN_MS = 200;

/** The folder under the report folder that captures go to: the run's own, emptied when a run starts. */
export const CAPTURES_DIR = 'captures';

/**
 * Removes the captures an earlier run left in `outDir`: they are the run's to write, and a
 * file left from before would sit beside this run's reports as if it were its evidence.
 */
export async function clearCaptures(outDir: string): Promise<void> {
  await rm(join(outDir, CAPTURES_DIR), { recursive: true, force: true });
}

export interface CaptureSettings {
  mode: CaptureMode;
  /** The report folder; files go under `captures/` in it. */
  outDir: string;
}

interface Running {
  segment: string;
  file: string;
  proc: ManagedProcess;
}

export interface AttemptCapture {
  /** Stops every tcpdump, then keeps or deletes its file; returns the kept ones. */
  finish(failed: boolean): Promise<CaptureFile[]>;
}

const safe = (s: string): string => s.replace(/[^\w.-]+/g, '_');

/**
 * Starts the captures of one attempt (none with mode `off` or without a lab). Lines for the
 * scenario log go to `log`: a capture that cannot start is said there with its reason.
 */
export async function startCapture(
  settings: CaptureSettings | undefined,
  lab: Lab | undefined,
  where: { profile: string; id: string; attempt: number },
  log: (line: string) => void,
): Promise<AttemptCapture> {
  const none: AttemptCapture = { finish: async () => [] };
  if (!settings || settings.mode === 'off') return none;
  if (!lab) return none; // nothing of ours to capture: without a lab the scenario uses loopback or the host's own interfaces
  const dir = join(settings.outDir, CAPTURES_DIR, safe(where.profile), safe(where.id));
  await mkdir(dir, { recursive: true });
  const started = await Promise.all(
    lab.segments.map((s) =>
      startOne(lab.runId, s.name, join(dir, `attempt-${where.attempt}-${safe(s.name)}.pcap`), log),
    ),
  );
  const running = started.filter((r): r is Running => r !== undefined);
  return {
    finish: async (failed) => {
      if (running.length) await new Promise((r) => setTimeout(r, DRAIN_MS));
      await Promise.all(running.map((r) => r.proc.stop(1000)));
      const keep = settings.mode === 'always' || (settings.mode === 'on-failure' && failed);
      const kept: CaptureFile[] = [];
      for (const r of running) {
        const reachedCap = r.proc.output.some((l) =>
          new RegExp(`^\\[stderr\\] ${CAPTURE_MAX_PACKETS} packets captured`).test(l),
        );
        if (reachedCap)
          log(
            `capture ${r.segment}: stopped at ${CAPTURE_MAX_PACKETS} packets (the size cap); later packets are not in the file`,
          );
        if (keep && (await stat(r.file).catch(() => undefined)))
          kept.push({ attempt: where.attempt, segment: r.segment, path: relative(settings.outDir, r.file) });
        else await rm(r.file, { force: true });
      }
      if (!kept.length) {
        // Only folders this left empty (another attempt's kept files stay): rmdir refuses a non-empty one.
        for (const d of [dir, dirname(dir), dirname(dirname(dir))])
          if (
            !(await rmdir(d).then(
              () => true,
              () => false,
            ))
          )
            break;
      }
      return kept;
    },
  };
}

async function startOne(
  runId: string,
  segment: string,
  file: string,
  log: (line: string) => void,
): Promise<Running | undefined> {
  let listening!: () => void;
  const ready = new Promise<void>((r) => (listening = r));
  let proc: ManagedProcess;
  try {
    proc = spawnManaged(
      [
        'tcpdump',
        '-i',
        bridgeName(runId),
        '-n',
        '-U',
        '--immediate-mode',
        '-Z',
        'root',
        '-s',
        String(CAPTURE_SNAPLEN),
        '-c',
        String(CAPTURE_MAX_PACKETS),
        '-w',
        file,
      ],
      {
        netns: segmentNetns(runId, segment),
        onLine: (stream, line) => {
          if (stream === 'stderr' && /listening on /.test(line)) listening();
        },
      },
    );
  } catch (err) {
    log(`capture ${segment}: skipped: ${(err as Error).message}`);
    return undefined;
  }
  const outcome = await Promise.race([
    ready.then(() => 'listening' as const),
    proc.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), LISTEN_TIMEOUT_MS).unref()),
  ]);
  if (outcome === 'listening') return { segment, file, proc };
  await proc.stop(500);
  await rm(file, { force: true });
  const said = proc.output.slice(-2).join(' | ') || 'no output';
  const why =
    outcome === 'timeout'
      ? `tcpdump did not say it was listening within ${LISTEN_TIMEOUT_MS} ms`
      : `tcpdump exited: ${said}`;
  log(
    `capture ${segment}: skipped: ${/ENOENT|No such file|not found/.test(said) ? 'tcpdump is not installed (Debian package tcpdump)' : why}`,
  );
  return undefined;
}
