// A trace clock: one walk over the trace's epochs on its own time line, applying each
// epoch's writes as trace time passes them under the --within-epoch rule:
//   start  — an epoch's writes all land at its t_us (the original trace contract's rule);
//   spread — each page's write lands at t_us + h·length, h a fixed hash of (epoch row,
//            page) uniform in [0, 1): a span covering a fraction f of an epoch sees
//            about f of its pages, the same ones every time;
//   whole  — every round that overlaps any part of an epoch sees all of it (an upper
//            bound on dirtying): at each round start the epoch in progress is seen again.
import { epochSeed, SPREAD_GROUPS, type Bitmap, type Kernel } from '../kernel/types.js';
import type { EpochCursor, StagedEpoch } from './cursor.js';
import { Kept } from './kept.js';

/** How the writes of an epoch are placed in time. */
export type WithinEpoch = 'start' | 'spread' | 'whole';

/** The rules, in the order ranges list them. */
export const WITHIN_EPOCH_RULES: readonly WithinEpoch[] = ['start', 'spread', 'whole'];

/** Test hook: skip the whole passes of the trace a clock passes while it only counts rows (TraceClock.passesBefore), counting them in `skipped`; off, every epoch is stepped through. */
export const SKIP = { passes: true, skipped: 0 };

const NOTHING = (): void => {};
const FULL = 2 ** 31; // spread fractions are 31-bit
const QUARTER = FULL / 4; // RowGroups' bins

/**
 * spread, once the trace has wrapped: each row's lists grouped by spread fraction
 * (kernel.groupSpread) the first time one of its epochs lands in part, and kept in the
 * list area from `base` on for its later visits, so that a slice reads only its groups
 * (takeSpread) instead of filtering the epoch (a QEMU replay syncs mid-epoch at every
 * round: two filters of the epoch per round, on every wrap). Shared by an engine's
 * clocks; rows that do not fit `capacity` entries are filtered as before. A row's groups
 * and bins are also kept for the trace's later replays (kept.ts).
 */
export class RowGroups {
  private readonly at: Float64Array;
  private readonly kept: Kept;
  private used = 0;
  // Bins: each kept row's landings, and where its saved bitmaps are (-1: none).
  private readonly uses: Uint32Array;
  private readonly binAt: Float64Array;

  constructor(
    private readonly kernel: Kernel, trace: object, private base: number, private readonly capacity: number, epochs: number,
    /** Save bins of a row's pages from its third landing on (see binsOf), using `scratch`; a guest of memPages pages. */
    private readonly bins?: { scratch: Bitmap; memPages: number },
  ) {
    this.at = new Float64Array(epochs).fill(-1);
    this.uses = new Uint32Array(bins ? epochs : 0);
    this.binAt = new Float64Array(bins ? epochs : 0).fill(-1);
    this.kept = new Kept(trace, kernel);
  }

  /** The end of the kept rows in the list area (16-byte aligned): beyond it the list area is free until more rows are kept. */
  get end(): number {
    return this.base + Math.ceil(this.used / 4) * 4;
  }

