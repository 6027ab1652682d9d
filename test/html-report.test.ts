/**
 * report.html: the rendering (unit) and the page as a browser shows it (Debian's chromium via
 * playwright-core, no browser download): no console errors, the first failure visible without
 * scrolling, the verdict filter and search, collapsed passes, and every plot's data marks.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Evidence } from '../harness/model/check.ts';
import type { RunResult } from '../harness/model/results.ts';
import { renderHtml } from '../harness/reporters/html/index.ts';
import { MAX_DRAWN } from '../harness/reporters/html/plots/cdf.ts';
import { rerunCommand } from '../harness/reporters/html/scenario.ts';
import { planRun } from '../harness/runner/run.ts';
import { failingRun } from './fixtures/results/failing-run.ts';
import { chromium as chromiumNeed } from './helpers/requires.ts';
import { tempDir } from './helpers/tmp.ts';

/** How many data marks a plot of `e` must draw (undefined: not a plot). */
function expectedMarks(e: Evidence): number | undefined {
  switch (e.kind) {
    case 'swimlane':
      return e.lanes.reduce((n, l) => n + l.spans.length + l.markers.length, 0);
    case 'distribution':
      return e.series.reduce((n, s) => n + Math.min(s.samples.length, MAX_DRAWN), 0);
    case 'expected-measured':
      return e.items.reduce((n, i) => n + 1 + (i.measured === null ? 0 : 1), 0);
    case 'series':
      return e.series.reduce((n, s) => n + s.points.length, 0);
    default:
      return undefined;
  }
}

