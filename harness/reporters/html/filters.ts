/**
 * The toolbar and its small inline script: a checkbox per verdict and a text search. Checks
 * whose verdict is unticked are hidden, and a scenario with no visible check hides too; the
 * search matches a scenario's id, `use:` and reasons. The failure banner's items follow the same
 * filters. An empty result says so. The state lives in the URL's fragment, as Playwright's report
 * keeps `#?q=`: `#?q=dpd&hide=pass,skip`, after a check's anchor when one was followed
 * (`#c2-0?q=dpd`), so a reload or a shared link shows the same page. Following a link opens the
 * collapsed scenario that holds the target and scrolls it below the sticky bar (its height is
 * `--bar`, which `scroll-margin-top` uses). No network, no library.
 */
import type { Verdict } from '../../model/check.ts';

export const FILTER_VERDICTS: readonly Verdict[] = ['fail', 'error', 'flaky', 'xfail', 'skip', 'pass'];

export function toolbar(counts: Record<Verdict, number>): string {
  const boxes = FILTER_VERDICTS.map(
    (v) =>
      `<label class="v-${v}"><input type="checkbox" data-filter="${v}" checked> <span class="badge">${v}</span> ${counts[v]}</label>`,
  ).join('');
  return `<nav class="toolbar" aria-label="filters">${boxes}<input type="search" id="search" placeholder="search id, scenario, reason…" aria-label="search"></nav><p id="no-match" class="muted hidden" role="status"></p>`;
}

export const FILTER_SCRIPT = `
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[data-filter]'));
  var search = document.getElementById('search');
  var noMatch = document.getElementById('no-match');
  var bar = document.querySelector('.toolbar');
  var target = '';
  function parseHash() {
    var h = decodeURIComponent(location.hash.slice(1));
    var at = h.indexOf('?');
    target = at < 0 ? h : h.slice(0, at);
    var params = new URLSearchParams(at < 0 ? '' : h.slice(at + 1));
    var hide = (params.get('hide') || '').split(',');
    boxes.forEach(function (b) { b.checked = hide.indexOf(b.getAttribute('data-filter')) < 0; });
    search.value = params.get('q') || '';
  }
  function state() {
    var p = new URLSearchParams();
    if (search.value) p.set('q', search.value);
    var hide = boxes.filter(function (b) { return !b.checked; }).map(function (b) { return b.getAttribute('data-filter'); });
    if (hide.length) p.set('hide', hide.join(','));
    return p.toString();
  }
  function writeHash() {
    var s = state();
    var h = target + (s ? '?' + s : '');
    history.replaceState(null, '', h ? '#' + h : location.pathname + location.search);
  }
  function apply() {
    var shown = {};
    boxes.forEach(function (b) { shown[b.getAttribute('data-filter')] = b.checked; });
    var q = (search.value || '').toLowerCase();
    var visible = 0;
    document.querySelectorAll('section.scenario').forEach(function (sec) {
      var any = false;
      sec.querySelectorAll('ul.checks > li').forEach(function (li) {
        var on = shown[li.getAttribute('data-verdict')] !== false;
        li.classList.toggle('hidden', !on);
        if (on) any = true;
      });
      var text = (sec.getAttribute('data-search') || '').toLowerCase();
      var hide = !any || (q !== '' && text.indexOf(q) < 0);
      sec.classList.toggle('hidden', hide);
      if (!hide) visible++;
    });
    var items = Array.prototype.slice.call(document.querySelectorAll('#failures li[data-verdict]'));
    var inBanner = 0;
    items.forEach(function (li) {
      var text = (li.getAttribute('data-search') || '').toLowerCase();
      var hide = shown[li.getAttribute('data-verdict')] === false || (q !== '' && text.indexOf(q) < 0);
      li.classList.toggle('hidden', hide);
      if (!hide) inBanner++;
    });
    var filtered = q !== '' || boxes.some(function (b) { return !b.checked; });
    var count = document.querySelector('#failures .shown');
    if (count) count.textContent = filtered ? ' (' + inBanner + ' shown)' : '';
    var none = document.querySelector('#failures .none');
    if (none) none.classList.toggle('hidden', inBanner > 0 || items.length === 0);
    noMatch.textContent = q !== '' ? 'No scenario matches \\u201c' + search.value + '\\u201d with these filters.' : 'No scenario has a check with the ticked verdicts.';
    noMatch.classList.toggle('hidden', visible > 0);
  }
  function measureBar() {
    document.documentElement.style.setProperty('--bar', bar.getBoundingClientRect().height + 'px');
  }
  function reveal() {
    var el = target && document.getElementById(target);
    if (!el) return;
    for (var p = el; p; p = p.parentElement) if (p.tagName === 'DETAILS') p.open = true;
    document.querySelectorAll('.target').forEach(function (t) { t.classList.remove('target'); });
    el.classList.add('target');
    el.scrollIntoView();
  }
  function changed() { apply(); writeHash(); }
  boxes.forEach(function (b) { b.addEventListener('change', changed); });
  search.addEventListener('input', changed);
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a[href^="#"]');
    if (!a) return;
    ev.preventDefault();
    target = decodeURIComponent(a.getAttribute('href').slice(1));
    writeHash();
    reveal();
  });
  window.addEventListener('hashchange', function () { parseHash(); apply(); reveal(); });
  window.addEventListener('resize', measureBar);
  document.querySelectorAll('input.clock-toggle').forEach(function (box) {
    box.addEventListener('change', function () {
      box.closest('figure').setAttribute('data-clock', box.checked ? 'night' : 'scenario');
    });
  });
  document.querySelectorAll('button.copy').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var text = btn.getAttribute('data-copy');
      var done = function () { btn.textContent = 'copied'; setTimeout(function () { btn.textContent = 'copy'; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, function () {});
      else { var t = document.createElement('textarea'); t.value = text; document.body.appendChild(t); t.select(); try { document.execCommand('copy'); done(); } catch (e) {} t.remove(); }
    });
  });
  measureBar();
  parseHash();
  apply();
  reveal();
})();
`;