  /**
   * Where a kept row's bins are, saved by kernel.saveBitmap: the unions of its pages in
   * fraction quarters 0, 0–1, 0–2 (prefixes) and 1–3, 2–3, 3 (suffixes), so that a slice
   * from an epoch's start or to its end is one orSaved and one partial quarter instead
   * of a setBits of every page. Made at the row's third landing (copied in at once where
   * an earlier replay of the trace made them), for rows of at least 1/32 of memory's pages
   * (below that a bitmap costs more than its pages); else -1. `out`: room for the row's pages.
   */
  binsOf(ep: EpochCursor, kept: number, out: number): number {
    const row = ep.row;
    const have = this.binAt[row];
    if (have === undefined || have >= 0) return have ?? -1;
    const b = this.bins!;
    const saved = this.kept.bins.get(row);
    if (ep.pagesLen * 32 < b.memPages || (saved === undefined && ++this.uses[row]! < 3)) return -1;
    const k = this.kernel;
    const size = k.savedEntries();
    const at = this.end;
    if (at + 6 * size - this.base > this.capacity) return -1;
    const lists = k.lists(at + 6 * size);
    this.used = at + 6 * size - this.base;
    this.binAt[row] = at;
    if (saved !== undefined && saved.length === 6 * size) {
      lists.set(saved, at);
      return at;
    }
    const [pages, starts] = [kept, kept + ep.pagesLen]; // the pages list's part of the record (RowGroups.layout)
    const seed = epochSeed(row);
    const quarter = (q: number) => k.setBits(b.scratch, out, k.takeSpread(pages, starts, seed, q * QUARTER, (q + 1) * QUARTER, out));
    k.clear(b.scratch);
    for (let q = 0; q < 3; q++) {
      quarter(q);
      k.saveBitmap(b.scratch, at + q * size); // prefix of quarters 0 … q
    }
    k.clear(b.scratch);
    for (let q = 3; q >= 1; q--) {
      quarter(q);
      k.saveBitmap(b.scratch, at + (2 + q) * size); // suffix of quarters q … 3
    }
    this.kept.keepRow(this.kept.bins, row, () => k.lists(0).slice(at, at + 6 * size), 6 * size, this.capacity);
    return at;
  }

  /** Keep rows from `at` on instead (before any is kept: the list area before it is someone else's). */
  startAt(at: number): void {
    if (this.used > 0) throw new Error('engine: the list area was claimed after rows were kept in it');
    this.base = at;
  }

  /** Where list i of a row kept at `at` has its grouped pages and group starts (lists of length 0 take no room). */
  static layout(at: number, lens: readonly number[]): [number, number][] {
    return lens.map((len) => {
      const list: [number, number] = [at, at + len];
      if (len > 0) at += len + SPREAD_GROUPS + 1;
      return list;
    });
  }

  /** Where the epoch's row is kept (grouped now if the trace has wrapped and it fits), or -1. */
  of(ep: EpochCursor): number {
    const row = ep.row;
    const kept = this.at[row]!;
    if (kept >= 0 || ep.pass === 0) return kept;
    const parts: [number, number][] = [[ep.pagesOff, ep.pagesLen], [ep.commOff, ep.commLen], [ep.immpOff, ep.immpLen]];
    const size = parts.reduce((n, [, len]) => n + (len > 0 ? len + SPREAD_GROUPS + 1 : 0), 0);
    if (this.used + size > this.capacity) return -1;
    const at = this.base + this.used;
    const lists = this.kernel.lists(at + size);
    const saved = this.kept.groups.get(row);
    if (saved !== undefined && saved.length === size) lists.set(saved, at);
    else {
      ep.ensureStaged();
      RowGroups.layout(at, parts.map(([, len]) => len)).forEach((out, i) => {
        if (parts[i]![1] > 0) this.kernel.groupSpread(parts[i]![0], parts[i]![1], epochSeed(row), ...out);
      });
      this.kept.keepRow(this.kept.groups, row, () => this.kernel.lists(0).slice(at, at + size), size, this.capacity);
    }
    this.used += size;
    this.at[row] = at;
    return at;
  }
}

/** One walk over the trace: its own trace time, speed and effect of each epoch. */
export class TraceClock {
  /** Unwrapped trace time, µs. */
  traceUs: number;
  /** Trace µs that pass per migration µs (1 = full speed). */
  rate = 1;
  /** What happens to each epoch's writes as this clock passes them; set by the engine and algorithms. */
  onEpoch: (epoch: StagedEpoch) => void = () => {};
  /** Called when the clock enters an epoch (before any of its writes land), e.g. to change the rate. */
  onEpochStart: (epoch: StagedEpoch) => void = NOTHING;

  /**
   * spread: land the part of an epoch that time has passed only when the epoch ends or at
   * settle(), not at every advance (the owner settles before anything looks at what
   * landed). The same pages land, in fewer and larger lists: filtering an epoch once
   * instead of at every short send.
   */
  deferPartial = false;

