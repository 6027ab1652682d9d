/**
 * The toolbar and its small inline script: a checkbox per verdict and a text search. Checks
 * whose verdict is unticked are hidden, and a scenario with no visible check hides too; the
 * search matches a scenario's id, `use:` and reasons. Following a link (banner, hash) opens
 * the collapsed scenario that holds the target. No network, no library.
 */
import type { Verdict } from '../../model/check.ts';

export const FILTER_VERDICTS: readonly Verdict[] = ['fail', 'error', 'flaky', 'xfail', 'skip', 'pass'];

export function toolbar(counts: Record<Verdict, number>): string {
  const boxes = FILTER_VERDICTS.map(
    (v) => `<label class="v-${v}"><input type="checkbox" data-filter="${v}" checked> <span class="badge">${v}</span> ${counts[v]}</label>`,
  ).join('');
  return `<nav class="toolbar" aria-label="filters">${boxes}<input type="search" id="search" placeholder="search id, scenario, reason…" aria-label="search"></nav>`;
}

export const FILTER_SCRIPT = `
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[data-filter]'));
  var search = document.getElementById('search');
  function apply() {
    var shown = {};
    boxes.forEach(function (b) { shown[b.getAttribute('data-filter')] = b.checked; });
    var q = (search.value || '').toLowerCase();
    document.querySelectorAll('section.scenario').forEach(function (sec) {
      var any = false;
      sec.querySelectorAll('ul.checks > li').forEach(function (li) {
        var on = shown[li.getAttribute('data-verdict')] !== false;
        li.classList.toggle('hidden', !on);
        if (on) any = true;
      });
      var text = (sec.getAttribute('data-search') || '').toLowerCase();
      sec.classList.toggle('hidden', !any || (q !== '' && text.indexOf(q) < 0));
    });
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) return;
    for (var p = el; p; p = p.parentElement) if (p.tagName === 'DETAILS') p.open = true;
    el.scrollIntoView();
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  search.addEventListener('input', apply);
  window.addEventListener('hashchange', reveal);
  document.querySelectorAll('button.copy').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var text = btn.getAttribute('data-copy');
      var done = function () { btn.textContent = 'copied'; setTimeout(function () { btn.textContent = 'copy'; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, function () {});
      else { var t = document.createElement('textarea'); t.value = text; document.body.appendChild(t); t.select(); try { document.execCommand('copy'); done(); } catch (e) {} t.remove(); }
    });
  });
  apply();
  reveal();
})();
`;
