/** HTML text/attribute escaping for the report (every profile- or process-given string passes here). */
export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Element id of check `j` of scenario `i`: the banner links to it. */
export const checkAnchor = (i: number, j: number): string => `c${i}-${j}`;