  /**
   * Set by the engine when it has an index of epoch unions (needs.settles): once the
   * trace has wrapped, whole epochs that land through `hook` are only counted, and
   * handed to landRows(first row, count) at settle() — one union of bitmaps in place of
   * a setBits per epoch. Off as soon as onEpoch is anything but `hook`.
   */
  rowsTo?: { hook: (epoch: StagedEpoch) => void; epochs: number; landRows: (row: number, count: number) => void };
  /** Set by the engine: while onEpoch is `hook` (the writes' pages go into `bitmap`, nothing else), a slice may land through RowGroups' bins. */
  bitsTo?: { hook: (epoch: StagedEpoch) => void; bitmap: Bitmap };
  // rowsTo: the whole epochs counted and not yet landed: rows pendRow, pendRow + 1, … (wrapping), pendCount of them.
  private pendRow = 0;
  private pendCount = 0;

  // spread: how much of the current epoch (the cursor's) has landed, as a 31-bit fraction.
  private landed = FULL;
  // spread, deferPartial: the trace time up to which the current epoch is due to have landed (-1: nothing due).
  private dueUs = -1;
  private readonly part: StagedEpoch;
  // spread: slices of the current epoch landed so far. From the third on they are read
  // from the epoch's lists grouped once by fraction (kernel.groupSpread) instead of
  // filtering the whole epoch again for each: xen peeks the dirty log before every batch,
  // so an epoch may land in hundreds of slices.
  private slices = 0;

  constructor(
    readonly cursor: EpochCursor,
    startUs: number,
    private readonly kernel: Kernel,
    readonly rule: WithinEpoch,
    private readonly spreadOffset: number,
    /** Where the grouped lists go (room for 3 × (capacity + SPREAD_GROUPS + 1) entries); undefined: never grouped. */
    private readonly groups?: { at: number; capacity: number },
    /** Rows grouped once for all their visits after the first wrap (spread only). */
    private readonly rowGroups?: RowGroups,
  ) {
    this.traceUs = startUs;
    this.part = {
      timeUs: 0, lengthUs: 0, ordinal: -1, row: -1, repeat: false,
      pagesOff: spreadOffset, pagesLen: 0, commOff: spreadOffset, commLen: 0, immpOff: spreadOffset, immpLen: 0,
    };
    // The epoch in progress at the start: under spread its later writes are still to come.
    if (rule === 'spread' && cursor.ordinal >= 0 && cursor.nextUs > startUs) {
      this.landed = Math.min(FULL, Math.ceil(((startUs - cursor.timeUs) / cursor.lengthUs) * FULL));
    }
  }

  /** Let `dtUs` of migration time pass, applying the writes trace time passes (an epoch may change the rate). */
  advance(dtUs: number): void {
    const cursor = this.cursor;
    let remaining = dtUs;
    for (;;) {
      const target = this.traceUs + remaining * this.rate;
      if (this.rule === 'spread' && this.landed < FULL) {
        // The current epoch's writes up to the target (or its end) land now.
        if (target <= cursor.nextUs) {
          if (this.deferPartial) this.dueUs = target;
          else this.land(target);
          break;
        }
        this.dueUs = -1;
        this.land(cursor.nextUs);
      }
      if (!(cursor.nextUs < target)) break;
      const passes = this.passesBefore(target);
      if (passes > 0) {
        const by = passes * cursor.periodUs;
        remaining -= by; // what the steps through them would leave: each subtracts whole µs, exactly
        this.traceUs += by;
        this.countRows(cursor.row + 1, passes * this.rowsTo!.epochs);
        cursor.skipPasses(passes, this.rowsTo!.epochs);
        SKIP.skipped += passes;
        continue;
      }
      remaining -= (cursor.nextUs - this.traceUs) / this.rate;
      this.traceUs = cursor.nextUs;
      const ep = cursor.step();
      ep.repeat = false;
      this.onEpochStart(ep);
      if (this.rule === 'spread') {
        this.landed = 0;
        this.slices = 0;
      } else this.whole(ep);
    }
    this.traceUs += remaining * this.rate;
  }

