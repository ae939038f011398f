// docs/scale-out.md's DuckDB queries, as written, on a sweep's outputs: its first ```sql
// block (Parquet, CSV and JSON Lines, which DuckDB reads by itself) run statement by
// statement by DuckDB (@duckdb/node-api) with the doc's /data/results/2025-06/ as the
// test's folder. Each statement runs and answers; the counts are the sweep's; the first
// query gives the same answer from the CSV and the JSON Lines files as from the Parquet.
// (The Arrow block needs the nanoarrow community extension, a download: not run here.)
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../src/io/tables/index.js';
import { cli, ROOT } from './helpers/cli.js';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/scale-out.md'), 'utf8');
const GRID = ['--trace', 'traces/gzip9.arrow', '--trace', 'traces/redis_bench.arrow', '--algo', 'precopy,xen,qemu', '--set', 'bandwidth=1Gbit..4Gbit*2', '--set', 'max-iters=5,10'];

/** The statements of the first ```sql block of the DuckDB section, comments dropped. */
function statements(): string[] {
  const section = DOC.slice(DOC.indexOf('## Querying with DuckDB'));
  const block = /^```sql\n([\s\S]*?)^```$/m.exec(section)![1]!;
  return block
    .split(/;\s*$/m)
    .map((s) => s.split('\n').filter((l) => !l.trim().startsWith('--')).join('\n').trim())
    .filter(Boolean);
}

describe("docs/scale-out.md's DuckDB queries", () => {
  let tmp = '';
  let db: DuckDBConnection;
  let runs = 0;
  let converged = 0;
  const query = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson();

  beforeAll(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-duckdb-')));
    const at = (f: string) => path.join(tmp, f);
    // Two shards written as Parquet, merged into the four forms the queries read.
    for (const i of [0, 1]) {
      const r = await cli(['sweep', ...GRID, '--shard', `${i}/2`, '--out', at(`results/part-${i}.parquet`), '--rounds-out', at(`rounds-${i}.arrow`)]);
      expect(r.status, r.stderr).toBe(0);
    }
    const parts = [at('results/part-0.parquet'), at('results/part-1.parquet')];
    for (const [inputs, out] of [[parts, 'sweep.parquet'], [[at('rounds-0.arrow'), at('rounds-1.arrow')], 'rounds.parquet'], [parts, 'sweep.csv'], [parts, 'sweep.jsonl']] as const) {
      const r = await cli(['merge', ...inputs, '--out', at(out)]);
      expect(r.status, r.stderr).toBe(0);
    }
    const rows = (await readTable(at('sweep.parquet'))).rows;
    runs = rows.length;
    converged = rows.filter((row) => row.converged === true).length;
    const instance = await DuckDBInstance.create(':memory:');
    db = await instance.connect();
    // The doc's relative names are found in the test's folder.
    await db.run(`SET file_search_path = '${tmp}'`);
  }, 120_000);

  afterAll(() => {
    db?.closeSync();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs every statement of the block, each with an answer', async () => {
    const all = statements();
    expect(all.length).toBe(6);
    expect(runs).toBe(2 * (2 * 3 * 2 + 3)); // (precopy, xen: 3 bandwidths × 2 max-iters; qemu: 3) per trace
    for (const sql of all) {
      const rows = await query(sql.replaceAll('/data/results/2025-06/', ''));
      expect(rows.length, sql).toBeGreaterThan(0);
    }
  }, 60_000);

  it("counts the sweep's runs in every form", async () => {
    const counts = statements().filter((s) => /^SELECT count\(\*\)/.test(s));
    expect(counts.length).toBe(3);
    for (const sql of counts) expect(Number(Object.values((await query(sql))[0]!)[0]), sql).toBe(runs);
    // The first query: its runs column adds up to the converged runs.
    const first = await query(statements()[0]!.replaceAll('/data/results/2025-06/', ''));
    expect(first.reduce((n, r) => n + Number(r.runs), 0)).toBe(converged);
  }, 60_000);

  it('answers the first query alike from Parquet, CSV and JSON Lines', async () => {
    const first = statements()[0]!.replaceAll('/data/results/2025-06/', '');
    const parquet = await query(first);
    expect(first).toContain("read_parquet('sweep.parquet')");
    expect(await query(first.replace("read_parquet('sweep.parquet')", "read_csv('sweep.csv')"))).toEqual(parquet);
    expect(await query(first.replace("read_parquet('sweep.parquet')", "read_json('sweep.jsonl', format = 'newline_delimited')"))).toEqual(parquet);
  }, 60_000);
});
