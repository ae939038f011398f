// Small helpers shared by both kernels so that they agree on argument checks and
// on how the list area grows.

/** Check init() arguments: whole numbers, memPages < 2^32 (page numbers are u32). */
export function checkInitArgs(memPages: number, bitmaps: number): void {
  if (!Number.isInteger(memPages) || memPages < 0 || memPages > 0xffffffff) {
    throw new Error(`kernel: memPages must be an integer in [0, 2^32), got ${memPages}`);
  }
  if (!Number.isInteger(bitmaps) || bitmaps < 0) {
    throw new Error(`kernel: bitmaps must be a non-negative integer, got ${bitmaps}`);
  }
}

/** New list capacity when growing from `current` to hold at least `wanted` entries (doubling amortizes repeated growth). */
export function grownCapacity(current: number, wanted: number): number {
  return Math.max(wanted, current * 2);
}

/** Check a lists() capacity: a whole number of entries. */
export function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 0) {
    throw new Error(`kernel: list capacity must be a non-negative integer, got ${capacity}`);
  }
}

/** The error both kernels give for a bitmap handle beyond the ones init() made (a miscount must not touch other state). */
export function badBitmap(bm: number, bitmaps: number): Error {
  return new Error(`kernel: bitmap handle ${bm} is not one of the ${bitmaps} that init() made`);
}
