// `replay --format qmp`: objects shaped like QEMU's query-migrate, checked against a
// recorded QEMU result (test/fixtures/qemu-query-migrate.json, recorded with
// test/fixtures/qemu-record/); QEMU's parameter names as aliases.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findAlgorithm, algorithms } from '../src/algorithms/index.js';
import { addOracleDistances, replay } from '../src/run/replay.js';
import { openTraceFile, defaultKernel } from '../src/node.js';
import { qmpDocument, toQmp, type QmpMigrationInfo } from '../src/output/qmp.js';
import { cli } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/qemu-query-migrate.json'), 'utf8'));
const recorded = { completed: fixture.completed, active: fixture.active } as Record<'completed' | 'active', Record<string, unknown>>;

/** Fields of ours that a recorded QEMU result of the same status lacks, each with its reason (docs/output.md#qmp). None today. */
const EXCEPTIONS: Record<string, string> = {};

/** QEMU's qapi/migration.json types: everything is an integer but mbps ('number') and status ('str'). */
const NUMBER_FIELDS = new Set(['ram.mbps']);

/** Leaves of an object as dotted paths → values. */
function leaves(o: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [p, w] of leaves(v as Record<string, unknown>, `${prefix}${k}.`)) out.set(p, w);
    else out.set(prefix + k, v);
  }
  return out;
}

function checkShape(info: QmpMigrationInfo): void {
  const ref = leaves(recorded[info.status]);
  for (const [path, value] of leaves(info as unknown as Record<string, unknown>)) {
    if (EXCEPTIONS[path]) continue;
    expect(ref.has(path), `${path} appears in QEMU's recorded '${info.status}' result`).toBe(true);
    expect(typeof value, `${path}: same JSON type as QEMU's`).toBe(typeof ref.get(path));
    if (typeof value === 'number' && !NUMBER_FIELDS.has(path)) expect(Number.isInteger(value), `${path} = ${value} is an integer, as QEMU's 'int'`).toBe(true);
    if (typeof value === 'number') expect(value).toBeGreaterThanOrEqual(0);
  }
}

const kernel = defaultKernel();
const xz6 = openTraceFile(join(ROOT, 'traces/xz6.arrow'));
const sort = openTraceFile(join(ROOT, 'traces/sort.arrow'));

describe('the recorded QEMU result', () => {
  it('is what query-migrate answers: the fields our objects are checked against', () => {
    expect(recorded.completed.status).toBe('completed');
    expect(recorded.active.status).toBe('active');
    expect(recorded.active['cpu-throttle-percentage']).toBeGreaterThan(0);
    const ram = recorded.completed.ram as Record<string, number>;
    // The relations toQmp relies on hold in real QEMU: transferred is the sum of the phases…
    expect(ram.transferred).toBe(ram['precopy-bytes']! + ram['downtime-bytes']! + ram['postcopy-bytes']!);
    expect(ram.remaining).toBe(0);
    // …and mbps is transferred over the migration time (QEMU leaves out setup-time, which we do not model), within 1 %.
    const mbps = (ram.transferred! * 8) / ((recorded.completed['total-time'] as number) - (recorded.completed['setup-time'] as number)) / 1000;
    expect(Math.abs(mbps / ram.mbps! - 1)).toBeLessThan(0.01);
  });
});

