// The replay table says what a number is not: a migration that outlasted its trace is
// marked and warned about, and the oracle's infeasible case is no result ("-").
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

describe('replay table notes', () => {
  it('marks and warns about a migration that wrapped the trace; prints the infeasible oracle as "-"', async () => {
    const r = await cli(['replay', 'traces/redis_bench.arrow', '--algo', 'precopy,oracle', '--bandwidth', '10Mbit', '--downtime-limit', '0', '--max-time', '30s']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^migreplay: warning: the migrations of precopy outlasted the 20\.01 s trace \(up to 1190 s\): it was repeated from its start/m);
    const rows = r.stdout.split('\n');
    const precopy = rows.find((l) => l.startsWith('precopy'))!;
    expect(precopy).toMatch(/1190 .*\(wrapped\)$/);
    const oracle = rows.find((l) => l.startsWith('oracle'))!.split(/\s{2,}/);
    expect(oracle).toEqual(['oracle', '-', '-', '-', 'never', '-', '-', '-', 'infeasible']);
    expect(r.stdout).toMatch(/\(wrapped\): the migration outlasted the 20\.01 s trace/);
    expect(r.stdout).toMatch(/infeasible: no pre-copy schedule fits the downtime limit/);
  }, 60_000);

  it('says nothing of wrapping when nothing wrapped', async () => {
    const r = await cli(['replay', 'traces/xz6.arrow', '--algo', 'postcopy']);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/outlasted/);
    expect(r.stdout).not.toMatch(/wrapped/);
  }, 60_000);
});

describe('inspect numbers', () => {
  it('a mean of pages never reads above its max (whole pages from 1000 on)', async () => {
    const r = await cli(['inspect', 'traces/sort.arrow']);
    expect(r.status).toBe(0);
    const m = /dirty\/epoch {2}mean (\d+), p50 \d+, p99 \d+, max (\d+)/.exec(r.stdout)!;
    expect(Number(m[1])).toBeLessThanOrEqual(Number(m[2]));
    for (const line of r.stdout.split('\n').filter((l) => /^\s+[0-9.]+\s+\d+\s+\d+\s+\d+$/.test(l))) {
      const [, , mean, max] = line.trim().split(/\s+/).map(Number);
      expect(mean!).toBeLessThanOrEqual(max!);
      expect(Number.isInteger(mean)).toBe(true);
    }
  }, 60_000);
});