/** Plots in the order the page draws them (scenarios failing-first, as the report orders them). */
function plotsInPageOrder(r: RunResult, html: string): Array<{ kind: string; marks: number }> {
  const order = [...html.matchAll(/<section class="scenario[^"]*" id="s(\d+)"/g)].map((m) => Number(m[1]));
  return order.flatMap((i) =>
    r.scenarios[i]!.checks.flatMap((c) =>
      c.evidence.flatMap((e) => {
        const marks = expectedMarks(e);
        return marks === undefined ? [] : [{ kind: e.kind === 'distribution' ? 'cdf' : e.kind, marks }];
      }),
    ),
  );
}

describe('report.html rendering', () => {
  const run = failingRun();
  const html = renderHtml(run);

  it('puts the failure banner before every scenario and lists each fail/error with its reason and a link', () => {
    const banner = html.indexOf('id="failures"');
    expect(banner).toBeGreaterThan(0);
    expect(banner).toBeLessThan(html.indexOf('class="scenario'));
    const items = [
      ...html
        .slice(banner, html.indexOf('</section>', banner))
        .matchAll(/<li class="v-(fail|error)"[^>]*>.*?href="#(c\d+-\d+)"/g),
    ];
    expect(items.map((m) => m[1])).toEqual(['fail', 'error']);
    for (const [, , anchor] of items) expect(html).toContain(`id="${anchor}"`);
    expect(html).toContain('the gateway dropped the session by DPD during sleep');
  });

  it('draws a plot per plot-kind evidence with data-points equal to its data', () => {
    const drawn = [...html.matchAll(/<svg class="plot" data-plot="([\w-]+)" data-points="(\d+)"/g)].map((m) => ({
      kind: m[1]!,
      marks: Number(m[2]),
    }));
    expect(drawn).toEqual(plotsInPageOrder(run, html));
    expect(drawn.map((d) => d.kind).sort()).toEqual(['cdf', 'expected-measured', 'swimlane', 'swimlane']);
  });

  it('says the rerun command and file:line; quotes an id with shell and regex metacharacters', () => {
    expect(html).toContain('npx netconform run profiles/darkwake.yaml --grep &#39;^churn-dpd$&#39;');
    expect(html).toContain('profiles/darkwake.yaml:52');
    expect(rerunCommand({ file: 'my profiles/x.yaml', id: "odd id's.x" })).toBe(
      `npx netconform run 'my profiles/x.yaml' --grep '^odd id'\\''s\\.x$'`,
    );
  });

  it('escapes profile-given text and needs no network (no src/href to another origin)', () => {
    const r = failingRun();
    r.scenarios[0]!.checks[0]!.reason = '<img src=x onerror=alert(1)>';
    const out = renderHtml(r);
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;img src=x');
    expect(out).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("takes each scenario's line from the profile (the `- id:` item)", async () => {
    const plan = await planRun({ files: ['profiles/darkwake.yaml'] });
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile('profiles/darkwake.yaml', 'utf8')).split('\n');
    for (const p of plan) {
      const line = p.profile.scenarioLines[p.spec.id]!;
      expect(lines[line - 1]).toMatch(new RegExp(`^\\s*- id: ${p.spec.id}\\s*$`));
    }
  });
});

const chromium = chromiumNeed();
describe.skipIf(!chromium.ok)(chromium.title('report.html in headless chromium'), () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const run = failingRun();

  beforeAll(async () => {
    const { chromium: pw } = await import('playwright-core');
    browser = await pw.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const dir = await tempDir('nc-html-');
    const file = join(dir, 'report.html');
    await writeFile(file, renderHtml(run));
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) problems.push(`network request: ${req.url()}`);
    });
    await page.goto(`file://${file}`);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads without console errors or network requests', () => {
    expect(problems).toEqual([]);
  });

  it('shows the first failing check without scrolling, and its link opens the check', async () => {
    const first = page.locator('#failures li').first();
    await expect(first.textContent()).resolves.toContain('churn-dpd');
    const box = (await first.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(800);
    await first.locator('a').click();
    const target = page.locator('#c2-0');
    await expect(target.isVisible()).resolves.toBe(true);
  });

  it('collapses passes and xfails, keeps failures open, and draws xfail unlike pass', async () => {
    const open = await page.$$eval('section.scenario', (ss) =>
      ss.map((s) => [s.getAttribute('data-verdict'), s.querySelector('details')!.hasAttribute('open')]),
    );
    for (const [verdict, isOpen] of open)
      expect([verdict, isOpen]).toEqual([verdict, !(verdict === 'pass' || verdict === 'xfail')]);
    const colour = (v: string) =>
      page.$eval(`.toolbar label.v-${v} .badge`, (b) => {
        const s = (
          globalThis as unknown as {
            getComputedStyle(e: unknown): { backgroundColor: string; color: string; outlineStyle: string };
          }
        ).getComputedStyle(b);
        return `${s.backgroundColor} ${s.color} ${s.outlineStyle}`;
      });
    expect(await colour('xfail')).not.toBe(await colour('pass'));
  });

  it('hides passing checks (and all-pass scenarios) when "pass" is unticked; search narrows to matching scenarios', async () => {
    await page.locator('input[data-filter="pass"]').uncheck();
    const visible = (sel: string) =>
      page.$$eval(
        sel,
        (els) => els.filter((e) => (e as unknown as { offsetParent: unknown }).offsetParent !== null).length,
      );
    expect(await visible('ul.checks > li[data-verdict="pass"]')).toBe(0);
    expect(await visible('section.scenario[data-verdict="pass"]')).toBe(0);
    expect(await visible('ul.checks > li[data-verdict="fail"]')).toBe(1);
    await page.locator('input[data-filter="pass"]').check();
    await page.locator('#search').fill('group-peers');
    expect(await visible('section.scenario')).toBe(1);
    await page.locator('#search').fill('');
    expect(await visible('section.scenario')).toBe(run.scenarios.length);
  });

  it('renders each plot with one mark per data point', async () => {
    await page.$$eval('details', (ds) => ds.forEach((d) => d.setAttribute('open', '')));
    const plots = await page.$$eval('svg.plot', (svgs) =>
      svgs.map((s) => {
        const r = s.getBoundingClientRect();
        const marks = [...s.querySelectorAll('.pt')];
        return {
          kind: s.getAttribute('data-plot')!,
          marks: marks.length,
          drawn: marks.filter((m) => {
            const b = m.getBoundingClientRect();
            return b.width > 0 || b.height > 0;
          }).length,
          area: r.width * r.height,
        };
      }),
    );
    const html = await page.content();
    expect(plots.map((p) => ({ kind: p.kind, marks: p.marks }))).toEqual(plotsInPageOrder(run, html));
    for (const p of plots) {
      expect(p.area).toBeGreaterThan(0);
      expect(p.drawn).toBe(p.marks);
    }
  });
});