describe('toQmp', () => {
  const results = algorithms.map((a) => replay(xz6, a, kernel, {}, {}));
  addOracleDistances(xz6, kernel, {}, results, findAlgorithm);

  it('uses only QEMU field names, with QEMU types, for every algorithm', () => {
    for (const r of results) checkShape(toQmp(r, xz6.meta));
  });

  it('fills each of QEMU 10\'s fields from the replay, for every algorithm, in QEMU units', () => {
    for (const r of results) {
      const q = toQmp(r, xz6.meta);
      const P = xz6.meta.pageSize;
      expect(q.status).toBe('completed');
      expect(q['total-time']).toBe(Math.round(r.totalTimeS * 1000));
      expect(q.downtime).toBe(Math.round(r.downtimeMs!));
      const setup = Math.round(((r.params.setupTime as number | undefined) ?? 0) * 1000);
      expect(q['setup-time']).toBe(setup);
      expect(q.ram.transferred).toBe(r.bytesSent);
      expect(q.ram.transferred).toBe(q.ram['precopy-bytes'] + q.ram['downtime-bytes'] + q.ram['postcopy-bytes']);
      expect(q.ram.remaining).toBe(0);
      expect(q.ram.total).toBe(xz6.meta.memPages * P);
      expect(q.ram.duplicate).toBe(r.zeroPagesSent ?? 0);
      expect(q.ram.normal).toBe(r.pagesSent - q.ram.duplicate);
      expect(q.ram['normal-bytes']).toBe(q.ram.normal * P);
      expect(q.ram['page-size']).toBe(P);
      // migration_completion_end: bytes × 8 / (total − setup, whole ms) / 1000.
      expect(q.ram.mbps).toBe((r.bytesSent * 8) / (q['total-time'] - setup) / 1000);
      const stop = r.rounds.filter((x) => x.phase === 'stop-copy').reduce((n, x) => n + x.pagesSent, 0);
      expect(q.ram['downtime-bytes']).toBe((r.finalCopy?.bytes ?? stop * P) + (r.stateBytes ?? 0));
      expect(q.ram['dirty-sync-count']).toBe(r.dirtySyncCount ?? 1 + r.iterations);
      expect(q.ram['postcopy-requests']).toBe(r.remoteFaults ?? 0);
      expect(q.ram['dirty-pages-rate']).toBe(0); // QEMU reports it only while active
      for (const [k, v] of Object.entries({ ...q, ...q.ram })) if (typeof v === 'number' && k !== 'mbps') expect(Number.isInteger(v), `${r.algorithm} ${k} = ${v}`).toBe(true);
      // Like QEMU, no expected downtime and no throttle once the migration completed.
      expect(q).not.toHaveProperty('expected-downtime');
      expect(q).not.toHaveProperty('cpu-throttle-percentage');
    }
  });

  it("reports a run cut off by --max-time as QEMU's 'active', with the throttle auto-converge had reached", () => {
    const cut = replay(sort, findAlgorithm('auto-converge')!, kernel, {}, { 'max-time': '5s' });
    expect(cut.converged).toBe(false);
    const q = toQmp(cut, sort.meta);
    checkShape(q);
    expect(q.status).toBe('active');
    expect(q).not.toHaveProperty('downtime');
    expect(q.ram).not.toHaveProperty('remaining'); // the pending set at the cut-off is not kept
    expect(q['cpu-throttle-percentage']).toBe(cut.throttlePercent);
    expect(Number.isInteger(q['expected-downtime'])).toBe(true);
    expect(q['cpu-throttle-percentage']).toBeGreaterThan(0);
    expect(q['total-time']).toBeGreaterThanOrEqual(5000);
  });
});

const built = existsSync(join(ROOT, 'dist/cli/main.js'));
/** stdout of a run that must succeed (the built CLI, in-process: test/helpers/cli.ts). */
async function stdoutOf(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.status !== 0) throw new Error(`migreplay ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

describe.runIf(built)('replay --format and the QEMU parameter names', () => {
  it('--format qmp prints one object per algorithm, keyed by id: qmpDocument of what --json prints', async () => {
    const args = ['replay', 'traces/gzip9.arrow', '--algo', 'qemu,postcopy,precopy'];
    const qmp = JSON.parse(await stdoutOf([...args, '--format', 'qmp']));
    const json = JSON.parse(await stdoutOf([...args, '--json']));
    const formatJson = JSON.parse(await stdoutOf([...args, '--format', 'json']));
    expect(Object.keys(qmp)).toEqual(['qemu', 'postcopy', 'precopy']);
    expect(qmp).toEqual(JSON.parse(JSON.stringify(qmpDocument(json))));
    expect(formatJson).toEqual(json);
    for (const v of Object.values(qmp)) checkShape(v as QmpMigrationInfo);
  }, 60_000);

  it('takes QEMU parameter names: --max-bandwidth (bytes/s), --cpu-throttle-*, --max-cpu-throttle, --throttle-trigger-threshold', async () => {
    const run = async (extra: string[]) => {
      const r = await cli(['replay', 'traces/gzip9.arrow', '--algo', 'auto-converge', '--json', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout).results[0];
    };
    const qemuNames = await run(['--max-bandwidth', '12500000', '--downtime-limit', '50', '--cpu-throttle-initial', '30', '--cpu-throttle-increment', '5',
      '--max-cpu-throttle', '70', '--throttle-trigger-threshold', '40']);
    const ours = await run(['--bandwidth', '100Mbit', '--downtime-limit', '50ms', '--throttle-initial', '30', '--throttle-increment', '5', '--throttle-max', '70', '--throttle-trigger', '40']);
    expect(qemuNames).toEqual(ours);
    expect(ours.params).toMatchObject({ bandwidthBytesPerS: 12500000, downtimeLimit: 0.05, throttleInitial: 30, throttleIncrement: 5, throttleMax: 70, throttleTrigger: 40 });
  }, 60_000);

  it('rejects an option given under both names, and --json with another --format (exit 2, one line)', async () => {
    for (const args of [['--bandwidth', '1Gbit', '--max-bandwidth', '5'], ['--throttle-max', '50', '--max-cpu-throttle', '60'], ['--json', '--format', 'qmp'], ['--format', 'xml']]) {
      const r = await cli(['replay', 'traces/gzip9.arrow', '--algo', 'auto-converge', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  }, 60_000);
});
