// From a capture of the whole source QEMU process to a trace of the guest: keep the
// writes that fall in the guest RAM mapping, number them as guest pages (offset in
// the mapping / 4 KiB = guest page; for a PC guest below 3.5 GiB that is the guest
// frame number), start the trace when `migrate` was issued, and record which guest
// pages held data at that moment (metadata `data_pages`, docs/trace-format.md).
import * as fs from 'node:fs';
import { fileSource } from '../io/files.js';
import { csvFields } from '../io/tables/csv.js';
import { registerCodecs } from '../trace/codecs.js';
import { openTrace } from '../trace/read.js';
import { TraceWriter } from '../trace/write.js';

/** A virtual address range [start, end) in bytes. */
export interface GuestRange {
  start: number;
  end: number;
}

const PAGE = 4096;

/** Inclusive page ranges "a-b,c,d-e" of the set bits of a boolean-per-page array. */
export function formatRanges(isSet: (i: number) => boolean, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; ) {
    if (!isSet(i)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < n && isSet(j + 1)) j++;
    out.push(i === j ? `${i}` : `${i}-${j}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Pages of the first memBytes of the range that are not all zero, read through /proc/PID/mem. */
export function nonZeroPages(pid: number, ram: GuestRange, memBytes: number): { count: number; ranges: string } {
  const pages = memBytes / PAGE;
  const nz = new Uint8Array(pages);
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  const chunk = Buffer.alloc(1 << 22);
  try {
    for (let off = 0; off < memBytes; off += chunk.length) {
      const len = Math.min(chunk.length, memBytes - off);
      const got = fs.readSync(fd, chunk, 0, len, ram.start + off);
      const words = new BigUint64Array(chunk.buffer, chunk.byteOffset, got >> 3);
      for (let p = 0; p < got / PAGE; p++) {
        for (let w = p * 512, e = w + 512; w < e; w++) {
          if (words[w] !== 0n) {
            nz[off / PAGE + p] = 1;
            break;
          }
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  let count = 0;
  for (const v of nz) count += v;
  return { count, ranges: formatRanges((i) => nz[i] === 1, pages) };
}

/** Parse "a-b,c" ranges into a callback per range (inclusive). */
export function parseRanges(text: string, each: (first: number, last: number) => void): void {
  if (!text) return;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    const first = Number(a);
    const last = b === undefined ? first : Number(b);
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) throw new Error(`bad page range '${part}'`);
    each(first, last);
  }
}

/** A piece of the capture [fromUs, toUs) (µs since migrate, negative before it) placed at trace time atUs. */
export interface TraceSegment {
  fromUs: number;
  toUs: number;
  atUs: number;
}

export interface GuestTraceInput {
  rawTrace: string;
  /** CSV page,vpn,epoch of the capture. */
  pageMap: string;
  ram: GuestRange;
  memPages: number;
  /** Ranges of the pages holding data at migrate. */
  data: string;
  /** CLOCK_MONOTONIC ns at which migrate was issued. */
  migrateNs: bigint;
  out: string;
  /** Instead of the writes from migrate on, keep the `beforeUs` µs of writes just before it (an unthrottled workload, for auto-converge). */
  beforeUs?: number;
  /**
   * Post-copy: the source's writes up to `atUs` (µs after migrate, migrate-start-postcopy),
   * then — the guest runs at the destination, whose writes cannot be captured — the
   * source's writes of the `tailUs` µs before migrate, repeated until `untilUs`.
   */
  postcopy?: { atUs: number; tailUs: number; untilUs: number };
  /** Text for the description: what the trace holds. */
  what?: string;
}

/** The segments of the capture a guest trace is made of (µs relative to migrate; the capture ends at captureEndUs). */
export function traceSegments(i: Pick<GuestTraceInput, 'beforeUs' | 'postcopy'>, migrateAtUs: number, captureEndUs: number): TraceSegment[] {
  if (i.beforeUs !== undefined) {
    const b = Math.min(i.beforeUs, migrateAtUs);
    return [{ fromUs: -b, toUs: 0, atUs: 0 }];
  }
  if (!i.postcopy) return [{ fromUs: 0, toUs: captureEndUs, atUs: 0 }];
  const { atUs, untilUs } = i.postcopy;
  const tail = Math.min(i.postcopy.tailUs, migrateAtUs);
  if (!(tail > 0)) throw new Error('no capture before migrate to stand for the guest at the destination');
  const out: TraceSegment[] = [{ fromUs: 0, toUs: Math.min(atUs, captureEndUs), atUs: 0 }];
  for (let at = atUs; at < untilUs; at += tail) out.push({ fromUs: -tail, toUs: 0, atUs: at });
  return out;
}

/** Write the guest trace; returns where the migration began on the capture's clock. */
export function guestTrace(i: GuestTraceInput): { migrateAtTraceUs: number; epochs: number; events: number; segments: TraceSegment[] } {
  const raw = openTrace(fileSource(i.rawTrace));
  const t0 = raw.meta.raw['capture.t0_monotonic_ns'];
  if (!t0) throw new Error(`${i.rawTrace}: no capture.t0_monotonic_ns`);
  const migrateAtTraceUs = Number(i.migrateNs - BigInt(t0)) / 1000;
  // page number → [(from epoch, guest page or -1)]
  const firstVpn = i.ram.start / PAGE;
  const endVpn = firstVpn + i.memPages;
  const map = new Map<number, [number, number][]>();
  const lines = fs.readFileSync(i.pageMap, 'utf8').split('\n');
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k];
    if (!line) continue;
    const [p, v, e] = csvFields(line).map(Number) as [number, number, number];
    const g = v >= firstVpn && v < endVpn ? v - firstVpn : -1;
    const list = map.get(p);
    if (list) list.push([e, g]);
    else map.set(p, [[e, g]]);
  }
  const guestPage = (page: number, epoch: number): number => {
    const list = map.get(page);
    if (!list) return -1;
    let g = -1;
    for (const [e, v] of list) if (e <= epoch) g = v;
    return g;
  };
  // Every epoch of the capture: start (µs relative to migrate) and its guest pages.
  const all: { t: number; pages: number[] }[] = [];
  let epoch = 0;
  for (const b of raw.batches()) {
    for (let r = 0; r < b.length; r++, epoch++) {
      const pages: number[] = [];
      for (let j = b.offsets[r]!; j < b.offsets[r + 1]!; j++) {
        const g = guestPage(b.pages[j]!, epoch);
        if (g >= 0) pages.push(g);
      }
      pages.sort((x, y) => x - y);
      all.push({ t: b.tUs[r]! - migrateAtTraceUs, pages });
    }
  }
  const captureEndUs = raw.summary.durationUs - migrateAtTraceUs;
  if (!(captureEndUs > 0)) throw new Error('the capture ended before the migration began');
  const segments = traceSegments(i, migrateAtTraceUs, captureEndUs);
  registerCodecs();
  // Epochs as starts; epoch e ends where e+1 starts (the last at the capture's end). An
  // epoch in progress at a segment's start counts whole at that start (its writes before it too).
  const out: { t: number; pages: number[] }[] = [];
  for (const sg of segments) {
    for (let k = 0; k < all.length; k++) {
      const a = all[k]!;
      const end = k + 1 < all.length ? all[k + 1]!.t : captureEndUs;
      if (end <= sg.fromUs || a.t >= sg.toUs) continue;
      out.push({ t: Math.round(sg.atUs + Math.max(0, a.t - sg.fromUs)), pages: a.pages });
    }
  }
  const last = segments[segments.length - 1]!;
  const durationUs = Math.round(last.atUs + (last.toUs - last.fromUs));
  const chunks: Uint8Array[] = [];
  const what = i.what ?? (i.beforeUs !== undefined ? `the ${i.beforeUs / 1e6} s before migrate (unthrottled)` : 't = 0 at migrate');
  const w = new TraceWriter((c) => chunks.push(c.slice()), {
    memPages: i.memPages,
    pageSize: PAGE,
    intervalUs: raw.meta.intervalUs,
    durationUs,
    source: raw.meta.source,
    workload: 'guest RAM of the source QEMU during a real migration (migreplay validate qemu)',
    description: `capture of the source QEMU process restricted to its guest RAM mapping, pages numbered from the mapping's start, ${what}; ${raw.meta.description ?? ''}`,
    extra: { data_pages: i.data, 'validate.migrate_at_capture_us': String(Math.round(migrateAtTraceUs)), 'validate.segments': JSON.stringify(segments.map((s) => [Math.round(s.fromUs), Math.round(s.toUs), Math.round(s.atUs)])) },
  }, { compression: 'lz4' });
  let events = 0, epochs = 0, prevT = -1;
  if (out.length === 0 || out[0]!.t > 0) {
    w.epoch(0, []);
    epochs++;
    prevT = 0;
  }
  for (const e of out) {
    // Two epochs at one time (a segment's first epoch beside the one before): merge into the earlier one's successor.
    const t = e.t <= prevT ? prevT + 1 : e.t;
    if (t >= durationUs) break;
    w.epoch(t, e.pages);
    prevT = t;
    epochs++;
    events += e.pages.length;
  }
  w.close();
  fs.writeFileSync(i.out, Buffer.concat(chunks));
  return { migrateAtTraceUs, epochs, events, segments };
}
