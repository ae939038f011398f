// The trace of an auto-converge run is of the throttled guest: validate replays the guest
// as it would have run unthrottled (its own time w(t) = ∫ 1 − p(s)/100 ds under QEMU's
// recorded throttle p), so the model throttles it once, not twice.
import { describe, expect, it } from 'vitest';
import { throttleSchedule, unthrottledTrace } from '../src/validate/compare.js';
import { makeTrace } from './helpers.js';

describe('validate: unthrottling an auto-converge trace', () => {
  it('takes each throttle step halfway between the poll before and the poll that showed it', () => {
    const polls = [
      { _t: 0.1, status: 'active' },
      { _t: 0.2, status: 'active', 'cpu-throttle-percentage': 20 },
      { _t: 0.3, status: 'active', 'cpu-throttle-percentage': 20 },
      { _t: 0.4, status: 'active', 'cpu-throttle-percentage': 30 },
      { _t: 0.5, status: 'completed' },
    ];
    const steps = throttleSchedule(polls);
    expect(steps.map(([, p]) => p)).toEqual([0, 20, 30, 0]);
    steps.forEach(([t], i) => expect(t).toBeCloseTo([0, 0.15, 0.35, 0.45][i]!, 12));
  });

  it('maps epoch times through w(t) and keeps pages and data_pages', () => {
    // 50 % from 1.5 s: w(0) = 0, w(1) = 1, w(2) = 1.5 + 0.25, w(3) = 1.5 + 0.75, w(4 s end) = 2.75.
    const t = makeTrace({ memPages: 8, pageSize: 4096, durationUs: 4_000_000, extra: { data_pages: '0-3' } },
      [[0, [1]], [1_000_000, [2, 3]], [2_000_000, [4]], [3_000_000, [5, 6]]]);
    const u = unthrottledTrace(t, [[0, 0], [1.5, 50]]);
    const epochs: [number, number[]][] = [];
    for (const b of u.batches()) for (let i = 0; i < b.length; i++) epochs.push([b.tUs[i]!, [...b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!)]]);
    expect(epochs).toEqual([[0, [1]], [1_000_000, [2, 3]], [1_750_000, [4]], [2_250_000, [5, 6]]]);
    expect(u.summary.durationUs).toBe(2_750_000);
    expect(u.meta.dataPages).toEqual([[0, 3]]);
  });
});
