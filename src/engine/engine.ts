// The replay clock and round bookkeeping shared by every algorithm. Migration time
// runs in µs from 0; each trace clock (src/engine/clock.ts) runs from --start at
// `rate` trace-µs per migration-µs (1 unless the guest, or one process in it, is
// slowed) and lands each epoch's writes under the --within-epoch rule.
import { EXIT_RUN_FAILED, fail } from '../errors.js';
import { SPREAD_GROUPS, type Bitmap, type Kernel } from '../kernel/types.js';
import type { Trace } from '../trace/read.js';
import type { EpochBatch } from '../trace/schema.js';
import { RowGroups, TraceClock } from './clock.js';
import { EpochCursor, stageCapacity } from './cursor.js';
import { Kept } from './kept.js';
import type { LinkParams, ReplayResult, RoundRecord } from './types.js';

/** Bitmaps every replay has; algorithms may ask for more (handles from FIRST_FREE_BITMAP on). */
export const SEND: Bitmap = 0; // pages the current live round sends
export const DIRTY: Bitmap = 1; // pages dirtied since the current round began (the dirty log)
export const DEFER: Bitmap = 2; // pages held back for the stop-and-copy round
export const TMP: Bitmap = 3; // scratch
/** The first bitmap handle an algorithm may use for itself. */
export const FIRST_FREE_BITMAP = 4;

/** A replay that needs the trace this many times over is not measuring the trace any more. */
export const MAX_WRAPS = 10_000;

/** List-area entries each algorithm may use as scratch, after the staging area. */
export const SCRATCH_LISTS = 1 << 16;

/** The most memory the index of epoch unions may take (needs.settles), bytes; a larger trace goes without. */
export const INDEX_BYTES = 32 * 2 ** 20;

/** The most list-area memory the rows grouped by spread fraction may take (RowGroups), bytes. */
export const ROW_GROUP_BYTES = 64 * 2 ** 20;

/** What an algorithm asks of the engine at set-up. */
export interface EngineNeeds {
  /** Bitmaps beyond the engine's four. */
  extraBitmaps?: number;
  /** Trace clocks (default 1): each walks the trace on its own time line, e.g. a slowed process. */
  clocks?: number;
  /**
   * The algorithm calls settle() before it reads anything the trace's writes change
   * (DIRTY, its own onEpoch effects) other than where the engine does (beginRound,
   * endRound, stopAndCopy): the engine may then land a spread epoch's writes in one go.
   */
  settles?: boolean;
  /** The most memory the index of epoch unions may take, bytes (default INDEX_BYTES). */
  indexBytes?: number;
  /**
   * spread: group an epoch that lands in three or more slices once, and, once the trace
   * has wrapped, keep each row's groups for its later visits; read each slice from its
   * groups (default true; off only to test it).
   */
  groupSlices?: boolean;
  /** The most memory the kept rows may take, bytes (default ROW_GROUP_BYTES). */
  rowGroupBytes?: number;
}

/**
 * How a replay's transfers cross the link when it is shared (a fleet: src/run/fleet.ts):
 * the µs that `bytes` take from the replay's own time `atUs`, at up to `capBytesPerS`.
 * Without one, a transfer takes bytes / cap.
 */
export interface LinkChannel {
  transferUs(atUs: number, bytes: number, capBytesPerS: number): number;
}

/** One replay in progress: kernel state, clock, trace cursor and the round table. */
export class Engine {
  readonly memPages: number;
  readonly pageSize: number;
  readonly bandwidth: number;
  readonly kernel: Kernel;
  /** Migration time, µs. */
  now = 0;
  /** The trace clocks; clocks[0] is the guest's, the others belong to algorithms that ask for them. */
  readonly clocks: TraceClock[] = [];
  /** Pages sent so far. */
  pagesSent = 0;
  readonly rounds: RoundRecord[] = [];
  /** Where scratch page lists may go in the kernel's list area. */
  readonly scratchOffset: number;

  private roundStart = 0;
  private readonly startUs: number;
  private nextBitmap = FIRST_FREE_BITMAP;
  private readonly bitmapCount: number;
  // The index of epoch unions: rows go in blocks of indexBlock (1 unless the table would
  // not fit INDEX_BYTES); bitmap bitmapCount + j·blocks + i holds the pages of blocks
  // [i, i + 2^j) (a sparse table), built at the first wrap; 0 levels: none. Rows of a
  // partial block are set from their batches (blocks > 1 only for kept traces).
  private readonly indexLevels: number;
  private readonly indexBlock: number;
  private readonly indexBlocks: number;
  private indexBuilt = false;
  private rowBatch: EpochBatch[] = [];
  private listsEnd: number;
  private readonly rowGroups: RowGroups | undefined;
  private rowIndex: Int32Array = new Int32Array(0);

