// qemu — QEMU 10.0's pre-copy (Debian 1:10.0.2, the version `validate qemu` runs), each
// decision from its source (docs/algorithms.md#qemu has the lines):
//   setup       migration/ram.c ram_save_setup → ram_init_bitmaps: the dirty bitmap
//               starts all ones; the setup sync is dirty-sync-count 1; setup-time.
//   threshold   migration/migration.c migration_update_counters: s->threshold_size is 0
//               until the first BUFFER_DELAY (100 ms) window after setup has passed, then
//               (avail-switchover-bandwidth, else the bandwidth measured over the last
//               window) × downtime-limit, recomputed every window.
//   iteration   migration_iteration_run: pending_estimate (the dirty bitmap's pages ×
//               page size, zero pages included); if pending < threshold, pending_exact
//               syncs the dirty log into the bitmap (unsent pages carry over); complete
//               when pending ≤ threshold. ram_save_iterate sends in ascending page order
//               from where it stopped, wrapping, at most MAX_WAIT (--iterate-time) between
//               two checks. No iteration cap: --max-time ends a run that never converges.
//   completion  migration_completion_precopy: the guest stops; ram_save_complete syncs
//               once more and sends what is dirty with max-bandwidth lifted
//               (--unthrottled-bandwidth), then the device state (--state-size), after
//               the stop itself (--stop-time);
//               downtime runs from the stop to the end of that (migration_downtime_end),
//               total-time from `migrate`, setup included (migration_calculate_complete).
//   zero pages  with `data_pages` metadata, a page still all zeros is sent as a 9-byte
//               header (save_zero_page, ram.duplicate), a data page as an 8-byte header +
//               the page (ram.normal); without it every page costs page_size.
// auto-converge (src/algorithms/auto-converge.ts) adds CPU throttling at syncs; hybrid
// and postcopy (src/algorithms/hybrid.ts, postcopy.ts) switch to post-copy from here.
import type { Engine } from '../engine/engine.js';
import { DIRTY, SEND } from '../engine/engine.js';
import type { ReplayResult } from '../engine/types.js';
import { ZERO_PAGE_BYTES } from './oracle.js';
import type { ParamSpec, ParamValues } from '../params/index.js';
import type { Algorithm } from './types.js';

export { ZERO_PAGE_BYTES };

/** Bytes of header QEMU 10 puts before a normal page (be64 offset | flags). */
export const PAGE_HEADER_BYTES = 8;

/** migration/migration.h BUFFER_DELAY: the window over which QEMU measures bandwidth and rate-limits, µs. */
export const BUFFER_DELAY_US = 100_000;

/** Parameters every QEMU model shares (qemu, auto-converge, postcopy, hybrid). */
export const QEMU_COMMON_PARAMS: readonly ParamSpec<number | string>[] = [
  { name: 'unthrottled-bandwidth', kind: 'rate', default: 0, min: 0, doc: 'the link\'s own speed, used where QEMU lifts max-bandwidth: the stop-and-copy, and post-copy (max-postcopy-bandwidth 0); 0: --bandwidth' },
  { name: 'state-size', kind: 'size', default: 128 * 1024, doc: 'device and CPU state sent while the guest is paused (~110 kB for validate\'s 1-vCPU PC guest)' },
  { name: 'setup-time', kind: 'duration', default: 0, doc: 'migration setup before the first pass (query-migrate setup-time, part of total-time; ~1 ms for a small guest)' },
  { name: 'stop-time', kind: 'duration', default: 0, doc: 'stopping the guest at the switch (vm_stop_force_state: vCPUs paused, devices drained), part of the downtime; ~1 ms measured by validate qemu' },
];

/** Parameters qemu and auto-converge share. */
export const QEMU_PARAMS: readonly ParamSpec<number | string>[] = [
  { name: 'downtime-limit', kind: 'duration', default: 0.3, bareUnit: 'ms', doc: 'switch over once what is left takes less than this to send (QEMU downtime-limit; a bare number is ms, as in QEMU)' },
  { name: 'avail-switchover-bandwidth', kind: 'rate', default: 0, min: 0, doc: 'QEMU avail-switchover-bandwidth: the bandwidth the switch-over threshold is computed from; 0: the bandwidth measured over the last 100 ms' },
  { name: 'max-time', kind: 'duration', default: 600, doc: 'give up (stopReason max-time) after this much migration time' },
  { name: 'iterate-time', kind: 'duration', default: 0.05, doc: 'the longest send between two pending checks (ram_save_iterate MAX_WAIT, 50 ms)' },
  ...QEMU_COMMON_PARAMS,
];

/** What happens at each dirty-bitmap sync of the live phase (auto-converge throttles here): pages it newly marked, bytes sent so far. */
export type SyncHook = (e: Engine, newlyDirty: number, bytesSent: number) => void;

