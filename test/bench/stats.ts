/** Median and range of a bench's repeated measurements, rounded for the table. */
export function stats(xs: number[], decimals = 2): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const f = 10 ** decimals;
  const r = (x: number): number => Math.round(x * f) / f;
  return { median: r(median), min: r(s[0]!), max: r(s[s.length - 1]!) };
}
