/**
 * The top of the report: what failed, each item linking to its check. A run without failures
 * says so in green; an xfail is not listed (it is the known-bad case behaving as known).
 */
import type { RunResult } from '../../model/results.ts';
import { checkAnchor, esc } from './escape.ts';

export function failureBanner(r: RunResult): string {
  const items: string[] = [];
  r.scenarios.forEach((s, i) =>
    s.checks.forEach((c, j) => {
      if (c.verdict !== 'fail' && c.verdict !== 'error') return;
      items.push(`<li class="v-${c.verdict}"><span class="badge">${c.verdict}</span> <a href="#${checkAnchor(i, j)}">${esc(s.profile)} › ${esc(s.id)} › ${esc(c.name)}</a>: ${esc(c.reason)}</li>`);
    }),
  );
  if (!items.length) {
    const what = r.interrupted ? 'The run was interrupted; no check failed before it stopped.' : 'No check failed.';
    return `<section class="banner ok" id="failures"><h2>${what}</h2></section>`;
  }
  return `<section class="banner" id="failures"><h2>${items.length} failed check${items.length === 1 ? '' : 's'}</h2><ol>${items.join('')}</ol></section>`;
}
