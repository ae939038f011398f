// End to end: the report of a replay (and a small sweep) of a shipped trace, opened from
// disk in headless Chromium (Debian's chromium, driven by playwright-core): no console
// error, no request beyond the file itself, every chart drawn (a box and ink on screen),
// and one screenshot saved for the docs (docs/img/report.png).
// Without Chromium the suite is skipped, saying so (MIGREPLAY_REQUIRE_BROWSER=1, as CI
// sets, makes that a failure); MIGREPLAY_SKIP_BROWSER=1 skips it (test/helpers/browser.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { algorithms, findAlgorithm } from '../src/algorithms/index.js';
import { addOracleDistances, replay } from '../src/run/replay.js';
import { fileSource } from '../src/io/files.js';
import { createKernel } from '../src/kernel/node.js';
import { resultsDocument } from '../src/output/results.js';
import { buildReport } from '../src/report/html.js';
import { openTrace } from '../src/trace/read.js';
import { CHROMIUM, describeInBrowser } from './helpers/browser.js';

const SCREENSHOT = path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', 'docs', 'img', 'report.png');
const VIEWPORT = { width: 1280, height: 900 };

/** How much of a PNG is drawn: the share of pixels that are not near-white, and how many distinct colours (4 bits per channel). */
interface Ink { width: number; height: number; inkFraction: number; colours: number }

describeInBrowser('the report in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let analysis: Page;
  let file: string;
  const problems: string[] = [];
  const requests: string[] = [];

  // Decodes a screenshot with the browser's own PNG decoder, in a blank page of its own.
  const ink = (png: Buffer): Promise<Ink> =>
    analysis.evaluate(async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      const colours = new Set<number>();
      for (let i = 0; i < d.length; i += 4) {
        if (d[i]! < 235 || d[i + 1]! < 235 || d[i + 2]! < 235) inked++;
        colours.add(((d[i]! >> 4) << 8) | ((d[i + 1]! >> 4) << 4) | (d[i + 2]! >> 4));
      }
      return { width: canvas.width, height: canvas.height, inkFraction: inked / (d.length / 4), colours: colours.size };
    }, png.toString('base64'));

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium), point MIGREPLAY_CHROMIUM at it, or set MIGREPLAY_SKIP_BROWSER=1`);
    }
    const trace = openTrace(fileSource('traces/xz6.arrow'));
    const kernel = createKernel('wasm');
    const link = { bandwidthBytesPerS: 125e6, startS: 0, resumeMs: 0 };
    const results = algorithms.map((a) => replay(trace, a, kernel, link));
    addOracleDistances(trace, kernel, link, results, findAlgorithm);
    const doc = resultsDocument(trace, link, results);
    const rows = [];
    for (const bw of [100e6 / 8, 1e9 / 8, 10e9 / 8]) for (const id of ['xen', 'ma2010', 'qemu']) {
      const r = replay(trace, findAlgorithm(id)!, kernel, { ...link, bandwidthBytesPerS: bw });
      rows.push({ trace: trace.name, algorithm: id, bandwidthBytesPerS: bw, totalTimeS: r.totalTimeS, downtimeMs: r.downtimeMs, pagesSent: r.pagesSent, iterations: r.iterations, stopReason: r.stopReason });
    }
    const html = await buildReport({ results: [doc, ...rows], kernel });
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-browser-')), 'report.html');
    fs.writeFileSync(file, html);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url().slice(0, 80)}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    analysis = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }, 30_000);

  it('loads with no console error and fetches nothing but the file itself', () => {
    expect(problems).toEqual([]);
    const others = requests.filter((u) => u !== pathToFileURL(file).href && !u.startsWith('data:'));
    expect(others).toEqual([]);
  }, 30_000);

  it('has every section with its heading, reachable from the navigation', async () => {
    const sections = await page.$$eval('section', (els) => els.map((s) => ({ id: s.id, h2: s.querySelector(':scope > h2')?.textContent ?? '' })));
    expect(sections.map((s) => s.id)).toEqual(['trace', 'comparison', 'rounds', 'oracle', 'sweep']);
    for (const s of sections) expect(s.h2.length).toBeGreaterThan(3);
    const targets = await page.$$eval('nav a', (as) => as.map((a) => (a.getAttribute('href') ?? '').slice(1)));
    expect(targets).toEqual(sections.map((s) => s.id));
  }, 30_000);

  it('draws every chart: one <svg> each, with a real box on the page and ink in it', async () => {
    const charts = await page.$$('figure.chart');
    expect(charts.length).toBe(11); // trace 3, comparison 3, rounds 2, oracle 1, sweep 2
    expect(await page.$$eval('svg', (els) => els.length)).toBe(charts.length);
    for (const chart of charts) {
      const name = await chart.getAttribute('data-chart');
      const svgs = await chart.$$('svg');
      expect(svgs.length, name!).toBe(1);
      const box = await svgs[0]!.boundingBox();
      expect(box!.width, name!).toBeGreaterThan(300);
      expect(box!.height, name!).toBeGreaterThan(150);
      // Marks, axes and text drawn: the chart is not a blank (or single-colour) box.
      await svgs[0]!.scrollIntoViewIfNeeded();
      const seen = await ink(await svgs[0]!.screenshot());
      expect(seen.inkFraction, `${name}: share of drawn pixels`).toBeGreaterThan(0.02);
      expect(seen.colours, `${name}: distinct colours`).toBeGreaterThan(8);
    }
    // The heat map's raster is decoded and shown.
    const heat = await page.$('figure[data-chart="heatmap"] image');
    expect(heat).not.toBeNull();
    expect((await heat!.boundingBox())!.width).toBeGreaterThan(300);
  }, 120_000);

  it('fits the window width (no sideways scrolling)', async () => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(VIEWPORT.width);
  }, 30_000);

  it('takes a screenshot that is not blank, and saves one for the docs', async () => {
    const full = await page.screenshot({ fullPage: true });
    const seen = await ink(full);
    expect(seen.height).toBeGreaterThan(3000);
    expect(seen.inkFraction).toBeGreaterThan(0.05);
    expect(seen.colours).toBeGreaterThan(50);
    // For docs/report.md: the comparison section (table and bar charts) at 1280 px wide.
    await page.evaluate(() => window.scrollTo(0, 0));
    const section = await page.$('#comparison');
    const box = (await section!.boundingBox())!;
    const shot = await page.screenshot({ fullPage: true, clip: { x: 0, y: Math.max(0, box.y - 16), width: VIEWPORT.width, height: Math.min(box.height + 32, 1700) } });
    const docShot = await ink(shot);
    expect(docShot.inkFraction).toBeGreaterThan(0.05);
    expect(shot.byteLength).toBeLessThan(500 * 1024);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    fs.writeFileSync(SCREENSHOT, shot);
  }, 60_000);
});
