// `migreplay validate qemu` without QEMU: the comparison logic on a recorded real run
// (test/fixtures/qemu-record/validate-light: record.json + guest.arrow, recorded by
// `migreplay validate qemu --out …` with QEMU 10.0.2 on this kind of machine), the
// zero-page accounting of the qemu model, and the helpers of src/validate/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PAGE_HEADER_BYTES, qemu, ZERO_PAGE_BYTES } from '../src/algorithms/qemu.js';
import { compareFolder, formatComparison } from '../src/cli/validate.js';
import { replay } from '../src/run/replay.js';
import { fileSource } from '../src/io/files.js';
import { openTrace } from '../src/trace/read.js';
import { compareRun, throttleSteps } from '../src/validate/compare.js';
import { formatRanges, parseRanges } from '../src/validate/guest-trace.js';
import { makeInitramfs } from '../src/validate/install.js';
import { findGuestRam, type RunRecord } from '../src/validate/run.js';
import { KERNELS, makeTrace, MS_PER_PAGE_LINK } from './helpers.js';

const LIGHT = path.join(__dirname, 'fixtures', 'qemu-record', 'validate-light');

describe('validate qemu: a recorded light run', () => {
  const c = compareFolder(LIGHT);

  it('reads the real side from query-migrate', () => {
    const rec = JSON.parse(fs.readFileSync(path.join(LIGHT, 'record.json'), 'utf8')) as RunRecord;
    expect(c.real.converged).toBe(true);
    expect(c.real['total-time']).toBe(rec.final['total-time']);
    expect(c.real.transferred).toBe(rec.final.ram.transferred);
    expect(c.real['dirty-sync-count']).toBe(rec.final.ram['dirty-sync-count']);
    expect(c.real.duplicate).toBe(rec.final.ram.duplicate);
  });

  it('the qemu model meets the bytes, time, syncs and verdict goals on it', () => {
    expect(c.predicted.result.algorithm).toBe('qemu');
    expect(c.error['same-verdict']).toBe(true);
    expect(Math.abs(c.error.transferred)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(c.error['total-time']!)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(c.error['dirty-sync-count'])).toBeLessThanOrEqual(1);
    expect(c.goals.transferred && c.goals['total-time'] && c.goals['dirty-sync-count'] && c.goals.verdict).toBe(true);
    // downtime: within max(10 ms, 25 %) of QEMU's, as the comparison says
    const dt = c.predicted.downtime! - c.real.downtime!;
    expect(c.error['downtime-ms']).toBeCloseTo(dt, 6);
    expect(c.goals.downtime).toBe(Math.abs(dt) <= Math.max(10, 0.25 * c.real.downtime!));
    expect(c.goals.all).toBe(Object.entries(c.goals).every(([k, v]) => k === 'all' || v));
    // zero pages: about half the guest held no data and went as headers
    expect(c.predicted.duplicate! / c.real.duplicate!).toBeGreaterThan(0.9);
    expect(c.predicted.duplicate! / c.real.duplicate!).toBeLessThan(1.1);
  });

  it('JSON has real, predicted and error; the table names every quantity', () => {
    const j = JSON.parse(JSON.stringify(c));
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['real', 'predicted', 'error']));
    expect(j.real['query-migrate'].status).toBe('completed');
    const t = formatComparison(c);
    for (const w of ['total-time ms', 'downtime ms', 'transferred MB', 'dirty-sync-count', 'throttle steps', 'same verdict']) expect(t).toContain(w);
  });

  it('a cancelled run is predicted up to the same moment and compared as not converged', () => {
    const rec = JSON.parse(fs.readFileSync(path.join(LIGHT, 'record.json'), 'utf8')) as RunRecord;
    const atCancel = { ...rec.series[10]!, status: 'active' };
    const cancelled: RunRecord = { ...rec, options: { ...rec.options, timeoutS: atCancel._t }, final: { ...rec.final, status: 'cancelled' }, atCancel };
    const trace = makeTraceFromFixture();
    const r = compareRun(cancelled, trace, KERNELS[0]!.make());
    expect(r.real.converged).toBe(false);
    expect(r.predicted.converged).toBe(false);
    expect(r.error['same-verdict']).toBe(true);
    expect(Math.abs(r.error.transferred)).toBeLessThan(0.1);
  });
});

function makeTraceFromFixture() {
  return openTrace(fileSource(path.join(LIGHT, 'guest.arrow')));
}

