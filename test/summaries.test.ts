// One stderr line per written file, sweep progress off a terminal, convert's positionals
// in --help, and charts of a replay with 200 000 rounds (no spread over big arrays).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsDocument } from '../src/output/results.js';
import { logScale, logTicks, metricBarSpec, roundsSpec } from '../src/plot/replay.js';
import { decideScales, maxOf, minOf, spansDecade } from '../src/plot/scales.js';
import { cli, ROOT } from './helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-summaries-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const TRACE = path.join(ROOT, 'traces', 'gzip9.arrow');
const inDir = (f: string) => path.join(dir, f);
const lines = (s: string) => s.split('\n').filter(Boolean);

describe('a command that writes a file says so on stderr, in one line', () => {
  it('replay --out and --plot, then report', async () => {
    const r = await cli(['replay', TRACE, '--algo', 'precopy,qemu', '--out', inDir('r.json'), '--plot', inDir('r.svg')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/wrote/);
    const wrote = lines(r.stderr).filter((l) => !l.startsWith('migreplay: warning: '));
    expect(wrote).toHaveLength(2);
    expect(wrote[0]).toMatch(new RegExp(`^migreplay: wrote ${inDir('r.json')} \\(2 results, \\d+ (B|KiB|MiB)\\)$`));
    expect(wrote[1]).toMatch(new RegExp(`^migreplay: wrote ${inDir('r.svg')} \\(\\d+ (B|KiB|MiB)\\)$`));

    const rep = await cli(['report', inDir('r.json'), '--out', inDir('r.html'), '--trace', TRACE]);
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stdout).toBe('');
    expect(lines(rep.stderr).filter((l) => !l.startsWith('migreplay: warning: '))).toEqual([expect.stringMatching(new RegExp(`^migreplay: wrote ${inDir('r.html')} \\(\\d+ charts, \\d+ (KiB|MiB)\\)$`))]);
  });

  it('inspect --plot', async () => {
    const r = await cli(['inspect', TRACE, '--plot', inDir('t.svg')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/wrote/);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^migreplay: wrote ${inDir('t.svg')} \\(3 charts, \\d+ (KiB|MiB)\\)$`))]);
  });

  it('convert Arrow → CSV and --downsample, as CSV → Arrow does', async () => {
    const csv = await cli(['convert', TRACE, inDir('g.csv')]);
    expect(csv.status, csv.stderr).toBe(0);
    expect(csv.stderr).toMatch(new RegExp(`^${inDir('g.csv')}: \\d+ epochs, \\d+ page writes\\n$`));
    const down = await cli(['convert', TRACE, inDir('d.arrow'), '--downsample', '4']);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stderr).toMatch(new RegExp(`^${inDir('d.arrow')}: \\d+ epochs, \\d+ page writes\\n$`));
  });

  it('a failed command prints no such line', async () => {
    const r = await cli(['report', inDir('missing.json'), '--out', inDir('x.html')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/wrote/);
  });
});

it('convert --help describes its positional arguments', async () => {
  const r = await cli(['convert', '--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^ {2}in +the input: .*\[string\] \[required\]$/m);
  expect(r.stdout).toMatch(/^ {2}out +the output: /m);
});

it('sweep off a terminal prints plain progress lines on stderr, and one at the end', async () => {
  const r = await cli(['sweep', '--trace', TRACE, '--algo', 'precopy', '--set', 'max-iters=1..40+1', '--jobs', '1', '--out', inDir('s.arrow')], { env: { MIGREPLAY_PROGRESS_S: '0.05' } });
  expect(r.status, r.stderr).toBe(0);
  const progress = lines(r.stderr).filter((l) => l.startsWith('sweep: '));
  expect(progress.length).toBeGreaterThanOrEqual(1);
  expect(r.stderr).not.toMatch(/\x1b/); // no terminal bar
  for (const l of progress.slice(0, -1)) expect(l).toMatch(/^sweep: \d+\/40 runs, \d+ s, ~(\d+ s|\d+ min \d+ s|\?) left$/);
  expect(progress.at(-1)).toMatch(/^sweep: 40\/40 runs, \d+ s$/);
});

describe('a replay with 200 000 rounds', () => {
  const n = 200_000;
  const rounds = Array.from({ length: n }, (_, i) => ({ index: i, startS: i * 1e-4, durationS: 1e-4, pagesDirtied: (i % 97) + 1, pagesSent: (i % 89) + 1, pagesSkipped: 0, pagesDeferred: 0, final: i === n - 1, phase: 'precopy' }));
  const doc = {
    migreplay: { version: '0' },
    trace: { path: 'big.arrow', memPages: 1000, pageSize: 4096, epochs: 10, events: 100, durationS: 20 },
    link: { bandwidthBytesPerS: 125e6, startS: 0, resumeMs: 0 },
    results: [{ algorithm: 'precopy', params: {}, pagesSent: 1e7, bytesSent: 4e10, totalTimeS: 20, downtimeMs: 5, converged: true, iterations: n, overheadRatio: 1e4, stopReason: 'max-iterations', wrapped: false, rounds }],
  } as unknown as ResultsDocument;
  const big = rounds.map((r) => r.pagesSent);

  it('its round charts and scales are built (no stack overflow)', () => {
    expect(logScale(big).domain).toEqual([1 / 1.6, 89 * 1.6]);
    expect(logTicks(big).length).toBeGreaterThan(0);
    expect(spansDecade(big)).toBe(true);
    expect(decideScales({ pagesSent: big }).pagesSent).toBe('log');
    expect(minOf(big)).toBe(1);
    expect(maxOf(big)).toBe(89);
    expect(roundsSpec(doc, 'pagesSent')).toBeTruthy();
    expect(roundsSpec(doc, 'pagesDirtied')).toBeTruthy();
    expect(metricBarSpec(doc, 'pagesSent')).toBeTruthy();
  });
});
