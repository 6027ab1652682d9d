/**
 * report.html with many failures, on a laptop (1440×900) and a phone (390×844), in Debian's
 * chromium through playwright-core: the banner folds and follows the filters, a followed link
 * lands below the sticky bar, the filter state is in the URL, an empty search says so, nothing
 * overflows the phone's width, and every plot's axis covers what it shows and draws its bound.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { matrixMismatches, type Evidence, type MatrixEvidence } from '../harness/model/check.ts';
import type { RunResult } from '../harness/model/results.ts';
import { BANNER_OPEN } from '../harness/reporters/html/banner.ts';
import { renderHtml } from '../harness/reporters/html/index.ts';
import { matrixMarkdown } from '../harness/reporters/github-summary.ts';
import { manyFailures } from './fixtures/results/many-failures.ts';
import { chromium as chromiumNeed } from './helpers/requires.ts';
import { tempDir } from './helpers/tmp.ts';

const tlsMatrix: MatrixEvidence = {
  kind: 'matrix',
  title: 'variant × what the server saw',
  rowLabel: 'variant',
  rows: ['valid', 'expired', 'wrong-host'],
  cols: ['expected', 'observed', 'server saw'],
  cells: [
    ['accepted', 'accepted', 'TLSv1.3; 12 B data'],
    ['refused', 'accepted', 'TLSv1.3; 12 B data'],
    ['refused', 'refused', 'alert 42'],
  ],
  compare: { expected: 0, observed: 1 },
};

/** The 14-failure run with one piece of evidence of each kind the layout tests look at. */
function run(): RunResult {
  const r = manyFailures();
  const add = (id: string, e: Evidence) => {
    r.scenarios.find((s) => s.id === id)!.checks[0]!.evidence.push(e);
  };
  add('client-verifies', tlsMatrix);
  add('ka-1', {
    kind: 'expected-measured',
    title: 'dead-peer detection time: expected vs measured',
    unit: 'ms',
    items: [{ name: 'node-keepalive', expected: 3000, measured: null, tolerance: 500, ok: false, waited: 6500 }],
  });
  add('ka-1', {
    kind: 'numbers',
    title: 'expected vs measured, with a title much longer than the two-row table under it',
    values: { a: 1, b: 2 },
  });
  add('group-1', {
    kind: 'distribution',
    title: 'one-way latency per pair (CDF)',
    unit: 'ms',
    series: [{ name: 'p1→p2', samples: Array.from({ length: 50 }, (_, i) => 0.05 + i * 0.004) }],
    bound: { quantile: 0.99, value: 0.5, label: 'p99 ≤ 0.5 ms' },
  });
  add('churn-1', {
    kind: 'swimlane',
    title: 'night (sleep 15m, dark wake 30s, full wake 15m)',
    lanes: [
      {
        name: 'client',
        markers: [{ t: 50, marker: 'handshake' }],
        spans: [
          { state: 'sleep', fromMs: 0, toMs: 3600, nightFromMs: 0, nightToMs: 900_000 },
          { state: 'darkwake', fromMs: 3600, toMs: 3900, nightFromMs: 900_000, nightToMs: 930_000 },
          { state: 'fullwake', fromMs: 3900, toMs: 7500, nightFromMs: 930_000, nightToMs: 1_830_000 },
        ],
      },
    ],
  });
  add('churn-2', {
    kind: 'timeline',
    title: 'wide',
    events: Array.from({ length: 3 }, (_, i) => ({
      t: i,
      source: 'gateway',
      event: 'x'.repeat(90),
      detail: 'no-spaces-'.repeat(20),
    })),
  });
  return r;
}

describe('matrix compare (no browser)', () => {
  it('marks each observed cell unlike its expected one, and only those', () => {
    expect(matrixMismatches(tlsMatrix)).toEqual([[1, 1]]);
    expect(matrixMismatches({ ...tlsMatrix, mismatches: [[0, 2]] })).toEqual([
      [0, 2],
      [1, 1],
    ]);
    expect(matrixMarkdown(tlsMatrix)).toContain('| expired | refused | **accepted** ← | TLSv1.3; 12 B data |');
  });

  it('lists the scenarios a stopped run did not reach, "not run (--bail)"', () => {
    const html = renderHtml({
      ...run(),
      notRun: 1,
      maxFailures: 1,
      notRunScenarios: [
        { profile: 'tls', id: 'later', use: 'tls.client-verifies', file: 'profiles/tls.yaml', line: 40 },
      ],
    });
    expect(html).toContain('<summary>1 scenario not run (--bail)</summary>');
    expect(html).toMatch(
      /<li data-verdict="skip"><span class="badge">skip<\/span> tls › later <small>tls\.client-verifies · profiles\/tls\.yaml:40<\/small><\/li>/,
    );
  });
});

