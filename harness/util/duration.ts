/**
 * Durations in profiles and on the command line: a number of milliseconds, or a string like
 * "500ms", "30s", "15m", "1h", "1m30s". One parser and one schema fragment for all of them.
 *
 * The maximum is what a Node timer can wait: setTimeout/setInterval take a signed 32-bit delay,
 * and a larger one is replaced by 1 ms with a TimeoutOverflowWarning (Node docs, timers:
 * "When delay is larger than 2147483647 or less than 1, the delay will be set to 1"). A longer
 * duration would therefore end at once, so it is refused where it is written.
 */
export type Duration = number | string;

/** 2^31 − 1 ms, about 24.8 days: the longest delay a Node timer honours. */
export const MAX_DURATION_MS = 2_147_483_647;

/** The format name under which the loader's Ajv checks a duration string's value (see ajv.ts). */
export const DURATION_FORMAT = 'netconform-duration';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = '[0-9]+(?:\\.[0-9]+)?(?:ms|s|m|h)';

/** How messages name the maximum. */
export const maxDurationText = `${MAX_DURATION_MS} ms (about 596h31m)`;

/** What a duration is, in words: a schema's description, and so the loader's "must be …" text for one that is not. */
export const durationText = `a duration up to ${maxDurationText}: milliseconds, or a string like 500ms, 30s, 15m`;

/**
 * JSON Schema fragment accepted wherever a profile takes a duration. The pattern is for editors;
 * the format makes the loader check the value against MAX_DURATION_MS too.
 */
export const durationSchema = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: MAX_DURATION_MS },
    { type: 'string', pattern: `^(${PART})+$`, format: DURATION_FORMAT },
  ],
} as const;

/** A duration that is not one, or is longer than a timer can wait (`code` says which). */
export class DurationError extends RangeError {
  constructor(
    readonly code: 'DURATION_SYNTAX' | 'DURATION_TOO_LONG',
    message: string,
  ) {
    super(message);
    this.name = 'DurationError';
  }
}

/** Milliseconds of a duration; throws DurationError for bad syntax, a negative or fractional ms number, or a value above the maximum. */
export function parseDuration(d: Duration): number {
  const r = measureDuration(d);
  if (typeof r === 'number') return r;
  throw new DurationError(r.code, r.message);
}

/**
 * parseDuration without the throw (an Error's stack capture is costly when a large profile has
 * thousands of bad durations): the milliseconds, or what is wrong.
 */
export function measureDuration(d: Duration): number | { code: DurationError['code']; message: string } {
  let total: number;
  if (typeof d === 'number') {
    if (!Number.isInteger(d) || d < 0)
      return {
        code: 'DURATION_SYNTAX',
        message: `not a duration: ${d} (whole milliseconds from 0, or e.g. 500ms, 30s, 15m, 1h)`,
      };
    total = d;
  } else {
    const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy;
    total = 0;
    let m: RegExpExecArray | null;
    let consumed = 0;
    while ((m = re.exec(d)) !== null) {
      total += Number(m[1]) * UNIT_MS[m[2]!]!;
      consumed = re.lastIndex;
    }
    if (consumed !== d.length || d.length === 0)
      return { code: 'DURATION_SYNTAX', message: `not a duration: "${d}" (use e.g. 500ms, 30s, 15m, 1h)` };
    total = Math.round(total);
  }
  if (!(total <= MAX_DURATION_MS))
    return {
      code: 'DURATION_TOO_LONG',
      message: `${typeof d === 'string' ? `"${d}"` : d} is longer than the maximum duration, ${maxDurationText}`,
    };
  return total;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}
