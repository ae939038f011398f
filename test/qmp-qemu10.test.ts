// `--format qmp` against QEMU 10.0.2's own completed query-migrate (the validate light
// run, test/fixtures/qemu-record/validate-light/record.json): the same field set, the same
// JSON types, for every algorithm.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { algorithms } from '../src/algorithms/index.js';
import { createKernel } from '../src/kernel/node.js';
import { fileSource } from '../src/io/files.js';
import { toQmp } from '../src/output/qmp.js';
import { replay } from '../src/run/replay.js';
import { openTrace } from '../src/trace/read.js';

const DIR = join(__dirname, 'fixtures', 'qemu-record', 'validate-light');
const final = JSON.parse(readFileSync(join(DIR, 'record.json'), 'utf8')).final as Record<string, unknown>;

const shape = (o: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' ? Object.entries(shape(v as Record<string, unknown>)).map(([kk, t]) => [`${k}.${kk}`, t]) : [[k, typeof v]]));

describe('--format qmp has QEMU 10.0.2\'s completed query-migrate fields', () => {
  const trace = openTrace(fileSource(join(DIR, 'guest.arrow')));
  const kernel = createKernel('wasm');
  it.each(algorithms.map((a) => a.id))('%s', (id) => {
    const r = replay(trace, algorithms.find((a) => a.id === id)!, kernel, { bandwidthBytesPerS: 50 * 2 ** 20 });
    expect(r.converged).toBe(true); // an 'active' run is checked against an active poll in test/qmp.test.ts
    expect(shape(toQmp(r, trace.meta) as unknown as Record<string, unknown>)).toEqual(shape(final));
  }, 60_000);
});