  /**
   * How many whole passes of the trace this clock may skip on its way to `target` (0: it
   * steps): while each epoch it passes would only be counted for the index (rowsTo, after
   * the first wrap, the engine's hook, nothing on epoch starts) at full speed, with the
   * current epoch landed in full and the clock at its start. Stepping through a pass adds
   * up to exactly one period then: epoch times are whole µs (checked below 2⁵³), so each step
   * subtracts a whole number from the time remaining, exactly, and the target it compares
   * with is the same double at every step. The passes skipped end on the same epoch, each
   * of their epochs before the target (under spread its end: it lands in full).
   */
  private passesBefore(target: number): number {
    const to = this.rowsTo;
    const c = this.cursor;
    const period = c.periodUs;
    if (!SKIP.passes || to === undefined || this.onEpoch !== to.hook || this.onEpochStart !== NOTHING || this.rate !== 1) return 0;
    if (c.pass === 0 || this.traceUs !== c.timeUs || this.landed !== FULL || this.dueUs >= 0 || !Number.isSafeInteger(period) || !Number.isSafeInteger(c.timeUs) || !(target < 2 ** 53)) return 0;
    const base = this.rule === 'spread' ? c.nextUs : c.timeUs;
    let k = Math.floor((target - base) / period);
    while (k > 0 && !(base + k * period < target)) k--;
    while (base + (k + 1) * period < target) k++;
    return k;
  }

  // rowsTo: count `count` whole epochs from `row` on (wrapping) for the next settle, as whole() would one by one.
  private countRows(row: number, count: number): void {
    const epochs = this.rowsTo!.epochs;
    if (this.pendCount > 0 && (this.pendRow + this.pendCount) % epochs !== row % epochs) this.settle();
    if (this.pendCount === 0) this.pendRow = row % epochs;
    this.pendCount += count;
  }

  /** Land what deferPartial has held back: afterwards every write before the clock's time has landed. */
  settle(): void {
    // The partial first: an epoch due in full counts as a whole one, for the rows below.
    if (this.dueUs >= 0) {
      const until = this.dueUs;
      this.dueUs = -1;
      this.land(until);
    }
    if (this.pendCount > 0) {
      const count = this.pendCount;
      this.pendCount = 0;
      this.rowsTo!.landRows(this.pendRow, count);
    }
  }

  // All of an epoch lands: now, or (rowsTo, after the first wrap) at the next settle.
  private whole(ep: StagedEpoch): void {
    const to = this.rowsTo;
    if (to === undefined || this.cursor.pass === 0 || this.onEpoch !== to.hook) {
      this.cursor.ensureStaged();
      this.onEpoch(ep);
      return;
    }
    this.countRows(ep.row, 1);
  }