/** Hooks of the QEMU loop. */
export interface QemuHooks {
  /** At every sync but the setup one and the final one. */
  onSync?: SyncHook;
  /** Whether migrate-start-postcopy has been issued, asked before each iteration with the syncs so far. */
  startPostcopy?: (e: Engine, syncs: number) => boolean;
  /** Period of the dirty-sync timer (auto-converge: CPU_THROTTLE_DIRTY_SYNC_TIMESLICE_MS), s; absent: none. */
  syncPeriodS?: number;
}

/** The QEMU loop's state at a switch to post-copy. */
export interface QemuPostcopyStart {
  /** Where the pre-copy scan stood (postcopy_start resets it to 0: ram_postcopy_send_discard_bitmap). */
  pos: number;
  syncs: number;
  /** Bytes sent so far beyond pages × page_size (headers, zero pages counted as headers). */
  extraBytes: number;
  zeroPagesSent: number;
}

/** A QEMU model's result: the replay result and QEMU's own counters. */
export type QemuResult = ReplayResult & { dirtySyncCount: number };

/** Bitmaps the loop uses beyond the engine's: NODATA (pages still all zeros), SCRATCH. */
export const QEMU_BITMAPS = 2;

/**
 * Zero-page bookkeeping: NODATA holds the pages that have held no data yet (absent
 * `data_pages`: none are known, every page costs page_size and no header is counted).
 */
class PageCosts {
  readonly on: boolean;
  zeroSent = 0;
  extraBytes = 0;

  constructor(readonly e: Engine, readonly nodata: number, readonly scratch: number) {
    const ranges = e.trace.meta.dataPages;
    this.on = ranges !== undefined;
    const k = e.kernel;
    k.clear(nodata);
    if (!ranges) return;
    k.fill(nodata);
    for (const [a, b] of ranges) k.clearRange(nodata, a, b + 1);
  }

  /** Pages written since the last look hold data now. */
  written(): void {
    if (!this.on) return;
    this.e.settle();
    this.e.kernel.andNot(this.nodata, this.nodata, DIRTY);
  }

  /** Bytes beyond pages × page_size for sending `normal` data pages and `zero` zero pages. */
  charge(normal: number, zero: number): number {
    const extra = normal * PAGE_HEADER_BYTES + zero * ZERO_PAGE_BYTES;
    this.zeroSent += zero;
    this.extraBytes += extra;
    return extra;
  }

  /** Data pages among SEND (all of them without data_pages). */
  dataPagesIn(bm: number): number {
    const k = this.e.kernel;
    if (!this.on) return k.popcount(bm);
    k.andNot(this.scratch, bm, this.nodata);
    return k.popcount(this.scratch);
  }
}

/** Whether a send's clears are owed until SEND is read (tests turn it off to compare against clearing at every send). */
export const SCAN = { owe: true };

/**
 * ram_save_iterate's scan over SEND: from `pos` in ascending order, wrapping; `left` is
 * SEND's popcount, kept as it changes. Without data_pages every page costs page_size and
 * a send clears just the pages it pays for: those clears are owed until something reads
 * SEND (flush), so a round of 50 ms sends walks the bitmap once instead of at each send.
 */
class Scan {
  pos = 0;
  left: number;
  /** Bytes the last send used. */
  bytes = 0;
  private owed = 0;

  constructor(readonly e: Engine, readonly c: PageCosts) {
    this.left = e.kernel.popcount(SEND);
  }

  /** Clear the owed pages from pos on; SEND and pos are then as after each send in turn. */
  flush(): void {
    const k = this.e.kernel;
    let left = this.owed;
    this.owed = 0;
    let pos = this.pos;
    while (left > 0) {
      const end = k.advanceAndNot(SEND, this.c.nodata, pos, left); // NODATA is empty: walks SEND
      left -= k.popcountAndRange(SEND, SEND, pos, end);
      k.clearRange(SEND, pos, end);
      pos = end >= this.e.memPages ? 0 : end;
    }
    this.pos = pos;
  }

