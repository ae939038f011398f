// `replay --format qmp`: objects shaped like QEMU's query-migrate, checked against a
// recorded QEMU result (test/fixtures/qemu-query-migrate.json, recorded with
// test/fixtures/qemu-record/); QEMU's parameter names as aliases.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findAlgorithm, algorithms } from '../src/algorithms/index.js';
import { addOracleDistances, replay } from '../src/engine/replay.js';
import { openTraceFile, defaultKernel } from '../src/node.js';
import { qmpDocument, toQmp, type QmpMigrationInfo } from '../src/output/qmp.js';

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

  it('fills each field from the replay, in QEMU units, and leaves out what does not apply', () => {
    for (const r of results) {
      const q = toQmp(r, xz6.meta);
      const P = xz6.meta.pageSize;
      expect(q.status).toBe('completed');
      expect(q['total-time']).toBe(Math.round(r.totalTimeS * 1000));
      expect(q.downtime).toBe(Math.round(r.downtimeMs!));
      expect(q.ram.transferred).toBe(r.bytesSent);
      expect(q.ram.transferred).toBe(q.ram['precopy-bytes'] + q.ram['downtime-bytes'] + (q.ram['postcopy-bytes'] ?? 0));
      expect(q.ram.remaining).toBe(0);
      expect(q.ram.total).toBe(xz6.meta.memPages * P);
      expect(q.ram.normal).toBe(r.pagesSent);
      expect(q.ram['normal-bytes']).toBe(r.pagesSent * P);
      expect(q.ram['page-size']).toBe(P);
      expect(q.ram.mbps).toBeCloseTo((r.bytesSent * 8) / r.totalTimeS / 1e6, 9);
      const stop = r.rounds.filter((x) => x.phase === 'stop-copy').reduce((n, x) => n + x.pagesSent, 0);
      expect(q.ram['downtime-bytes']).toBe(stop * P);
      // Not modelled, so never there (rather than zero).
      for (const absent of ['setup-time', 'expected-downtime']) expect(q).not.toHaveProperty(absent);
      expect(q.ram).not.toHaveProperty('duplicate');
      expect('dirty-sync-count' in q.ram).toBe(r.algorithm === 'qemu' || r.algorithm === 'auto-converge');
      if ('dirty-sync-count' in q.ram) expect(q.ram['dirty-sync-count']).toBe(r.dirtySyncCount);
      expect('postcopy-bytes' in q.ram).toBe(r.algorithm === 'postcopy' || r.algorithm === 'hybrid');
      // Like QEMU, no throttle is reported once the migration completed.
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
    expect(q['cpu-throttle-percentage']).toBeGreaterThan(0);
    expect(q['total-time']).toBeGreaterThanOrEqual(5000);
  });
});

const built = existsSync(join(ROOT, 'dist/cli/main.js'));
const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/migreplay.js'), ...args], { cwd: ROOT, encoding: 'utf8' });

describe.runIf(built)('replay --format and the QEMU parameter names', () => {
  it('--format qmp prints one object per algorithm, keyed by id: qmpDocument of what --json prints', () => {
    const args = ['replay', 'traces/gzip9.arrow', '--algo', 'qemu,postcopy,precopy'];
    const qmp = JSON.parse(execFileSync(process.execPath, ['bin/migreplay.js', ...args, '--format', 'qmp'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const json = JSON.parse(execFileSync(process.execPath, ['bin/migreplay.js', ...args, '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const formatJson = JSON.parse(execFileSync(process.execPath, ['bin/migreplay.js', ...args, '--format', 'json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    expect(Object.keys(qmp)).toEqual(['qemu', 'postcopy', 'precopy']);
    expect(qmp).toEqual(JSON.parse(JSON.stringify(qmpDocument(json))));
    expect(formatJson).toEqual(json);
    for (const v of Object.values(qmp)) checkShape(v as QmpMigrationInfo);
  });

  it('takes QEMU parameter names: --max-bandwidth (bytes/s), --cpu-throttle-*, --max-cpu-throttle, --throttle-trigger-threshold', () => {
    const run = (extra: string[]) => {
      const r = cli(['replay', 'traces/gzip9.arrow', '--algo', 'auto-converge', '--json', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout).results[0];
    };
    const qemuNames = run(['--max-bandwidth', '12500000', '--downtime-limit', '50', '--cpu-throttle-initial', '30', '--cpu-throttle-increment', '5',
      '--max-cpu-throttle', '70', '--throttle-trigger-threshold', '40']);
    const ours = run(['--bandwidth', '100Mbit', '--downtime-limit', '50ms', '--throttle-initial', '30', '--throttle-increment', '5', '--throttle-max', '70', '--throttle-trigger', '40']);
    expect(qemuNames).toEqual(ours);
    expect(ours.params).toMatchObject({ bandwidthBytesPerS: 12500000, downtimeLimit: 0.05, throttleInitial: 30, throttleIncrement: 5, throttleMax: 70, throttleTrigger: 40 });
  });

  it('rejects an option given under both names, and --json with another --format (exit 2, one line)', () => {
    for (const args of [['--bandwidth', '1Gbit', '--max-bandwidth', '5'], ['--throttle-max', '50', '--max-cpu-throttle', '60'], ['--json', '--format', 'qmp'], ['--format', 'xml']]) {
      const r = cli(['replay', 'traces/gzip9.arrow', '--algo', 'auto-converge', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });
});
