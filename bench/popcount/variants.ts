// Popcount variants tried against the kernel's (assembly/index.ts popcount = popA here);
// built and timed by bench/popcount/run.mjs. Not part of the product.

// @ts-ignore: decorator
@inline function csaHigh(a: v128, b: v128, c: v128): v128 {
  return v128.or(v128.and(a, b), v128.and(v128.xor(a, b), c));
}
// @ts-ignore: decorator
@inline function popcnt128(v: v128): u64 {
  return popcnt(i64x2.extract_lane(v, 0)) + popcnt(i64x2.extract_lane(v, 1));
}
// @ts-ignore: decorator
@inline function popcntAt(p: usize, offset: usize): u64 {
  return popcnt(load<u64>(p + offset));
}
export function alloc(n: usize): usize { const p = memory.size() << 16; memory.grow(<i32>((n + 65535) >>> 16)); return p; }

// A: current hybrid
export function popA(bm: usize, bytes: usize): u32 {
  // Each 256-byte step counts its first half with a Harley–Seal carry-save tree on
  // v128 (8 vectors → one popcount of the "eights", ~6 instructions per 16 bytes on
  // the vector units) and its second half with scalar 64-bit popcnt (~6 per 16 bytes on
  // the integer units), interleaved so both kinds of unit work at once. Scalar popcnt
  // alone runs ~10 % slower; a tree alone (16 vectors) spills registers in V8 and, like
  // i8x16.popcnt (lowered to a shuffle-table sequence), runs at half the speed.
  // ones/twos/fours carry the tree's low bits from step to step.
  // A pointer and a down-counter keep the loop within the 16 integer registers (an
  // index, its limit and base + index spilled one: ~6 % slower).
  let ones = i64x2.splat(0), twos = ones, fours = ones;
  let eights: u64 = 0, s0: u64 = 0, s1: u64 = 0;
  let p = bm;
  for (let k = bytes >>> 8; k; k--, p += 256) {
    let a = v128.load(p), b = v128.load(p, 16);
    let u = v128.xor(ones, a);
    let twosA = csaHigh(ones, a, b);
    ones = v128.xor(u, b);
    s0 += popcntAt(p, 128) + popcntAt(p, 136);
    a = v128.load(p, 32);
    b = v128.load(p, 48);
    u = v128.xor(ones, a);
    let twosB = csaHigh(ones, a, b);
    ones = v128.xor(u, b);
    s1 += popcntAt(p, 144) + popcntAt(p, 152);
    const foursA = csaHigh(twos, twosA, twosB);
    twos = v128.xor(v128.xor(twos, twosA), twosB);
    s0 += popcntAt(p, 160) + popcntAt(p, 168);
    a = v128.load(p, 64);
    b = v128.load(p, 80);
    u = v128.xor(ones, a);
    twosA = csaHigh(ones, a, b);
    ones = v128.xor(u, b);
    s1 += popcntAt(p, 176) + popcntAt(p, 184);
    a = v128.load(p, 96);
    b = v128.load(p, 112);
    u = v128.xor(ones, a);
    twosB = csaHigh(ones, a, b);
    ones = v128.xor(u, b);
    s0 += popcntAt(p, 192) + popcntAt(p, 200);
    const foursB = csaHigh(twos, twosA, twosB);
    twos = v128.xor(v128.xor(twos, twosA), twosB);
    s1 += popcntAt(p, 208) + popcntAt(p, 216);
    eights += popcnt128(csaHigh(fours, foursA, foursB));
    fours = v128.xor(v128.xor(fours, foursA), foursB);
    s0 += popcntAt(p, 224) + popcntAt(p, 232);
    s1 += popcntAt(p, 240) + popcntAt(p, 248);
  }
  let n = 8 * eights + 4 * popcnt128(fours) + 2 * popcnt128(twos) + popcnt128(ones) + s0 + s1;
  for (let k = (bytes & 255) >>> 4; k; k--, p += 16) n += popcntAt(p, 0) + popcntAt(p, 8);
  return <u32>n;
}
export function popAAndRange(a: usize, b: usize, from: u32, to: u32): u32 {
  if (from >= to) return 0;
  const first = from >>> 6;
  const last = (to - 1) >>> 6;
  const headMask = ~(<u64>0) << <u64>(from & 63);
  const tailMask = ~(<u64>0) >>> <u64>(63 - ((to - 1) & 63));
  if (first == last) {
    const at = <usize>first << 3;
    return <u32>popcnt(load<u64>(a + at) & load<u64>(b + at) & headMask & tailMask);
  }
  let at = <usize>first << 3;
  let n0: u64 = popcnt(load<u64>(a + at) & load<u64>(b + at) & headMask);
  let n1: u64 = 0;
  // Whole words strictly between first and last: 64 bytes (a v128 AND, then scalar
  // popcnt) per step, through pointers and a down-counter (as popcount).
  let pa = a + at + 8;
  let pb = b + at + 8;
  const middle = last - first - 1;
  for (let k = middle >>> 3; k; k--, pa += 64, pb += 64) {
    const x0 = v128.and(v128.load(pa), v128.load(pb));
    const x1 = v128.and(v128.load(pa, 16), v128.load(pb, 16));
    const x2 = v128.and(v128.load(pa, 32), v128.load(pb, 32));
    const x3 = v128.and(v128.load(pa, 48), v128.load(pb, 48));
    n0 += popcnt128(x0) + popcnt128(x1);
    n1 += popcnt128(x2) + popcnt128(x3);
  }
  for (let k = middle & 7; k; k--, pa += 8, pb += 8) n0 += popcnt(load<u64>(pa) & load<u64>(pb));
  const end = <usize>last << 3;
  n1 += popcnt(load<u64>(a + end) & load<u64>(b + end) & tailMask);
  return <u32>(n0 + n1);
}

