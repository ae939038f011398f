// `data_pages` metadata is checked where it is parsed (src/trace/data-pages.ts, called by
// the trace reader): a bad value is one 'schema' line and exit 2, the same from
// `inspect` as from `replay` of any algorithm that reads it (qemu, auto-converge,
// postcopy, the oracle) — never a model's own parse and an "internal error".
//
// Needs the build (`npm test` builds first; by hand: `npm run build`).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MigreplayError } from '../src/errors.js';
import { parseDataPages } from '../src/trace/data-pages.js';
import { cli } from './helpers/cli.js';
import { traceBytes } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-data-pages-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A 16-page trace file whose data_pages metadata is `dataPages`. */
function traceWith(name: string, dataPages: string): string {
  const file = path.join(dir, `${name}.arrow`);
  fs.writeFileSync(file, traceBytes({ memPages: 16, pageSize: 4096, intervalUs: 50_000, durationUs: 100_000, extra: { data_pages: dataPages } }, [[0, [1, 2]], [50_000, [3]]]));
  return file;
}

describe('parseDataPages', () => {
  it('reads ascending, disjoint inclusive ranges', () => {
    expect(parseDataPages('t', '0-3,5,7-15', 16)).toEqual([[0, 3], [5, 5], [7, 15]]);
    expect(parseDataPages('t', '', 16)).toEqual([]);
  });

  it.each([
    ['x', 'is not a page or an inclusive range a-b of plain page numbers'],
    ['3-1', 'ends before it starts'],
    ['0-16', 'reaches past the last page (mem_pages = 16)'],
    ['2,1', 'is not after the range before it'],
    ['1,,2', 'is not a page or an inclusive range'],
    ['0x1', 'is not a page or an inclusive range'],
  ])("refuses '%s' with a schema error", (text, why) => {
    let error: unknown;
    try {
      parseDataPages('t.arrow', text, 16);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigreplayError);
    expect((error as MigreplayError).code).toBe('schema');
    expect((error as MigreplayError).exitCode).toBe(2);
    expect((error as Error).message).toContain(why);
  });
});

describe('a trace with a bad data_pages', () => {
  const cases = [['letters', 'zero'], ['reversed', '5-2'], ['past-the-end', '0-99'], ['overlapping', '0-4,3-6']] as const;

  it.each(cases)('%s: inspect and every replay that reads it give the same one line, exit 2', async (name, value) => {
    const file = traceWith(name, value);
    const inspect = await cli(['inspect', file]);
    expect(inspect.status).toBe(2);
    const lines = inspect.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^migreplay: .*${name}\\.arrow: schema metadata 'data_pages': `));
    for (const algo of ['qemu', 'auto-converge', 'postcopy', 'oracle', 'all']) {
      const replay = await cli(['replay', file, '--algo', algo]);
      expect(replay.status, `replay --algo ${algo}`).toBe(2);
      expect(replay.stderr.trim(), `replay --algo ${algo}`).toBe(lines[0]);
      expect(replay.stdout).toBe('');
    }
  }, 120_000);

  it('a good data_pages replays (the check is not a refusal of every value)', async () => {
    const r = await cli(['replay', traceWith('good', '0-3'), '--algo', 'qemu', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).results[0].algorithm).toBe('qemu');
  }, 60_000);
});
