/**
 * User text echoed to a terminal (profile values in messages, file names, flags) with its control
 * characters made visible, so a profile cannot move the cursor, recolour or retitle the terminal
 * (ECMA-48 escape sequences start with ESC or a C1 control) or reorder the line (Unicode bidi
 * controls, UAX #9). Everything else passes through.
 */
const CONTROL = /[\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (NAMED[c]) return NAMED[c];
    const cp = c.codePointAt(0)!;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}