  /**
   * Send until `budgetBytes` are used or nothing is pending; data pages cost page + header,
   * zero pages ZERO_PAGE_BYTES (with data_pages). Returns the pages sent; `bytes` is then what they used.
   */
  send(budgetBytes: number): number {
    const e = this.e;
    const c = this.c;
    if (!c.on) {
      // Exactly the pages the budget pays for.
      const n = Math.min(Math.max(1, Math.floor(budgetBytes / e.pageSize)), this.left);
      this.owed += n;
      this.left -= n;
      if (!SCAN.owe) this.flush();
      e.send(n);
      this.bytes = n * e.pageSize;
      return n;
    }
    const k = e.kernel;
    c.written();
    const full = e.pageSize + PAGE_HEADER_BYTES;
    let budget = budgetBytes;
    let normal = 0, zero = 0;
    let wrapped = false;
    let pos = this.pos;
    while (budget > 0 && this.left > 0) {
      const want = Math.max(1, Math.floor(budget / full));
      let end = k.advanceAndNot(SEND, c.nodata, pos, want);
      const all = k.popcountAndRange(SEND, SEND, pos, end);
      const zeros = k.popcountAndRange(SEND, c.nodata, pos, end);
      k.clearRange(SEND, pos, end);
      this.left -= all;
      normal += all - zeros;
      zero += zeros;
      budget -= (all - zeros) * full + zeros * ZERO_PAGE_BYTES;
      if (end >= e.memPages) {
        end = 0;
        if (wrapped && all === 0) break;
        wrapped = true;
      }
      pos = end;
    }
    this.pos = pos;
    const extra = c.charge(normal, zero);
    e.send(normal);
    e.runTo(e.now + e.transmitUs(extra));
    this.bytes = normal * full + zero * ZERO_PAGE_BYTES;
    return normal + zero;
  }
}

/**
 * QEMU's migration loop over bitmaps SEND (the migration bitmap) and DIRTY (the dirty
 * log), with `nodata` and `scratch` its own. Ends in a stop-and-copy, at --max-time, or,
 * when hooks.startPostcopy says so, hands over to `postcopy` at QEMU's postcopy_start.
 */
export function runQemu(
  e: Engine, algorithm: string, p: ParamValues, bitmaps: { nodata: number; scratch: number }, hooks: QemuHooks = {},
  postcopy?: (start: QemuPostcopyStart) => QemuResult,
): QemuResult {
  const k = e.kernel;
  const downtimeLimitUs = (p.downtimeLimit as number) * 1e6;
  const avail = (p.availSwitchoverBandwidth as number | undefined) ?? 0;
  // Between two pending checks: at most MAX_WAIT of sending at the link's own speed, and
  // under max-bandwidth at most one BUFFER_DELAY window's budget (migration_rate_exceeded).
  const chunkBytes = Math.max(e.pageSize, Math.min((BUFFER_DELAY_US / 1e6) * e.bandwidth, (p.iterateTime as number) * unthrottled(e, p)));
  const syncTickUs = hooks.syncPeriodS !== undefined ? hooks.syncPeriodS * 1e6 : 0;
  const maxTimeUs = (p.maxTime as number) * 1e6;
  const costs = new PageCosts(e, bitmaps.nodata, bitmaps.scratch);
  const finish = (r: ReplayResult, syncs: number): QemuResult => {
    const out: QemuResult = { ...r, dirtySyncCount: syncs };
    if (!costs.on) return out;
    out.bytesSent = r.bytesSent + costs.extraBytes;
    out.zeroPagesSent = costs.zeroSent;
    out.pagesSent = r.pagesSent + costs.zeroSent;
    out.overheadRatio = out.pagesSent / e.memPages;
    return out;
  };

  // ram_save_setup: every page is to be sent; the setup sync cleans the dirty log.
  k.fill(SEND);
  let syncs = 1;
  // The first window starts with the migration thread, before setup (migration_thread
  // calls update_iteration_initial_status first, migration.c 3648).
  let windowStart = e.now;
  let windowBytes = 0;
  let thresholdBytes = 0; // s->threshold_size: 0 until the first window has been measured
  e.runTo(e.now + (p.setupTime as number) * 1e6);
  e.beginRound();
  const scan = new Scan(e, costs);
  let sentThisRound = 0;

  const sync = (): number => {
    // migration_bitmap_sync: the dirty log goes into the bitmap; a round ends here.
    costs.written();
    e.endRound(sentThisRound, 0, 0);
    scan.flush();
    k.andNot(DIRTY, DIRTY, SEND); // the pages the sync newly marks
    const newly = k.popcount(DIRTY);
    k.or(SEND, SEND, DIRTY);
    scan.left += newly;
    syncs++;
    return newly;
  };

  let tick = syncTickUs > 0 ? syncTickUs : Infinity; // cpu_throttle_dirty_sync_timer_tick
  let syncsAtTick = 0;
  const syncAt = (): boolean => {
    // A live sync; true when the migration can complete right after it.
    const newly = sync();
    const pendingBytes = scan.left * e.pageSize;
    const done = pendingBytes === 0 || pendingBytes < thresholdBytes;
    if (!done) hooks.onSync?.(e, newly, e.pagesSent * e.pageSize + costs.extraBytes);
    e.beginRound();
    sentThisRound = 0;
    return done;
  };

  for (;;) {
    // migration_iteration_run. migrate-start-postcopy comes from outside (a management
    // layer that saw the last sync's MIGRATION_PASS event): it counts from the next iteration.
    const toPostcopy = postcopy !== undefined && hooks.startPostcopy !== undefined && hooks.startPostcopy(e, syncs);
    let pendingBytes = scan.left * e.pageSize;
    let done = pendingBytes === 0;
    if (pendingBytes < thresholdBytes) done = syncAt(); // pending_exact
    if (done) {
      // (!pending_size || pending_size < s->threshold_size): migration_completion.
      if (sentThisRound > 0) e.endRound(sentThisRound, 0, 0);
      scan.flush();
      return finish(stopAndCopyQemu(e, algorithm, p, costs), syncs + 1);
    }
    if (toPostcopy) {
      // must_precopy (non-RAM state, none here) ≤ threshold_size: postcopy_start.
      if (sentThisRound > 0) e.endRound(sentThisRound, 0, 0);
      scan.flush();
      return postcopy!({ pos: scan.pos, syncs, extraBytes: costs.extraBytes, zeroPagesSent: costs.zeroSent });
    }
    pendingBytes = scan.left * e.pageSize;
    sentThisRound += scan.send(Math.min(chunkBytes, Math.max(pendingBytes, e.pageSize)));
    windowBytes += scan.bytes;
    if (e.now >= maxTimeUs) {
      e.endRound(sentThisRound, 0, 0);
      scan.flush();
      return finish(e.result(algorithm, p, 'max-time', null), syncs);
    }
    // migration_update_counters, once a BUFFER_DELAY window has passed.
    if (e.now - windowStart >= BUFFER_DELAY_US) {
      const bytesPerUs = avail > 0 ? avail / 1e6 : windowBytes / (e.now - windowStart);
      thresholdBytes = bytesPerUs * downtimeLimitUs;
      windowStart = e.now;
      windowBytes = 0;
    }
    // The periodic sync under auto-converge: at a tick that finds no sync since the last
    // one (and past the first pass), sync now.
    while (e.now >= tick) {
      if (syncs > 1 && syncs === syncsAtTick) syncAt();
      syncsAtTick = syncs;
      tick += syncTickUs;
    }
  }
}