describe.each(KERNELS)('qemu zero pages ($name kernel)', ({ make }) => {
  it('a page that never held data costs a 9-byte header; data pages cost page + 8', () => {
    // 10 pages of 1000 B, pages 0–3 hold data, page 8 is written at 1 ms, before the
    // first pass reaches it (one page per 1 ms iteration on a 1 page/ms link).
    const trace = makeTrace({ memPages: 10, pageSize: 1000, extra: { data_pages: '0-3' } }, [[0, []], [1000, [8]], [100_000, []]]);
    const r = replay(trace, qemu, make(), MS_PER_PAGE_LINK, { 'downtime-limit': '1ms', 'iterate-time': '1ms', 'state-size': 0 });
    expect(r.converged).toBe(true);
    expect(r.zeroPagesSent).toBe(5); // 4–7 and 9
    expect(r.pagesSent).toBe(11); // page 8 again: dirtied after the setup sync
    expect(r.bytesSent).toBe(6 * (1000 + PAGE_HEADER_BYTES) + 5 * ZERO_PAGE_BYTES);
  });

  it('without data_pages nothing changes: every page costs page_size', () => {
    const trace = makeTrace({ memPages: 10, pageSize: 1000 }, [[0, []], [100_000, []]]);
    const r = replay(trace, qemu, make(), MS_PER_PAGE_LINK, { 'downtime-limit': '1ms', 'state-size': 0 });
    expect(r.zeroPagesSent).toBeUndefined();
    expect(r.bytesSent).toBe(10_000);
  });

  it('unthrottled-bandwidth (what validate maps its switchover bandwidth to) shortens the final copy only', () => {
    const trace = makeTrace({ memPages: 100, pageSize: 1000 }, [[0, [1, 2, 3]], [50_000, [4, 5, 6]], [1_000_000, []]]);
    const slow = replay(trace, qemu, make(), MS_PER_PAGE_LINK, { 'downtime-limit': '10ms', 'state-size': 0 });
    const fast = replay(trace, qemu, make(), MS_PER_PAGE_LINK, { 'downtime-limit': '10ms', 'state-size': 0, 'unthrottled-bandwidth': 1e7 });
    expect(fast.pagesSent).toBe(slow.pagesSent);
    expect(fast.downtimeMs!).toBeLessThan(slow.downtimeMs!);
  });
});

describe('validate helpers', () => {
  it('page ranges round-trip', () => {
    const set = new Set([0, 1, 2, 5, 7, 8, 100]);
    const text = formatRanges((i) => set.has(i), 101);
    expect(text).toBe('0-2,5,7-8,100');
    const back = new Set<number>();
    parseRanges(text, (a, b) => {
      for (let i = a; i <= b; i++) back.add(i);
    });
    expect(back).toEqual(set);
  });

  it('finds the guest RAM mapping in /proc/PID/maps', () => {
    const maps = [
      '55d0c0000000-55d0c0100000 r-xp 00000000 08:01 123 /usr/bin/qemu-system-x86_64',
      '7f0000000000-7f0008000000 rw-p 00000000 00:00 0 ',
      '7f1000000000-7f1010000000 rw-p 00000000 00:00 0',
      '7f2000000000-7f2040000000 rw-p 00000000 00:00 0',
    ].join('\n');
    expect(findGuestRam(maps, 256 << 20)).toEqual({ start: 0x7f1000000000, end: 0x7f1010000000 });
    expect(() => findGuestRam(maps, 4 * 2 ** 30)).toThrow(/no anonymous mapping/);
  });

  it('throttle steps are the increases of cpu-throttle-percentage', () => {
    expect(throttleSteps([{}, { 'cpu-throttle-percentage': 20 }, { 'cpu-throttle-percentage': 20 }, { 'cpu-throttle-percentage': 30 }, {}])).toEqual({ steps: 2, max: 30 });
  });

  it('builds a newc initramfs, parent folders first', () => {
    const img = gunzipSync(makeInitramfs([['init', 0o100755, Buffer.from('#!/bin/sh\n')], ['usr/lib/x86_64-linux-gnu/libz.so.1', 0o100755, Buffer.from('x')]]));
    expect(img.subarray(0, 6).toString()).toBe('070701');
    const text = img.toString('latin1');
    expect(text).toContain('TRAILER!!!');
    expect(text.indexOf('usr\0')).toBeLessThan(text.indexOf('usr/lib\0'));
    expect(text.indexOf('usr/lib/x86_64-linux-gnu\0')).toBeLessThan(text.indexOf('libz.so.1'));
    expect(img.length % 4).toBe(0);
  });
});