// B: scalar only, 4 accumulators, 64 B per step
export function popB(bm: usize, bytes: usize): u32 {
  let s0: u64 = 0, s1: u64 = 0, s2: u64 = 0, s3: u64 = 0;
  let p = bm;
  for (let k = bytes >>> 6; k; k--, p += 64) {
    s0 += popcntAt(p, 0) + popcntAt(p, 32);
    s1 += popcntAt(p, 8) + popcntAt(p, 40);
    s2 += popcntAt(p, 16) + popcntAt(p, 48);
    s3 += popcntAt(p, 24) + popcntAt(p, 56);
  }
  return <u32>(s0 + s1 + s2 + s3);
}

// C: a 16-vector Harley–Seal tree per 256 B (vector only), carry-save steps by bitselect
export function popC(bm: usize, bytes: usize): u32 {
  let ones = i64x2.splat(0), twos = ones, fours = ones, eights = ones;
  let n: u64 = 0;
  let p = bm;
  for (let k = bytes >>> 8; k; k--, p += 256) {
    let a = v128.load(p), b = v128.load(p, 16);
    let u = v128.xor(ones, a);
    let twosA = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    a = v128.load(p, 32); b = v128.load(p, 48);
    u = v128.xor(ones, a);
    let twosB = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    u = v128.xor(twos, twosA);
    let foursA = v128.bitselect(twosB, twos, u); twos = v128.xor(u, twosB);
    a = v128.load(p, 64); b = v128.load(p, 80);
    u = v128.xor(ones, a);
    twosA = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    a = v128.load(p, 96); b = v128.load(p, 112);
    u = v128.xor(ones, a);
    twosB = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    u = v128.xor(twos, twosA);
    let foursB = v128.bitselect(twosB, twos, u); twos = v128.xor(u, twosB);
    u = v128.xor(fours, foursA);
    let eightsA = v128.bitselect(foursB, fours, u); fours = v128.xor(u, foursB);
    a = v128.load(p, 128); b = v128.load(p, 144);
    u = v128.xor(ones, a);
    twosA = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    a = v128.load(p, 160); b = v128.load(p, 176);
    u = v128.xor(ones, a);
    twosB = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    u = v128.xor(twos, twosA);
    foursA = v128.bitselect(twosB, twos, u); twos = v128.xor(u, twosB);
    a = v128.load(p, 192); b = v128.load(p, 208);
    u = v128.xor(ones, a);
    twosA = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    a = v128.load(p, 224); b = v128.load(p, 240);
    u = v128.xor(ones, a);
    twosB = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    u = v128.xor(twos, twosA);
    foursB = v128.bitselect(twosB, twos, u); twos = v128.xor(u, twosB);
    u = v128.xor(fours, foursA);
    const eightsB = v128.bitselect(foursB, fours, u); fours = v128.xor(u, foursB);
    u = v128.xor(eights, eightsA);
    n += popcnt128(v128.bitselect(eightsB, eights, u)); eights = v128.xor(u, eightsB);
  }
  return <u32>(16 * n + 8 * popcnt128(eights) + 4 * popcnt128(fours) + 2 * popcnt128(twos) + popcnt128(ones));
}

