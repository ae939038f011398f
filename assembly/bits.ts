// Bit-counting steps the kernel's popcounts are built from (also used by the popcount
// variants of bench/popcount). Inlined where used: nothing here is a wasm export.

// Harley–Seal carry-save adder over v128: the carry (majority) bit of a + b + c at each
// bit position; the sum bit is a ^ b ^ c.
// @ts-ignore: decorator
@inline export function csaHigh(a: v128, b: v128, c: v128): v128 {
  return v128.or(v128.and(a, b), v128.and(v128.xor(a, b), c));
}

/** Set bits of a v128. */
// @ts-ignore: decorator
@inline export function popcnt128(v: v128): u64 {
  return popcnt(i64x2.extract_lane(v, 0)) + popcnt(i64x2.extract_lane(v, 1));
}

/** Set bits of the u64 at p + offset. */
// @ts-ignore: decorator
@inline export function popcntAt(p: usize, offset: usize): u64 {
  return popcnt(load<u64>(p + offset));
}
