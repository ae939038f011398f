// Bitmap handles: the engine hands them out from what an algorithm declared, and both
// kernels refuse a handle init() did not make (the wasm one would otherwise write over
// other state: it runs with noAssert).
import { describe, expect, it } from 'vitest';
import { Engine, FIRST_FREE_BITMAP } from '../src/engine/engine.js';
import { KERNELS, MS_PER_PAGE_LINK, makeTrace } from './helpers.js';

describe.each(KERNELS)('bitmap handles ($name kernel)', ({ make }) => {
  it('a handle beyond init() is refused, on every operation kind', () => {
    const k = make();
    k.init(100, 2);
    k.lists(8);
    expect(() => k.popcount(2)).toThrow(/bitmap handle 2 is not one of the 2/);
    expect(() => k.setRange(5, 0, 10)).toThrow(/bitmap handle 5/);
    expect(() => k.or(0, 1, 2)).toThrow(/bitmap handle 2/);
    expect(() => k.setBits(-1, 0, 1)).toThrow(/bitmap handle -1/);
    expect(() => k.testBit(1.5, 0)).toThrow(/bitmap handle 1.5/);
    expect(k.popcount(1)).toBe(0);
  });

  it('the engine hands out what the algorithm declared, and no more', () => {
    const t = makeTrace({ memPages: 10, pageSize: 1000, durationUs: 10_000 }, [[0, [1]]]);
    const e = new Engine(t, make(), MS_PER_PAGE_LINK, { extraBitmaps: 2 });
    expect(e.bitmaps(2)).toEqual([FIRST_FREE_BITMAP, FIRST_FREE_BITMAP + 1]);
    expect(() => e.bitmaps(1)).toThrow(/beyond the 2/);
  });
});