  // spread: land the current epoch's pages whose write time is before `untilUs`.
  private land(untilUs: number): void {
    const c = this.cursor;
    const to = untilUs >= c.nextUs ? FULL : Math.min(FULL, Math.ceil(((untilUs - c.timeUs) / c.lengthUs) * FULL));
    if (to <= this.landed) return;
    if (this.landed === 0 && to === FULL) {
      // The whole epoch at once (the common case: rounds are longer than epochs). Every
      // spread fraction is in [0, FULL), so filtering would copy every list unchanged:
      // hand over the cursor's own lists instead.
      this.landed = FULL;
      if (c.pagesLen > 0) this.whole(c);
      return;
    }
    const seed = epochSeed(c.row);
    const k = this.kernel;
    const part = this.part;
    part.timeUs = c.timeUs;
    part.lengthUs = c.lengthUs;
    part.ordinal = c.ordinal;
    part.row = c.row;
    part.pagesOff = this.spreadOffset;
    const g = this.groups;
    const kept = this.rowGroups === undefined ? -1 : this.rowGroups.of(c);
    if (kept >= 0 && this.bitsTo !== undefined && this.onEpoch === this.bitsTo.hook && (this.landed === 0 || to === FULL)) {
      const bins = this.rowGroups!.binsOf(c, kept, part.pagesOff);
      if (bins >= 0) return this.landBins(bins, kept, seed, to);
    }
    if (kept < 0) c.ensureStaged();
    const lists: [number, number][] = [[c.pagesOff, c.pagesLen], [c.commOff, c.commLen], [c.immpOff, c.immpLen]];
    if (kept < 0 && (g === undefined || ++this.slices < 3)) {
      const filter = (i: number, out: number) => k.filterSpread(lists[i]![0], lists[i]![1], seed, this.landed, to, out);
      part.pagesLen = filter(0, part.pagesOff);
      part.commOff = part.pagesOff + part.pagesLen;
      part.commLen = filter(1, part.commOff);
      part.immpOff = part.commOff + part.commLen;
      part.immpLen = filter(2, part.immpOff);
    } else {
      // The same pages as filterSpread's, grouped by fraction instead of ascending: every
      // use of a landed slice (setBits, setBitsExcept, countPages) is a set operation.
      // The groups are the row's, kept since the first wrap, or this visit's, made at its third slice.
      let at: [number, number][];
      if (kept >= 0) at = RowGroups.layout(kept, lists.map(([, len]) => len));
      else {
        at = lists.map((_, i) => {
          const a = g!.at + i * (g!.capacity + SPREAD_GROUPS + 1);
          return [a, a + g!.capacity];
        });
        if (this.slices === 3) lists.forEach(([off, len], i) => k.groupSpread(off, len, seed, ...at[i]!));
      }
      const take = (i: number, out: number) => (lists[i]![1] === 0 ? 0 : k.takeSpread(...at[i]!, seed, this.landed, to, out));
      part.pagesLen = take(0, part.pagesOff);
      part.commOff = part.pagesOff + part.pagesLen;
      part.commLen = take(1, part.commOff);
      part.immpOff = part.commOff + part.commLen;
      part.immpLen = take(2, part.immpOff);
    }
    this.landed = to;
    if (part.pagesLen > 0) this.onEpoch(part);
  }

  // spread: the slice [landed, to), from the epoch's start or to its end, through the row's
  // bins (RowGroups.binsOf): the saved union of its whole quarters, and the pages of the
  // quarter it cuts (landed as a list, as land() would).
  private landBins(bins: number, kept: number, seed: number, to: number): void {
    const c = this.cursor;
    const k = this.kernel;
    const size = k.savedEntries();
    const part = this.part;
    let from = this.landed, until = to;
    if (this.landed === 0) {
      const q = Math.floor(to / QUARTER); // [0, to): quarters 0 … q − 1 whole
      if (q > 0) k.orSaved(this.bitsTo!.bitmap, bins + (q - 1) * size);
      from = q * QUARTER;
    } else {
      const q = Math.floor(this.landed / QUARTER); // [landed, FULL): quarters q + 1 … 3 whole
      if (q < 3) k.orSaved(this.bitsTo!.bitmap, bins + (3 + q) * size);
      until = (q + 1) * QUARTER;
    }
    // The pages list comes first in the row's record (RowGroups.layout): pages, then starts.
    part.pagesLen = k.takeSpread(kept, kept + c.pagesLen, seed, from, until, part.pagesOff);
    part.commOff = part.immpOff = part.pagesOff + part.pagesLen;
    part.commLen = part.immpLen = 0; // the hook reads the pages only
    this.landed = to;
    if (part.pagesLen > 0) this.onEpoch(part);
  }

  /** A round begins at the current trace time: under whole, it sees the epoch in progress again. */
  roundStarts(): void {
    const c = this.cursor;
    if (this.rule !== 'whole' || c.ordinal < 0 || !(c.nextUs > this.traceUs)) return;
    c.ensureStaged();
    c.repeat = true;
    this.onEpoch(c);
    c.repeat = false;
  }
}
