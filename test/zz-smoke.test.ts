import { test, expect } from 'vitest';
import { createKernel } from '../src/kernel/node.js';
test('smoke', () => {
  for (const name of ['wasm', 'js'] as const) {
    const k = createKernel(name);
    k.init(130, 3);
    const l = k.lists(10);
    l.set([0, 5, 64, 129, 63]);
    k.setBits(0, 0, 5);
    expect(k.popcount(0)).toBe(5);
    k.fill(1);
    expect(k.popcount(1)).toBe(130);
    expect(k.advanceAndNot(1, 0, 0, 5)).toBe(7);
    const n = k.collect(0, 0, 130, 5);
    expect([...k.lists(10).subarray(5, 5 + n)]).toEqual([0, 5, 63, 64, 129]);
    k.countBitmap(1); k.countBitmap(1); k.countPages(0, 5);
    expect(k.counter(5)).toBe(3);
    expect(k.counter(6)).toBe(2);
    k.selectAtLeast(3, 2);
    expect(k.popcount(2)).toBe(5);
  }
});
