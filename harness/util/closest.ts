/** Edit distance (Levenshtein), for "did you mean" hints on unknown names. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Up to `max` known names closest to `name`, nearest first; only plausible ones. */
export function closest(name: string, known: readonly string[], max = 3): string[] {
  const limit = Math.max(2, Math.ceil(name.length / 4));
  return known
    .map((k) => ({ k, d: distance(name, k) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k))
    .slice(0, max)
    .map((x) => x.k);
}