/** The link's own speed, where QEMU lifts max-bandwidth. */
export function unthrottled(e: Engine, p: ParamValues): number {
  const u = (p.unthrottledBandwidth as number | undefined) ?? 0;
  return u > 0 ? u : e.bandwidth;
}

/**
 * migration_completion_precopy: stop the guest, sync once more (ram_save_complete), send
 * what is dirty and the device state at the unthrottled speed; downtime is all of it.
 */
function stopAndCopyQemu(e: Engine, algorithm: string, p: ParamValues, costs: PageCosts): ReplayResult {
  const k = e.kernel;
  e.settle();
  costs.written();
  k.or(SEND, SEND, DIRTY);
  const pages = k.popcount(SEND);
  const normal = costs.dataPagesIn(SEND);
  const extra = costs.on ? costs.charge(normal, pages - normal) : 0;
  const pageBytes = costs.on ? normal * e.pageSize + extra : pages * e.pageSize;
  const stateBytes = p.stateSize as number;
  const bytesPerS = unthrottled(e, p);
  const r = e.stopAndCopy(algorithm, p, costs.on ? normal : pages, 'converged', { bytes: pageBytes + stateBytes, bytesPerS, extraUs: ((p.stopTime as number | undefined) ?? 0) * 1e6 });
  // The round counts its zero pages too (pagesSent adds them at the end: finish()).
  e.rounds[e.rounds.length - 1]!.pagesSent = pages;
  // The oracle's budget is the pages' bytes at the rate they were sent (the state is not a page).
  return { ...r, bytesSent: r.bytesSent + stateBytes, stateBytes, finalCopy: { bytes: pageBytes, bytesPerS } };
}

export const qemu: Algorithm = {
  id: 'qemu',
  family: 'precopy',
  source: 'QEMU 10.0 migration/migration.c (migration_iteration_run, migration_update_counters, migration_completion_precopy) and migration/ram.c (ram_save_setup, ram_save_iterate, ram_save_complete)',
  summary: 'QEMU pre-copy: sync the dirty bitmap when pending < measured bandwidth × downtime-limit; switch over at or below it; no iteration cap',
  params: QEMU_PARAMS,
  needs: { extraBitmaps: QEMU_BITMAPS, settles: true },
  run: (e, p) => {
    const [nodata, scratch] = e.bitmaps(QEMU_BITMAPS);
    return runQemu(e, 'qemu', p, { nodata: nodata!, scratch: scratch! });
  },
};
