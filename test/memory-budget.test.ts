// The memory budget for decoded traces (--memory, src/io/memory.ts): what it is, and
// that a trace kept in memory and one streamed from its file give the same results.
import { afterEach, describe, expect, it } from 'vitest';
import { MigreplayError } from '../src/errors.js';
import { MEMORY_ENV, memoryBudget, setMemoryBudget } from '../src/io/memory.js';
import { loadTraceForReplays } from '../src/cli/common.js';
import { cli } from './helpers/cli.js';

const SLOW = 120_000;

describe('memory budget', () => {
  const before = process.env[MEMORY_ENV];
  afterEach(() => {
    if (before === undefined) delete process.env[MEMORY_ENV];
    else process.env[MEMORY_ENV] = before;
  });

  it('is --memory when given, else a share of the free memory', () => {
    delete process.env[MEMORY_ENV];
    expect(memoryBudget()).toBeGreaterThan(0);
    setMemoryBudget('3MiB');
    expect(memoryBudget()).toBe(3 * 2 ** 20);
    setMemoryBudget('0');
    expect(memoryBudget()).toBe(0);
    expect(() => setMemoryBudget('-1GiB')).toThrow(MigreplayError);
    expect(() => setMemoryBudget('lots')).toThrow(MigreplayError);
  });

  it('keeps a trace that fits (every pass the same batches, nothing read again) and streams one that does not', () => {
    const kept = loadTraceForReplays('traces/gzip9.arrow', 2 ** 30);
    expect(kept.batches()).toBe(kept.batches());
    const streamed = loadTraceForReplays('traces/gzip9.arrow', 1000);
    expect(streamed.batches()).not.toBe(streamed.batches());
    const pages = (t: typeof kept) => [...t.batches()].reduce((n, b) => n + b.pages.length, 0);
    expect(pages(streamed)).toBe(kept.summary.events);
    expect(pages(kept)).toBe(kept.summary.events);
  }, SLOW);

  it('replay gives the same document whether the trace is kept or streamed, and --memory lasts one run', async () => {
    const args = ['replay', 'traces/xz6.arrow', '--algo', 'all', '--json'];
    const kept = await cli([...args, '--memory', '1GiB']);
    const streamed = await cli([...args, '--memory', '0']);
    expect(kept.status).toBe(0);
    expect(streamed.status).toBe(0);
    expect(streamed.stdout).toBe(kept.stdout);
    expect(process.env[MEMORY_ENV]).toBe(before);
    const bad = await cli([...args, '--memory', '-5']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  }, SLOW);
});
