// Pictures that don't mislead, in the browser: the explorer (its Vite bundle, served by
// `migreplay explore`'s server in-process, in Debian's Chromium driven by playwright-core)
// names the trace in its command line as the user gave it and draws per-round pages on a
// log scale; its `--out` site opened from file:// says to serve it instead of showing a
// blank page.
// Chromium missing skips these tests, saying so (MIGREPLAY_REQUIRE_BROWSER=1, as CI sets,
// makes that a failure; test/helpers/browser.ts). MIGREPLAY_PICTURES_DIR=DIR keeps the
// screenshots there, to look at.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPLORER_BUNDLE, startExplorer, writeExplorer, type ExplorerServer } from '../src/cli/explore.js';
import { CHROMIUM, describeInBrowser, ensureBundle } from './helpers/browser.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PICTURES = process.env.MIGREPLAY_PICTURES_DIR;
const DEFAULT_ALGOS = ['precopy', 'xen', 'xen-v2', 'qemu', 'postcopy'];


describeInBrowser('pictures in Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    await ensureBundle();
    dir = mkdtempSync(join(tmpdir(), 'migreplay-pictures-browser-'));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function shot(page: Page, name: string): Promise<void> {
    if (!PICTURES) return;
    mkdirSync(PICTURES, { recursive: true });
    await page.screenshot({ path: join(PICTURES, `${name}.png`), fullPage: true });
  }

  describe('the explorer served by migreplay explore', () => {
    let server: ExplorerServer;
    let page: Page;
    const problems: string[] = [];

    const updates = () => page.evaluate(() => (window as unknown as { migreplay: { updates: number } }).migreplay.updates);
    const waitForUpdate = (after: number) =>
      page.waitForFunction((n) => {
        const w = window as unknown as { migreplay?: { updates: number } };
        return (w.migreplay?.updates ?? 0) > n && document.body.dataset.state === 'ready';
      }, after, { timeout: 30_000 });

    beforeAll(async () => {
      // `migreplay explore sqlite.arrow`, run in the folder that holds it.
      const folder = join(dir, 'captures');
      mkdirSync(folder);
      copyFileSync(join(ROOT, 'traces/gzip9.arrow'), join(folder, 'sqlite.arrow'));
      const cwd = process.cwd();
      process.chdir(folder);
      try {
        server = await startExplorer({ port: 0, trace: 'sqlite.arrow' });
      } finally {
        process.chdir(cwd);
      }
      page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    }, 60_000);

    afterAll(async () => {
      await page?.close();
      await server?.close();
    });

    it('writes the trace in the command line as it was given: sqlite.arrow, not traces/sqlite.arrow', async () => {
      await page.goto(server.url);
      await waitForUpdate(0);
      expect(await page.locator('#trace-info').textContent()).toMatch(/^sqlite\.arrow: /);
      expect(await page.locator('#cli').textContent()).toBe(`migreplay replay sqlite.arrow --algo ${DEFAULT_ALGOS.join(',')} --bandwidth 1Gbit`);
      // A shipped trace is named where it lies in the package.
      const n = await updates();
      await page.locator('#trace-select').selectOption('xz6.arrow');
      await waitForUpdate(n);
      expect(await page.locator('#cli').textContent()).toMatch(/^migreplay replay traces\/xz6\.arrow --algo /);
      expect(await page.locator('#needs-http').isVisible()).toBe(false);
      expect(problems).toEqual([]);
    }, 60_000);

    it('uses the path the trace index gives, quoted for the shell', async () => {
      const other = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
      try {
        await other.route('**/traces/index.json', async (route) => {
          const index = await (await route.fetch()).json();
          index.traces[0].path = '../my runs/sqlite.arrow';
          await route.fulfill({ json: index });
        });
        await other.goto(server.url);
        await other.waitForFunction(() => document.body.dataset.state === 'ready' && (document.getElementById('cli')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
        expect(await other.locator('#cli').textContent()).toMatch(/^migreplay replay '\.\.\/my runs\/sqlite\.arrow' --algo /);
      } finally {
        await other.close();
      }
    }, 60_000);

    it('draws per-round pages on a log scale: the later rounds are bars, not hairlines', async () => {
      await page.goto(`${server.url}?trace=xz6.arrow`);
      await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.querySelectorAll('#charts svg').length > 0, undefined, { timeout: 30_000 });
      const charts = page.locator('#charts svg');
      expect(await charts.count()).toBe(DEFAULT_ALGOS.length);
      expect(await page.locator('#charts svg[data-scale="log"]').count()).toBe(DEFAULT_ALGOS.length);
      // xen's rounds after the full copy send about a tenth of it: on screen they are a good part of its height.
      const bars = await page.$$eval('#charts svg[aria-label^="rounds of xen,"] rect[data-pages]', (rs) => rs.map((r) => ({ pages: Number(r.getAttribute('data-pages')), height: r.getBoundingClientRect().height })));
      expect(bars.length).toBeGreaterThan(5);
      const full = bars[0]!;
      const later = bars.slice(1).filter((b) => b.pages > 0 && b.pages < full.pages / 5);
      expect(later.length).toBeGreaterThan(3);
      for (const b of later) expect(b.height / full.height).toBeGreaterThan(0.5);
      expect(await page.locator('.legend').textContent()).toContain('log scale');
      await page.locator('#charts').scrollIntoViewIfNeeded();
      await shot(page, 'explorer-rounds');
      expect(problems).toEqual([]);
    }, 60_000);
  });

  describe('the --out site opened from file://', () => {
    it('says it has to be served, and how, instead of a blank page', async () => {
      const site = join(dir, 'site');
      writeExplorer(site);
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        await page.goto(pathToFileURL(join(site, 'index.html')).href, { waitUntil: 'load' });
        const message = page.locator('#needs-http');
        await message.waitFor({ state: 'visible', timeout: 10_000 });
        expect(await page.evaluate(() => document.body.dataset.state)).toBe('needs-http');
        const text = (await message.innerText()).replace(/\s+/g, ' ');
        expect(text).toContain('This page has to be served over HTTP');
        expect(text).toContain(`npx serve ${site}`);
        expect(text).toContain('migreplay explore');
        const box = (await message.boundingBox())!;
        expect(box.width).toBeGreaterThan(400);
        expect(box.height).toBeGreaterThan(150);
        // The inert controls are out of the way.
        expect(await page.locator('aside').isVisible()).toBe(false);
        expect(await page.locator('main').isVisible()).toBe(false);
        await shot(page, 'explorer-file-url');
      } finally {
        await page.close();
      }
    }, 60_000);
  });
});
