/**
 * The one way a pattern from a profile (a SUT's ready line, a report or claim pattern) is compiled.
 * It runs on re2js, a port of RE2: matching time is linear in the line's length whatever the
 * pattern, so a pathological pattern (`^(a|a)*$` against forty `a`s and a `!`) cannot stall the
 * event loop that also runs the timeouts and the signal handlers. RE2 has no backreferences and
 * no lookaround (https://github.com/google/re2/wiki/Syntax); a pattern that needs them is refused
 * at validate, with its position in the profile, rather than matched slowly at run time.
 */
import { RE2JS } from 're2js';

export interface LinePattern {
  /** The pattern as the profile wrote it. */
  readonly source: string;
  /** True when the pattern matches anywhere in the line (as `RegExp.prototype.test`). */
  test(line: string): boolean;
}

export interface PatternOptions {
  ignoreCase?: boolean;
}

export class PatternError extends Error {
  override readonly name = 'PatternError';
  readonly code = 'PATTERN_INVALID';
}

/** Throws PatternError naming what RE2 refused. */
export function compilePattern(source: string, opts: PatternOptions = {}): LinePattern {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source, opts.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp: /, '');
    throw new PatternError(`${why} (patterns use RE2 syntax: no backreferences or lookaround)`);
  }
  return { source, test: (line) => compiled.test(line) };
}

/** Why `source` cannot be a profile pattern, or undefined when it can. */
export function patternProblem(source: string, opts: PatternOptions = {}): string | undefined {
  try {
    compilePattern(source, opts);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
