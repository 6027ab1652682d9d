/**
 * Every string format the profile schemas may name: ajv-formats' full set and the duration
 * format (its maximum; the schema's `pattern` checks the syntax). One object, so validators
 * compiled at run time (ajv.ts) and those generated at build time (standalone.ts, whose code
 * reads the formats from this module) check the same thing.
 */
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { DURATION_FORMAT, measureDuration } from '../util/duration.ts';

/**
 * The duration format checks only the maximum: the schema's `pattern` beside it checks the
 * syntax, so a malformed string gets one message (the pattern's), not two.
 */
function durationWithinMaximum(text: string): boolean {
  const r = measureDuration(text);
  return typeof r === 'number' || r.code !== 'DURATION_TOO_LONG';
}

export const durationFormat = { type: 'string', validate: durationWithinMaximum } as const;

/** @public Looked up by name by the generated validators (loader/standalone.ts). */
export const formats = { ...fullFormats, [DURATION_FORMAT]: durationFormat };