const chromium = chromiumNeed();
describe.skipIf(!chromium.ok)(chromium.title('report.html layout in headless chromium'), () => {
  let browser: Browser;
  let file = '';
  const r = run();
  const failing = r.summary.failed + r.summary.errors;

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
    file = join(await tempDir('nc-html-layout-'), 'report.html');
    await writeFile(file, renderHtml(r));
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(width: number, height: number, hash = ''): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`file://${file}${hash}`);
    expect(problems).toEqual([]);
    return page;
  }
  const visible = (page: Page, sel: string) =>
    page.$$eval(
      sel,
      (els) => els.filter((e) => (e as unknown as { checkVisibility(): boolean }).checkVisibility()).length,
    );

  describe('1440×900', () => {
    it(`folds the banner past ${BANNER_OPEN} of ${failing} failures: it ends in the top half, the bar and a scenario are in the fold`, async () => {
      const page = await open(1440, 900);
      expect(await visible(page, '#failures li')).toBe(BANNER_OPEN);
      await expect(page.locator('#failures details.more summary').textContent()).resolves.toBe(
        `${failing - BANNER_OPEN} more failed checks`,
      );
      const banner = (await page.locator('#failures').boundingBox())!;
      expect(banner.y + banner.height).toBeLessThan(450);
      const first = (await page.locator('section.scenario').first().boundingBox())!;
      expect(first.y).toBeLessThan(900);
      await page.close();
    });

    it('a banner link, folded or not, puts its check below the sticky bar', async () => {
      const page = await open(1440, 900);
      await page.locator('#failures details.more summary').click();
      for (const link of [page.locator('#failures li a').nth(1), page.locator('#failures li a').last()]) {
        await link.click();
        const id = (await link.getAttribute('href'))!.slice(1);
        const bar = (await page.locator('.toolbar').boundingBox())!;
        const target = (await page.locator(`[id="${id}"]`).boundingBox())!;
        expect(target.y).toBeGreaterThanOrEqual(bar.y + bar.height - 1);
        expect(target.y).toBeLessThan(900);
        expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe(
          `#${id}`,
        );
      }
      await page.close();
    });

    it('the verdict filters and the search apply to the banner; the state is in the URL and survives a reload', async () => {
      const page = await open(1440, 900);
      await page.locator('input[data-filter="fail"]').uncheck();
      expect(
        await page.$$eval('#failures li:not(.hidden)', (els) => els.map((e) => e.getAttribute('data-verdict'))),
      ).toEqual(['error']);
      await expect(page.locator('#failures .shown').textContent()).resolves.toBe(' (1 shown)');
      await page.locator('input[data-filter="fail"]').check();
      await page.locator('#search').fill('keepalive');
      expect(await page.$$eval('#failures li:not(.hidden)', (els) => els.length)).toBe(3);
      expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe(
        '#?q=keepalive',
      );
      await page.locator('input[data-filter="pass"]').uncheck();
      expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe(
        '#?q=keepalive&hide=pass',
      );
      const shown = await visible(page, 'section.scenario');
      await page.reload();
      await expect(page.locator('#search').inputValue()).resolves.toBe('keepalive');
      await expect(page.locator('input[data-filter="pass"]').isChecked()).resolves.toBe(false);
      expect(await visible(page, 'section.scenario')).toBe(shown);
      await page.close();
    });

    it('an empty search says so', async () => {
      const page = await open(1440, 900, '#?q=no-such-thing');
      expect(await visible(page, 'section.scenario')).toBe(0);
      await expect(page.locator('#no-match').isVisible()).resolves.toBe(true);
      await expect(page.locator('#no-match').textContent()).resolves.toContain('No scenario matches “no-such-thing”');
      await expect(page.locator('#failures .none').isVisible()).resolves.toBe(true);
      await page.locator('#search').fill('');
      await expect(page.locator('#no-match').isVisible()).resolves.toBe(false);
      await page.close();
    });
  });

  describe('390×844 (a phone)', () => {
    it('nothing is wider than the page: wide tables scroll inside their section; the sticky bar is one row', async () => {
      const page = await open(390, 844);
      await page.$$eval('details', (ds) => ds.forEach((d) => d.setAttribute('open', '')));
      expect(
        await page.evaluate(
          () =>
            (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
              .documentElement.scrollWidth,
        ),
      ).toBeLessThanOrEqual(390);
      const scrollers = await page.$$eval('.scroll', (els) =>
        els.map((e) => ({ client: e.clientWidth, scroll: e.scrollWidth })),
      );
      expect(scrollers.some((s) => s.scroll > s.client)).toBe(true); // the wide timeline scrolls in place
      for (const s of scrollers) expect(s.client).toBeLessThanOrEqual(390);
      const tops = await page.$$eval('.toolbar > *', (els) =>
        els.map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2)),
      );
      expect(Math.max(...tops) - Math.min(...tops)).toBeLessThanOrEqual(4);
      expect((await page.locator('.toolbar').boundingBox())!.height).toBeLessThan(60);
      await page.close();
    });

    it('a banner link puts its check below the one-row bar', async () => {
      const page = await open(390, 844);
      const link = page.locator('#failures li a').nth(2);
      await link.click();
      const bar = (await page.locator('.toolbar').boundingBox())!;
      const target = (await page.locator(`[id="${(await link.getAttribute('href'))!.slice(1)}"]`).boundingBox())!;
      expect(target.y).toBeGreaterThanOrEqual(bar.y + bar.height - 1);
      expect(target.y).toBeLessThan(844);
      await page.close();
    });
  });

  describe('plots (1440×900)', () => {
    let page: Page;
    beforeAll(async () => {
      page = await open(1440, 900);
      await page.$$eval('details', (ds) => ds.forEach((d) => d.setAttribute('open', '')));
    });
    afterAll(async () => page?.close());

    /** The largest number among an svg's axis tick labels. */
    const axisMax = (sel: string) =>
      page.$eval(sel, (svg) =>
        Math.max(...[...svg.querySelectorAll('g.axis text')].map((t) => Number(t.textContent)).filter(Number.isFinite)),
      );

    it('expected-measured: the axis covers the wait, which is drawn; the bounds are drawn', async () => {
      const sel = 'svg[data-plot="expected-measured"]';
      const [end, waited] = await page.$eval(sel, (svg) => {
        const axis = svg.querySelector('g.axis line')!;
        const bar = svg.querySelector('rect.waited')!;
        return [Number(axis.getAttribute('x2')), Number(bar.getAttribute('x')) + Number(bar.getAttribute('width'))];
      });
      expect(waited).toBeLessThanOrEqual(end);
      expect(await axisMax(sel)).toBeGreaterThanOrEqual(6000);
      await expect(page.locator(`${sel} rect.waited title`).textContent()).resolves.toBe(
        'measured: nothing within the 6500 ms waited',
      );
      expect(await page.locator(`${sel} line.bound`).count()).toBe(2);
    });

    it('the CDF draws its p99 bound inside the axis', async () => {
      const sel = 'svg[data-plot="cdf"]';
      expect(await axisMax(sel)).toBeGreaterThanOrEqual(0.5);
      await expect(page.locator(`${sel} g.bound title`).textContent()).resolves.toBe('expected: p99 ≤ 0.5 ms');
    });

    it("the swimlane offers the unscaled night's clock", async () => {
      const fig = page.locator('figure.swimlane').filter({ has: page.locator('input.clock-toggle') });
      await expect(fig.locator('.clock-scenario').isVisible()).resolves.toBe(true);
      await expect(fig.locator('.clock-night').isVisible()).resolves.toBe(false);
      await fig.locator('input.clock-toggle').check();
      await expect(fig.locator('.clock-night').isVisible()).resolves.toBe(true);
      await expect(fig.locator('.clock-scenario').isVisible()).resolves.toBe(false);
      const labels = await fig.locator('.clock-night text').allTextContents();
      expect(labels.slice(0, 4)).toEqual(['0', '10m', '20m', '30m']);
      // 10 min into the night lies inside the 15-min sleep, scaled to 3.6 s: 2/3 of its width.
      const x = await fig.locator('.clock-night text', { hasText: /^10m$/ }).getAttribute('x');
      const sleep = await fig
        .locator('rect.s-sleep')
        .evaluate((r) => [Number(r.getAttribute('x')), Number(r.getAttribute('width'))]);
      expect(Number(x)).toBeCloseTo(sleep[0]! + (sleep[1]! * 2) / 3, 0);
      expect(labels.at(-1)).toMatch(/night's clock/);
    });

    it("a table's caption is not squeezed to the table's width", async () => {
      const fig = page.locator('figure.numbers-view').first();
      const cap = (await fig.locator('figcaption').boundingBox())!;
      const table = (await fig.locator('table').boundingBox())!;
      expect(cap.width).toBeGreaterThan(table.width);
      expect(cap.height).toBeLessThan(30); // one line
    });

    it('the TLS matrix colours the observed cell that differs, not the context beside it', async () => {
      const classes = await page.$$eval('table.matrix', (ts) => {
        const t = ts.find((x) => x.textContent!.includes('server saw'))!;
        return [...t.querySelectorAll('tr')]
          .slice(1)
          .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.className));
      });
      expect(classes).toEqual([
        ['ctx', 'ok', 'ctx'],
        ['ctx', 'bad', 'ctx'],
        ['ctx', 'ok', 'ctx'],
      ]);
    });
  });
});
