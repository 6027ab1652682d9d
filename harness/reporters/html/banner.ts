/**
 * The top of the report: what failed, each item linking to its check. A run without failures
 * says so in green; an xfail is not listed (it is the known-bad case behaving as known). Past
 * BANNER_OPEN items the rest fold under "n more", so a long list does not fill the first screen
 * (14 failures filled a 1440×900 fold); the verdict filters and the search apply to the items as
 * to the scenarios below (`data-verdict`, `data-search`, read by filters.ts's script). Scenarios a
 * stopped run did not reach are listed after it, "not run (--bail)".
 */
import { notRunLabel, type RunResult } from '../../model/results.ts';
import { checkAnchor, esc } from './escape.ts';

/** Failed checks listed open; the rest are one click away. */
export const BANNER_OPEN = 5;

export function failureBanner(r: RunResult): string {
  const items: string[] = [];
  r.scenarios.forEach((s, i) =>
    s.checks.forEach((c, j) => {
      if (c.verdict !== 'fail' && c.verdict !== 'error') return;
      const search = [s.profile, s.id, s.use, c.name, c.reason].join(' ');
      items.push(
        `<li class="v-${c.verdict}" data-verdict="${c.verdict}" data-search="${esc(search)}"><span class="badge">${c.verdict}</span> <a href="#${checkAnchor(i, j)}">${esc(s.profile)} › ${esc(s.id)} › ${esc(c.name)}</a>: ${esc(c.reason)}</li>`,
      );
    }),
  );
  const notRun = notRunSection(r);
  if (!items.length) {
    const what = r.interrupted ? 'The run was interrupted; no check failed before it stopped.' : 'No check failed.';
    return `<section class="banner ok" id="failures"><h2>${what}</h2></section>${notRun}`;
  }
  const open = items.slice(0, BANNER_OPEN).join('');
  const rest = items.slice(BANNER_OPEN);
  const more = rest.length
    ? `<details class="more"><summary>${rest.length} more failed check${rest.length === 1 ? '' : 's'}</summary><ol start="${BANNER_OPEN + 1}">${rest.join('')}</ol></details>`
    : '';
  const heading = `<h2>${items.length} failed check${items.length === 1 ? '' : 's'}<span class="shown muted"></span></h2>`;
  return `<section class="banner" id="failures">${heading}<ol>${open}</ol>${more}<p class="none muted hidden">No failed check matches the filters.</p></section>${notRun}`;
}

function notRunSection(r: RunResult): string {
  const list = r.notRunScenarios ?? [];
  if (!list.length) return '';
  const label = notRunLabel(r);
  const items = list
    .map(
      (s) =>
        `<li data-verdict="skip"><span class="badge">skip</span> ${esc(s.profile)} › ${esc(s.id)}${s.repeat ? ` (repeat ${s.repeat})` : ''} <small>${esc(s.use)} · ${esc(s.file)}:${s.line}</small></li>`,
    )
    .join('');
  return `<section class="not-run v-skip" id="not-run"><details><summary>${list.length} scenario${list.length === 1 ? '' : 's'} ${esc(label)}</summary><ul>${items}</ul></details></section>`;
}
