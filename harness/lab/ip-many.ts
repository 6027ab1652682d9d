/**
 * Many per-namespace `ip -n NS -batch -` runs through a few shell processes instead of one
 * Node child process each. A Node/execa spawn costs tens of milliseconds on a loaded machine
 * (fork of a large process, pipes, event-loop round trips); `sh` forking `ip` costs a few (measured:
 * 250 host batches took 4.5–5.6 s as 250 execa children, 16 at a time; see
 * harness/lab/README.md). Each worker is one `sh` reading a script on stdin that runs the
 * namespaces' batches one after another, each fed by a quoted here-document (no expansion:
 * sh(1) "Here-Documents"), and marks where each namespace's output begins and ends on both
 * stdout and stderr, with a token no ip output can contain. A failure is reported like a
 * single `ipBatch` failure: the namespace, the failing line (ip's "Command failed -:N") and
 * ip's own message.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { execa } from 'execa';
import { LabError, batchFailure } from './ip.ts';

export interface NetnsBatch {
  netns: string;
  lines: string[];
}

export interface ManyOptions {
  /** `-json` on every run (show commands print JSON arrays). */
  json?: boolean;
  signal?: AbortSignal;
  /** Shell processes at once; default: the CPU count, at most 4 (each `ip` is mostly kernel time). */
  workers?: number;
}

/** Names a lab makes are [a-z0-9-] (names.ts, schema.ts): anything else never reaches a shell. */
const SAFE_NETNS = /^[A-Za-z0-9_.-]+$/;

/** Splits `jobs` into `n` contiguous chunks of near-equal size (order kept within each). */
export function chunk<T>(jobs: T[], n: number): T[][] {
  const k = Math.max(1, Math.min(n, jobs.length));
  const size = Math.ceil(jobs.length / k);
  const out: T[][] = [];
  for (let i = 0; i < jobs.length; i += size) out.push(jobs.slice(i, i + size));
  return out;
}

/** The sh script for one worker; job i of the whole call is marked `@@<token> <i>`. */
export function workerScript(jobs: Array<{ index: number; job: NetnsBatch }>, token: string, json: boolean): string {
  const eof = `NC_EOF_${token}`;
  const parts: string[] = [];
  for (const { index, job } of jobs) {
    if (!SAFE_NETNS.test(job.netns))
      throw new LabError('ESPEC', `namespace name ${JSON.stringify(job.netns)} is not safe for a shell`);
    if (job.lines.some((l) => l === eof || l.includes('\n')))
      throw new LabError('ESPEC', `a batch line for ${job.netns} contains a line break or the here-document delimiter`);
    parts.push(
      `printf '@@${token} ${index} begin\\n'; printf '@@${token} ${index} begin\\n' >&2`,
      `ip -n '${job.netns}'${json ? ' -json' : ''} -batch - <<'${eof}'`,
      ...job.lines,
      eof,
      // Stop at the first failure, as one `ip -batch` does; the exit code goes to both streams.
      `r=$?; printf '\\n@@${token} ${index} rc %d\\n' "$r"; printf '@@${token} ${index} rc %d\\n' "$r" >&2; [ "$r" -eq 0 ] || exit "$r"`,
    );
  }
  return `${parts.join('\n')}\n`;
}

interface Section {
  text: string;
  rc?: number;
}

/** Sections of one stream by job index: text between `begin` and `rc`, and the exit code. */
export function splitSections(stream: string, token: string): Map<number, Section> {
  const out = new Map<number, Section>();
  const marker = new RegExp(`^@@${token} (\\d+) (begin|rc)(?: (\\d+))?$`);
  let cur: { index: number; lines: string[] } | undefined;
  for (const line of stream.split('\n')) {
    const m = marker.exec(line);
    if (!m) {
      cur?.lines.push(line);
      continue;
    }
    const index = Number(m[1]);
    if (m[2] === 'begin') {
      cur = { index, lines: [] };
      out.set(index, { text: '' });
      continue;
    }
    if (cur?.index === index) out.set(index, { text: cur.lines.join('\n'), rc: Number(m[3]) });
    cur = undefined;
  }
  // A run cut off (killed shell) keeps what it printed, with no rc.
  if (cur) out.set(cur.index, { text: cur.lines.join('\n') });
  return out;
}

/**
 * Runs every job's batch in its namespace; resolves with each job's stdout in input order.
 * Throws LabError EIP for the first job (in input order) that failed or did not run, naming
 * its namespace and the failing line; EABORT when `signal` fired.
 */
export async function ipBatchEach(jobs: NetnsBatch[], o: ManyOptions = {}): Promise<string[]> {
  const work = jobs.map((job, index) => ({ index, job })).filter((j) => j.job.lines.length > 0);
  const out: string[] = jobs.map(() => '');
  if (work.length === 0) return out;
  const token = randomBytes(6).toString('hex');
  const workers = o.workers ?? Math.min(availableParallelism(), 4);
  const runs = await Promise.all(
    chunk(work, workers).map(async (part) => {
      const r = await execa('sh', ['-s'], {
        input: workerScript(part, token, o.json ?? false),
        reject: false,
        cancelSignal: o.signal,
      });
      return { part, r, stdout: splitSections(r.stdout, token), stderr: splitSections(r.stderr, token) };
    }),
  );
  if (o.signal?.aborted) throw new LabError('EABORT', 'lab bring-up aborted');
  const failures: Array<{ index: number; error: LabError }> = [];
  for (const { part, r, stdout, stderr } of runs) {
    for (const { index, job } of part) {
      const so = stdout.get(index);
      const rc = so?.rc;
      if (rc === 0) {
        out[index] = so!.text;
        continue;
      }
      const err = stderr.get(index)?.text ?? '';
      if (rc !== undefined)
        failures.push({ index, error: batchFailure('ip', job.netns, job.lines, err, `exit code ${rc}`) });
      else if (so === undefined) {
        // Never started: an earlier job of this worker failed (reported itself), or the shell died.
        if (part.some((p) => stdout.get(p.index)?.rc)) continue;
        failures.push({
          index,
          error: new LabError(
            'EIP',
            `ip (in ${job.netns}): not run: the shell running the batches ended first (${r.shortMessage ?? `exit code ${r.exitCode}`}${r.stderr.trim() ? `: ${lastLine(r.stderr)}` : ''})`,
          ),
        });
      } else
        failures.push({
          index,
          error: new LabError(
            'EIP',
            `ip (in ${job.netns}): cut off before it finished (${r.shortMessage ?? 'shell ended'})${err.trim() ? `: ${err.trim()}` : ''}`,
          ),
        });
    }
  }
  if (failures.length > 0) {
    failures.sort((a, b) => a.index - b.index);
    const [first, ...rest] = failures;
    if (rest.length === 0) throw first!.error;
    throw new LabError(
      'EIP',
      `${first!.error.message} (and ${rest.length} more: ${rest.map((f) => jobs[f.index]!.netns).join(', ')})`,
    );
  }
  return out;
}

const lastLine = (s: string): string => s.trim().split('\n').pop() ?? '';