// D: hybrid with bitselect CSA (same structure as A)
export function popD(bm: usize, bytes: usize): u32 {
  let ones = i64x2.splat(0), twos = ones, fours = ones;
  let eights: u64 = 0, s0: u64 = 0, s1: u64 = 0;
  let p = bm;
  for (let k = bytes >>> 8; k; k--, p += 256) {
    let a = v128.load(p), b = v128.load(p, 16);
    let u = v128.xor(ones, a);
    let twosA = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    s0 += popcntAt(p, 128) + popcntAt(p, 136);
    a = v128.load(p, 32); b = v128.load(p, 48);
    u = v128.xor(ones, a);
    let twosB = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    s1 += popcntAt(p, 144) + popcntAt(p, 152);
    u = v128.xor(twos, twosA);
    const foursA = v128.bitselect(twosB, twos, u); twos = v128.xor(u, twosB);
    s0 += popcntAt(p, 160) + popcntAt(p, 168);
    a = v128.load(p, 64); b = v128.load(p, 80);
    u = v128.xor(ones, a);
    twosA = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    s1 += popcntAt(p, 176) + popcntAt(p, 184);
    a = v128.load(p, 96); b = v128.load(p, 112);
    u = v128.xor(ones, a);
    twosB = v128.bitselect(b, ones, u); ones = v128.xor(u, b);
    s0 += popcntAt(p, 192) + popcntAt(p, 200);
    u = v128.xor(twos, twosA);
    const foursB = v128.bitselect(twosB, twos, u); twos = v128.xor(u, twosB);
    s1 += popcntAt(p, 208) + popcntAt(p, 216);
    u = v128.xor(fours, foursA);
    eights += popcnt128(v128.bitselect(foursB, fours, u)); fours = v128.xor(u, foursB);
    s0 += popcntAt(p, 224) + popcntAt(p, 232);
    s1 += popcntAt(p, 240) + popcntAt(p, 248);
  }
  return <u32>(8 * eights + 4 * popcnt128(fours) + 2 * popcnt128(twos) + popcnt128(ones) + s0 + s1);
}

// E: i8x16.popcnt, byte accumulators flushed every 15 steps of 64 B (≤ 240 a lane)
export function popE(bm: usize, bytes: usize): u32 {
  let total = i64x2.splat(0);
  let p = bm;
  let k = bytes >>> 6;
  while (k) {
    const m = k < 15 ? k : 15;
    k -= m;
    let acc0 = i8x16.splat(0), acc1 = acc0;
    for (let j = m; j; j--, p += 64) {
      acc0 = i8x16.add(acc0, i8x16.popcnt(v128.load(p)));
      acc1 = i8x16.add(acc1, i8x16.popcnt(v128.load(p, 16)));
      acc0 = i8x16.add(acc0, i8x16.popcnt(v128.load(p, 32)));
      acc1 = i8x16.add(acc1, i8x16.popcnt(v128.load(p, 48)));
    }
    const s16 = i16x8.add(i16x8.extadd_pairwise_i8x16_u(acc0), i16x8.extadd_pairwise_i8x16_u(acc1));
    total = i64x2.add(total, i64x2.extend_low_i32x4_u(i32x4.extadd_pairwise_i16x8_u(s16)));
    total = i64x2.add(total, i64x2.extend_high_i32x4_u(i32x4.extadd_pairwise_i16x8_u(s16)));
  }
  return <u32>(i64x2.extract_lane(total, 0) + i64x2.extract_lane(total, 1));
}