  constructor(readonly trace: Trace, kernel: Kernel, readonly link: LinkParams, needs: EngineNeeds = {}, private readonly channel?: LinkChannel) {
    this.kernel = kernel;
    this.memPages = trace.meta.memPages;
    this.pageSize = trace.meta.pageSize;
    this.bandwidth = link.bandwidthBytesPerS;
    this.bitmapCount = FIRST_FREE_BITMAP + (needs.extraBitmaps ?? 0);
    const epochs = trace.summary.epochs;
    const bitmapBytes = Math.ceil(this.memPages / 128) * 16;
    const kept = trace.batches() === trace.batches(); // the same batches on every pass: rows can be read again
    const indexBytes = needs.indexBytes ?? INDEX_BYTES;
    let block = 1;
    while (Math.ceil(epochs / block) * (32 - Math.clz32(Math.ceil(epochs / block))) * bitmapBytes > indexBytes && block < epochs) block *= 2;
    const blocks = Math.ceil(epochs / block);
    const levels = 32 - Math.clz32(blocks);
    const wanted = needs.settles === true && !channel && epochs > 1 && (block === 1 || kept) && blocks * levels * bitmapBytes <= indexBytes;
    this.indexLevels = wanted ? levels : 0;
    this.indexBlock = block;
    this.indexBlocks = blocks;
    const grouping = link.withinEpoch === 'spread' && needs.groupSlices !== false;
    const binScratch = this.bitmapCount + this.indexLevels * blocks; // RowGroups' bins are made in it
    kernel.init(this.memPages, binScratch + (grouping ? 1 : 0));
    // List area: each clock's staged batch, each clock's spread slice of an epoch, then scratch.
    const stage = stageCapacity(trace);
    // A clock's slice area: the landed slice's three lists; under spread also the epoch's
    // three lists grouped (pages, group starts).
    const maxEpoch = trace.summary.maxEpochPages;
    const slice = 3 * maxEpoch + (grouping ? 3 * (maxEpoch + SPREAD_GROUPS + 1) : 0);
    const clocks = needs.clocks ?? 1;
    this.scratchOffset = (stage + slice) * clocks;
    kernel.lists(this.scratchOffset + SCRATCH_LISTS);
    const startUs = link.startS * 1e6;
    this.startUs = startUs;
    // After the scratch: the area landRows and buildIndex copy a batch's pages to, then
    // the algorithm's own lists (ownLists), then the kept rows.
    this.listsEnd = this.scratchOffset + SCRATCH_LISTS + trace.summary.maxBatchPages;
    const rowGroups = grouping ? new RowGroups(kernel, trace, this.listsEnd, Math.floor((needs.rowGroupBytes ?? ROW_GROUP_BYTES) / 4), epochs, { scratch: binScratch, memPages: this.memPages }) : undefined;
    this.rowGroups = rowGroups;
    for (let c = 0; c < clocks; c++) {
      const cursor = new EpochCursor(trace, kernel, c * stage, startUs);
      const sliceAt = clocks * stage + c * slice;
      const clock = new TraceClock(cursor, startUs, kernel, link.withinEpoch, sliceAt, grouping ? { at: sliceAt + 3 * maxEpoch, capacity: maxEpoch } : undefined, rowGroups);
      clock.onEpoch = (e) => kernel.setBits(DIRTY, e.pagesOff, e.pagesLen);
      clock.bitsTo = { hook: clock.onEpoch, bitmap: DIRTY };
      clock.deferPartial = needs.settles === true;
      if (this.indexLevels > 0) {
        clock.rowsTo = { hook: clock.onEpoch, epochs, landRows: (row, count) => this.landRows(row, count) };
        cursor.lazyStage = true;
      }
      this.clocks.push(clock);
    }
  }

  /** Hand out n bitmaps of the algorithm's own (as many as its needs.extraBitmaps, in all). */
  bitmaps(n: number): Bitmap[] {
    if (this.nextBitmap + n > this.bitmapCount) {
      throw new Error(`engine: ${n} more bitmaps asked for, beyond the ${this.bitmapCount - FIRST_FREE_BITMAP} the algorithm's needs declare`);
    }
    const out: Bitmap[] = [];
    for (let i = 0; i < n; i++) out.push(this.nextBitmap++);
    return out;
  }

  /** `n` list-area entries of the algorithm's own, beyond everything the engine uses there; their offset. */
  ownLists(n: number): number {
    const at = this.listsEnd;
    this.listsEnd += n;
    this.rowGroups?.startAt(this.listsEnd);
    this.kernel.lists(this.listsEnd);
    return at;
  }

  /** The guest's clock. */
  get clock(): TraceClock {
    return this.clocks[0]!;
  }

