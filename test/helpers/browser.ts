// The browser the *.browser.test.ts suites drive (playwright-core): Debian's Chromium.
//
//   MIGREPLAY_CHROMIUM=PATH        another Chromium (default /usr/bin/chromium)
//   MIGREPLAY_SKIP_BROWSER=1       skip the browser tests
//   MIGREPLAY_REQUIRE_BROWSER=1    fail instead of skipping when Chromium is missing (CI)
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { EXPLORER_BUNDLE } from '../../src/cli/explore.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const CHROMIUM = process.env.MIGREPLAY_CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests do not run here, or undefined when they do. */
export function browserSkipReason(): string | undefined {
  if (process.env.MIGREPLAY_SKIP_BROWSER === '1') return 'MIGREPLAY_SKIP_BROWSER=1';
  if (fs.existsSync(CHROMIUM) || process.env.MIGREPLAY_REQUIRE_BROWSER === '1') return undefined;
  return `no Chromium at ${CHROMIUM} (apt-get install chromium, or point MIGREPLAY_CHROMIUM at one)`;
}

/**
 * `describe(name, body)` when the browser tests run; otherwise one skipped test that
 * says which suite is skipped and why, and the same on stderr, so a run without Chromium
 * shows it instead of failing.
 */
export function describeInBrowser(name: string, body: () => void): void {
  const why = browserSkipReason();
  if (why === undefined) {
    describe(name, body);
    return;
  }
  console.warn(`migreplay tests: skipped '${name}': ${why}`);
  describe(name, () => {
    it.skip(`skipped: ${why}`, () => {});
  });
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Build the explorer page with Vite unless dist-explorer/ is newer than everything it is built from. */
export async function ensureBundle(): Promise<void> {
  const index = join(EXPLORER_BUNDLE, 'index.html');
  const sources = Math.max(newestMtime(join(ROOT, 'explorer')), newestMtime(join(ROOT, 'src')), fs.statSync(join(ROOT, 'build/kernel.wasm')).mtimeMs);
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs > sources) return;
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'explorer/vite.config.ts'), logLevel: 'error' });
}
