// Popcount variants tried against the kernel's own (assembly/index.ts popcount: popA);
// built and timed by bench/popcount/run.mjs. Not part of the product.

import { csaHigh, popcnt128, popcntAt } from '../../assembly/bits';
import { popcount } from '../../assembly/index';

export function alloc(n: usize): usize { const p = memory.size() << 16; memory.grow(<i32>((n + 65535) >>> 16)); return p; }

// A: the kernel's own popcount (a v128 Harley–Seal tree and scalar popcnt, interleaved).
export function popA(bm: usize, bytes: usize): u32 {
  return popcount(bm, bytes);
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