  /** µs to send n pages over the link. */
  transferUs(pages: number): number {
    return (pages * this.pageSize * 1e6) / this.bandwidth;
  }

  /** Let migration time run to `untilUs` with the guest running, applying every epoch trace time passes. */
  runTo(untilUs: number): void {
    const dt = untilUs > this.now ? untilUs - this.now : 0;
    const periodUs = this.trace.summary.durationUs;
    for (const clock of this.clocks) {
      if (clock.traceUs + dt * clock.rate - this.startUs > MAX_WRAPS * periodUs) {
        fail('usage', `${this.trace.name}: the migration would run through the ${periodUs / 1e6} s trace more than ${MAX_WRAPS} times: the trace is far too short for this memory and link`);
      }
    }
    if (dt > 0) this.now = untilUs;
    for (const clock of this.clocks) clock.advance(dt);
  }

  /** µs the link takes for `bytes` sent from now at up to `bytesPerS` (the link's bandwidth by default). */
  transmitUs(bytes: number, bytesPerS: number = this.bandwidth, atUs: number = this.now): number {
    return this.channel ? this.channel.transferUs(atUs, bytes, bytesPerS) : (bytes * 1e6) / bytesPerS;
  }

  /** Send n pages with the guest running. */
  send(pages: number): void {
    this.pagesSent += pages;
    this.runTo(this.now + this.transmitUs(pages * this.pageSize));
  }

  // DIRTY |= the pages of `count` rows from `row` (wrapping), through the index.
  private landRows(row: number, count: number): void {
    const epochs = this.trace.summary.epochs;
    if (!this.indexBuilt) this.buildIndex();
    if (count >= epochs) return this.orRows(0, epochs);
    const end = row + count;
    if (end <= epochs) return this.orRows(row, end);
    this.orRows(row, epochs);
    this.orRows(0, end - epochs);
  }

  // DIRTY |= the pages of rows [from, to): the whole blocks by two bitmaps of the sparse table, the rest row by row.
  private orRows(from: number, to: number): void {
    const size = this.indexBlock;
    const first = Math.ceil(from / size);
    const end = to >= this.trace.summary.epochs ? this.indexBlocks : Math.floor(to / size);
    if (first >= end) return this.setRows(from, to);
    this.setRows(from, first * size);
    this.setRows(end * size, to);
    const j = 31 - Math.clz32(end - first);
    const base = this.bitmapCount + j * this.indexBlocks;
    this.kernel.or(DIRTY, DIRTY, base + first);
    if (end - (1 << j) > first) this.kernel.or(DIRTY, DIRTY, base + end - (1 << j));
  }

  // DIRTY |= the pages of rows [from, to), read from their batches (runs of one batch at a time).
  private setRows(from: number, to: number): void {
    const area = this.scratchOffset + SCRATCH_LISTS;
    for (let r = from; r < to; ) {
      const b = this.rowBatch[r]!;
      const i0 = this.rowIndex[r]!;
      const n = Math.min(to - r, b.length - i0);
      const pages = b.pages.subarray(b.offsets[i0]!, b.offsets[i0 + n]!);
      this.kernel.lists(area + pages.length).set(pages, area);
      this.kernel.setBits(DIRTY, area, pages.length);
      r += n;
    }
  }

  // One pass over the trace: each row's pages, then the unions of 2, 4, 8 … rows.
  private buildIndex(): void {
    const k = this.kernel;
    const epochs = this.trace.summary.epochs;
    const area = this.scratchOffset + SCRATCH_LISTS; // the list area beyond every clock's and the algorithm's
    const size = this.indexBlock;
    const blocks = this.indexBlocks;
    // Saved bitmaps of the index go, for the copy in or out, beyond every list in use.
    const count = this.indexLevels * blocks;
    const entries = k.savedEntries();
    const savedAt = this.rowGroups?.end ?? Math.ceil(this.listsEnd / 4) * 4;
    // Built once per trace and kernel, as saved bitmaps (kept.ts).
    const kept = new Kept(this.trace, k).indexes;
    const saved = kept.get(size);
    const built = saved !== undefined && saved.length === count * entries;
    if (built) {
      k.lists(savedAt + saved.length).set(saved, savedAt);
      for (let i = 0; i < count; i++) k.orSaved(this.bitmapCount + i, savedAt + i * entries); // the index's bitmaps are clear
      if (size === 1) {
        this.indexBuilt = true;
        return;
      }
    }
    if (size > 1) {
      this.rowBatch = new Array<EpochBatch>(epochs);
      this.rowIndex = new Int32Array(epochs);
    }
    let row = 0;
    for (const b of this.trace.batches()) {
      if (b.length === 0) continue;
      if (row + b.length > epochs) {
        row += b.length;
        break;
      }
      if (!built) k.lists(area + b.pages.length).set(b.pages, area);
      for (let i = 0; i < b.length; i++, row++) {
        if (!built) k.setBits(this.bitmapCount + Math.floor(row / size), area + b.offsets[i]!, b.offsets[i + 1]! - b.offsets[i]!);
        if (size > 1) {
          this.rowBatch[row] = b;
          this.rowIndex[row] = i;
        }
      }
    }
    if (row !== epochs) fail('truncated', `${this.trace.name}: a pass over the trace found ${row} epochs, not ${epochs}: the file changed since it was opened, or is corrupt`, EXIT_RUN_FAILED);
    if (!built) {
      for (let j = 1; j < this.indexLevels; j++) {
        const half = 1 << (j - 1);
        const at = this.bitmapCount + j * blocks;
        const below = at - blocks;
        for (let i = 0; i + (1 << j) <= blocks; i++) k.or(at + i, below + i, below + i + half);
      }
      k.lists(savedAt + count * entries);
      for (let i = 0; i < count; i++) k.saveBitmap(this.bitmapCount + i, savedAt + i * entries);
      kept.set(size, k.lists(0).slice(savedAt, savedAt + count * entries));
    }
    this.indexBuilt = true;
  }

