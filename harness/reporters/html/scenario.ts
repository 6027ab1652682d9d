/**
 * One scenario's section: a collapsible header (open unless every check passed or was an
 * expected failure), the command that reruns only it with a copy button, where the profile
 * declares it (file:line), its checks with their evidence and captures, and its log.
 */
import { rerunLines, type ScenarioResult } from '../../model/results.ts';
import { worstVerdict } from './verdicts.ts';
import { checkAnchor, esc } from './escape.ts';
import { evidenceHtml } from './evidence.ts';

/** `--grep` takes a regular expression: the id's metacharacters are escaped, then the whole is quoted for a POSIX shell. */
export function rerunCommand(s: Pick<ScenarioResult, 'file' | 'id'>): string {
  const re = `^${s.id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`;
  const sh = (x: string): string => (/^[\w./@%+=:,-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`);
  return `npx netconform run ${sh(s.file)} --grep ${`'${re.replace(/'/g, `'\\''`)}'`}`;
}

export function scenarioSection(s: ScenarioResult, i: number): string {
  const worst = worstVerdict(s);
  const open = worst !== 'pass' && worst !== 'xfail';
  const cmd = rerunCommand(s);
  // An xfail's attempt failed too: its captures are the known-bad case's evidence.
  const failing = (v: string): boolean => v === 'fail' || v === 'error' || v === 'xfail';
  const captures = s.captures?.length
    ? `<div class="captures">packet captures: ${s.captures.map((c) => `<a href="${esc(encodeURI(c.path))}">${esc(c.segment)} (attempt ${c.attempt})</a>`).join(', ')}</div>`
    : '';
  const checks = s.checks
    .map(
      (c, j) =>
        `<li id="${checkAnchor(i, j)}" class="v-${c.verdict}" data-verdict="${c.verdict}"><span class="badge">${c.verdict}</span> <b>${esc(c.name)}</b><span class="reason">${esc(c.reason)}</span>${failing(c.verdict) ? captures : ''}${c.evidence.map(evidenceHtml).join('')}</li>`,
    )
    .join('');
  const reruns = rerunLines(s);
  const setAside = reruns.length
    ? `<div class="late-reruns muted">${reruns.map((l) => `<div>↻ ${esc(l)}</div>`).join('')}</div>`
    : '';
  const log = s.log.length
    ? `<details><summary>log (${s.log.length} lines${s.logCut ? ', cut: see its first line' : ''})</summary><pre>${esc(s.log.join('\n'))}</pre></details>`
    : '';
  const search = [s.profile, s.id, s.use, ...s.checks.flatMap((c) => [c.name, c.reason])].join(' ');
  const meta = `<div class="meta"><code class="cmd">${esc(cmd)}</code><button type="button" class="copy" data-copy="${esc(cmd)}">copy</button><span class="muted">${esc(s.file)}:${s.line}</span></div>`;
  const summary = `<summary><span class="badge">${worst}</span> <h2>${esc(s.profile)} › ${esc(s.id)}</h2> <small>${esc(s.use)} · ${(s.durationMs / 1000).toFixed(1)} s${s.attempts > 1 ? ` · ${s.attempts} attempts` : ''}${reruns.length ? ` · ${reruns.length} set aside (harness late)` : ''}${s.expectFail ? ` · expected to fail: ${esc(s.expectFail)}` : ''}</small></summary>`;
  return `<section class="scenario v-${worst}" id="s${i}" data-verdict="${worst}" data-search="${esc(search)}"><details${open ? ' open' : ''}>${summary}${meta}${setAside}<ul class="checks">${checks}</ul>${log}</details></section>`;
}
