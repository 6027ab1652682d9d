/**
 * Bounds on what the harness keeps of child-process output and scenario logs, so a SUT that
 * prints one 50 MB line or floods its stdout cannot exhaust memory or blow up the reports:
 * each line is cut after LINE_MAX_BYTES (the head is kept, the cut is said on the line), and
 * each process / scenario log keeps only its most recent bytes (the tail: where a failure
 * shows), counting what it dropped so the report can say so.
 */

/** Bytes of one output line kept; the rest of the line is counted, not kept. */
export const LINE_MAX_BYTES = 4 * 1024;
/** Bytes of output kept per child process (its most recent lines). */
export const PROCESS_OUTPUT_MAX_BYTES = 256 * 1024;
/** Bytes of one log line kept (a log line is a process line plus its prefix and time stamp). */
export const LOG_LINE_MAX_BYTES = 8 * 1024;
/** Bytes of a scenario's log kept (its most recent lines), across its attempts. */
export const SCENARIO_LOG_MAX_BYTES = 1024 * 1024;

/** What was not kept. */
export interface OutputCut {
  /** Lines longer than the line limit, and the bytes cut from them. */
  cutLines: number;
  cutBytes: number;
  /** Whole lines dropped (oldest first) to stay within the total, and their bytes. */
  droppedLines: number;
  droppedBytes: number;
}

export const noCut = (): OutputCut => ({ cutLines: 0, cutBytes: 0, droppedLines: 0, droppedBytes: 0 });
export function addCut(into: OutputCut, c: OutputCut): void {
  into.cutLines += c.cutLines;
  into.cutBytes += c.cutBytes;
  into.droppedLines += c.droppedLines;
  into.droppedBytes += c.droppedBytes;
}
export const wasCut = (c: OutputCut): boolean => c.cutLines > 0 || c.droppedLines > 0;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const cutSuffix = (bytes: number): string => ` … [line cut: ${formatBytes(bytes)} more not kept]`;

/** Largest k ≤ max so that buf[0, k) does not end inside a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, max: number): number {
  let k = Math.min(max, buf.length);
  if (k === buf.length) return k;
  while (k > 0 && (buf[k]! & 0xc0) === 0x80) k--;
  return k;
}

/** Cuts a string line to `max` UTF-8 bytes, saying how much was cut. */
export function capLine(line: string, max: number, cut?: OutputCut): string {
  if (line.length <= max / 4 || Buffer.byteLength(line) <= max) return line;
  const buf = Buffer.from(line);
  const k = utf8Boundary(buf, max);
  if (cut) {
    cut.cutLines++;
    cut.cutBytes += buf.length - k;
  }
  return buf.subarray(0, k).toString() + cutSuffix(buf.length - k);
}

/**
 * Splits a byte stream into lines ('\n', a trailing '\r' removed), holding at most `max`
 * bytes of the current line: a line of any length costs `max` bytes of memory.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private over = 0;

  constructor(
    private readonly emit: (line: string, cutBytes: number) => void,
    private readonly max = LINE_MAX_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      this.hold(chunk.subarray(start, end));
      if (nl < 0) return;
      this.flush();
      start = nl + 1;
    }
  }

  /** End of stream: a last line without '\n' still counts. */
  end(): void {
    if (this.held > 0 || this.over > 0) this.flush();
  }

  private hold(piece: Buffer): void {
    const room = this.max - this.held;
    if (piece.length <= room) {
      if (piece.length) {
        this.parts.push(piece);
        this.held += piece.length;
      }
      return;
    }
    if (room > 0) {
      this.parts.push(piece.subarray(0, room));
      this.held += room;
    }
    this.over += piece.length - Math.max(0, room);
  }

  private flush(): void {
    let buf = Buffer.concat(this.parts, this.held);
    let over = this.over;
    if (over > 0) {
      const k = utf8Boundary(buf, this.max);
      over += buf.length - k;
      buf = buf.subarray(0, k);
    } else if (buf.length && buf[buf.length - 1] === 13) {
      buf = buf.subarray(0, buf.length - 1);
    }
    this.parts = [];
    this.held = 0;
    this.over = 0;
    this.emit(over > 0 ? buf.toString() + cutSuffix(over) : buf.toString(), over);
  }
}

/**
 * Keeps the most recent lines within `maxBytes` (UTF-8) in `lines`, dropping the oldest and
 * counting them in `cut`. Once over, it drops down to 3/4 of the limit in one splice, so a
 * flood of short lines costs amortised O(1) per line (it then keeps between 3/4 and all of
 * the limit).
 */
export class TailLines {
  private bytes = 0;
  private readonly sizes: number[] = [];

  constructor(
    readonly lines: string[],
    readonly cut: OutputCut,
    private readonly maxBytes: number,
  ) {}

  push(line: string): void {
    const size = Buffer.byteLength(line) + 1;
    this.lines.push(line);
    this.sizes.push(size);
    this.bytes += size;
    if (this.bytes <= this.maxBytes) return;
    let drop = 0;
    while (this.bytes > (this.maxBytes * 3) / 4 && drop < this.lines.length - 1) {
      this.bytes -= this.sizes[drop]!;
      this.cut.droppedLines++;
      this.cut.droppedBytes += this.sizes[drop]!;
      drop++;
    }
    this.lines.splice(0, drop);
    this.sizes.splice(0, drop);
  }

  get keptBytes(): number {
    return this.bytes;
  }
}

/** The line a report shows above a log that was cut; undefined when nothing was. */
export function cutNotice(c: OutputCut, what: string, maxBytes: number): string | undefined {
  if (!wasCut(c)) return undefined;
  const parts: string[] = [];
  if (c.droppedLines)
    parts.push(
      `the first ${c.droppedLines} lines (${formatBytes(c.droppedBytes)}) were dropped, at most the last ${formatBytes(maxBytes)} is kept`,
    );
  if (c.cutLines)
    parts.push(
      `${c.cutLines} line${c.cutLines === 1 ? ' was' : 's were'} longer than ${formatBytes(LINE_MAX_BYTES)} and cut (${formatBytes(c.cutBytes)} not kept)`,
    );
  return `[netconform] ${what} cut: ${parts.join('; ')}`;
}