  /** Land every write trace time has passed (needs.settles defers some until this). */
  settle(): void {
    for (const clock of this.clocks) clock.settle();
  }

  /** Start a live round: the dirty log is cleaned (DIRTY cleared). */
  beginRound(): void {
    this.runTo(this.now);
    this.settle();
    this.kernel.clear(DIRTY);
    this.roundStart = this.now;
    for (const clock of this.clocks) clock.roundStarts();
  }

  /** Close a live round and add it to the table. */
  endRound(sent: number, skipped: number, deferred: number): RoundRecord {
    this.runTo(this.now);
    this.settle();
    const round: RoundRecord = {
      index: this.rounds.length,
      startS: this.roundStart / 1e6,
      durationS: (this.now - this.roundStart) / 1e6,
      pagesDirtied: this.kernel.popcount(DIRTY),
      pagesSent: sent,
      pagesSkipped: skipped,
      pagesDeferred: deferred,
      final: false,
      phase: 'precopy',
    };
    this.rounds.push(round);
    return round;
  }

  /** Whether the replay has used trace time beyond the end of the trace. */
  get wrapped(): boolean {
    return this.clocks.some((c) => c.traceUs > this.trace.summary.durationUs);
  }

  /**
   * Pause the guest and send `pages` pages (or `cost.bytes` bytes at `cost.bytesPerS`,
   * where the pause sends more than the pages or runs at another rate; `cost.extraUs`
   * more of pause beyond the sending); returns the finished result.
   */
  stopAndCopy(algorithm: string, params: Record<string, number | string | boolean>, pages: number, stopReason: string, cost: { bytes?: number; bytesPerS?: number; extraUs?: number } = {}): ReplayResult {
    const wrapped = this.wrapped;
    const start = this.now;
    this.settle();
    // The guest stops (extraUs), then the rest crosses the link.
    const extraUs = cost.extraUs ?? 0;
    const transfer = extraUs + this.transmitUs(cost.bytes ?? pages * this.pageSize, cost.bytesPerS ?? this.bandwidth, start + extraUs);
    this.pagesSent += pages;
    this.now += transfer; // guest paused: trace time stands still
    this.rounds.push({
      index: this.rounds.length, startS: start / 1e6, durationS: transfer / 1e6,
      pagesDirtied: 0, pagesSent: pages, pagesSkipped: 0, pagesDeferred: 0, final: true, phase: 'stop-copy',
    });
    this.now += this.link.resumeMs * 1e3;
    return this.result(algorithm, params, stopReason, transfer / 1e3 + this.link.resumeMs, wrapped);
  }

  /** Pause the guest for `us` µs: migration time passes, trace time does not. */
  pause(us: number): void {
    this.now += us;
  }

  /** The result as things stand: downtimeMs null means the migration never switched over. */
  result(algorithm: string, params: Record<string, number | string | boolean>, stopReason: string, downtimeMs: number | null, wrapped = this.wrapped): ReplayResult {
    return {
      algorithm,
      params: { ...params, bandwidthBytesPerS: this.bandwidth, startS: this.link.startS, resumeMs: this.link.resumeMs },
      pagesSent: this.pagesSent,
      bytesSent: this.pagesSent * this.pageSize,
      totalTimeS: this.now / 1e6,
      downtimeMs,
      converged: downtimeMs !== null,
      iterations: this.rounds.filter((r) => r.phase === 'precopy').length,
      overheadRatio: this.pagesSent / this.memPages,
      stopReason,
      wrapped,
      rounds: this.rounds,
    };
  }
}
