// oracle — a clairvoyant lower bound for pre-copy on this trace and link (ours; the
// argument is in docs/algorithms.md). A pre-copy schedule that pauses the guest at τ
// must send every page at least once, and each page p written before τ (last write at
// r_p) must either be sent at or after r_p while the guest runs, or be sent in the
// stop-and-copy round. With u = P/B seconds per page and N(t) = the pages whose last
// write before τ is at or after t (never-written pages count at t = 0), at most
// ⌊(τ − t)/u⌋ of those N(t) can be sent live, so at least
//     S(τ) = max(0, max_t ⌈N(t) − (τ − t)/u⌉) = max(0, ⌈C − τ/u⌉),  C = max_t (N(t) + t/u)
// pages are left for the pause, and the migration takes at least τ + S(τ)·u + resume.
// For a downtime budget of K pages the oracle finds the least such time over all τ
// (scanning the trace's epochs, with the same wrap-around and start as every replay);
// the pages it sends are exactly the memory's pages, each once.
// Page costs: with `data_pages` a page still all zeros (never held data, not written
// yet) costs ZERO_PAGE_BYTES, as QEMU's zero pages do, so N counts pages weighted by
// cost; and a budget whose stop-and-copy ran faster than the link (qemu's
// stop-copy-bandwidth) is charged at that rate. Both keep the bound below every
// schedule that pays at least these costs.
import { fail } from '../errors.js';
import { MAX_WRAPS, type Engine } from '../engine/engine.js';
import type { ReplayResult } from '../engine/types.js';
import type { Kernel } from '../kernel/types.js';
import type { Algorithm } from './types.js';

/** Test hook: settle a budget as soon as it is decided (oracleBounds: none can meet it, or none later can beat its best), counting each way; off, the scan runs to the horizon or the best total. */
export const SETTLE = { early: true, hopeless: 0, bounded: 0 };

/** Bytes of a page sent while it is still all zeros (QEMU 10's zero-page header + 1 byte, save_zero_page). */
export const ZERO_PAGE_BYTES = 9;

/** A downtime budget to bound: what the pause may send, the rate it is sent at, how far to look. */
export interface OracleBudget {
  /** Bytes the stop-and-copy round may send, in pages of page_size (fractional with zero pages). */
  pages: number;
  /** Seconds of the pause per second of link time for those bytes (B / the stop-copy rate; 1: the link's rate). */
  rate?: number;
  /** Look no further than this, µs of migration time. */
  horizonUs: number;
}

/** The oracle's answer for one downtime budget. */
export interface OracleBound {
  /** Budget: pages the stop-and-copy round may send. */
  budgetPages: number;
  feasible: boolean;
  /** Switch-over time, µs of migration time. */
  tauUs: number;
  /** Pages left for the pause. */
  finalPages: number;
  /** Least total migration time, µs, resume time included. */
  totalUs: number;
}

// Largest memory the oracle handles: it keeps one 32-bit index per page.
export const MAX_ORACLE_PAGES = 2 ** 27;

/**
 * Range add / global max over epoch indices (N(t_j) + t_j/u for every epoch j so far),
 * in the kernel's list area, so that the kernel can apply an epoch's moves
 * (kernel.maxTreeAdd: the same additions as rangeAdd, in the same order).
 */
class MaxTree {
  readonly size: number;

  /** A tree of at least `leaves` leaves at list offset `at` (even), taking MaxTree.entries(leaves) entries. */
  constructor(private readonly kernel: Kernel, leaves: number, readonly at: number) {
    this.size = MaxTree.leavesFor(leaves);
    this.best.fill(-Infinity); // max over the subtree, own add included
    this.add.fill(0);
  }

  private static leavesFor(leaves: number): number {
    let size = 1;
    while (size < leaves) size *= 2;
    return size;
  }

  /** List-area entries a tree of `leaves` leaves takes: two arrays of 2·size doubles. */
  static entries(leaves: number): number {
    return 8 * MaxTree.leavesFor(leaves);
  }

  /** Where `add` starts in the list area. */
  get addAt(): number {
    return this.at + 4 * this.size;
  }

  private doubles(at: number): Float64Array {
    const lists = this.kernel.lists(0);
    return new Float64Array(lists.buffer, lists.byteOffset + 4 * at, 2 * this.size);
  }

  private get best(): Float64Array {
    return this.doubles(this.at);
  }

  private get add(): Float64Array {
    return this.doubles(this.addAt);
  }

  /** Set leaf i (never set before) to value v. */
  setLeaf(i: number, v: number): void {
    const { best, add } = this;
    // A new leaf sits under ancestors whose adds applied to older leaves only: compensate.
    let pending = 0;
    for (let n = (i + this.size) >> 1; n >= 1; n >>= 1) pending += add[n]!;
    let n = i + this.size;
    best[n] = v - pending;
    for (n >>= 1; n >= 1; n >>= 1) best[n] = Math.max(best[2 * n]!, best[2 * n + 1]!) + add[n]!;
  }

  /** Add d to leaves lo … hi (inclusive). */
  rangeAdd(lo: number, hi: number, d: number): void {
    if (lo > hi) return;
    const { best, add } = this;
    let l = lo + this.size;
    let r = hi + this.size + 1;
    const l0 = l;
    const r0 = r - 1;
    for (; l < r; l >>= 1, r >>= 1) {
      if (l & 1) { best[l]! += d; add[l++]! += d; }
      if (r & 1) { best[--r]! += d; add[r]! += d; }
    }
    for (let n = l0 >> 1; n >= 1; n >>= 1) best[n] = Math.max(best[2 * n]!, best[2 * n + 1]!) + add[n]!;
    for (let n = r0 >> 1; n >= 1; n >>= 1) best[n] = Math.max(best[2 * n]!, best[2 * n + 1]!) + add[n]!;
  }

  /** For each (leaf f, count c) pair at list offset `at`, in order: add c to leaves f + 1 … last. */
  addMoved(at: number, pairs: number, last: number): void {
    this.kernel.maxTreeAdd(this.at, this.addAt, this.size, at, pairs, last);
  }

  get max(): number {
    return this.best[1]!;
  }
}

/**
 * The oracle's bound for each budget, scanning epochs until every budget is settled or
 * migration time passes its own horizon: a budget's answer never depends on the others.
 */
export function oracleBounds(e: Engine, given: readonly OracleBudget[]): OracleBound[] {
  // No further than a replay may wrap the trace (the engine refuses more).
  const wrapLimitUs = MAX_WRAPS * e.trace.summary.durationUs;
  const budgets = given.map((b) => (b.horizonUs > wrapLimitUs ? { ...b, horizonUs: wrapLimitUs } : b));
  const horizonUs = Math.max(0, ...budgets.map((b) => b.horizonUs));
  const memPages = e.memPages;
  if (memPages > MAX_ORACLE_PAGES) fail('too-large', `oracle: ${memPages} pages is beyond what the oracle can track (at most ${MAX_ORACLE_PAGES})`);
  const u = e.transferUs(1);
  const resumeUs = e.link.resumeMs * 1e3;
  const clock = e.clock;
  const cursor = clock.cursor;
  const startUs = clock.traceUs;
  const s = e.trace.summary;
  const leaves = 2 + Math.ceil((horizonUs / s.durationUs + 2) * s.epochs);
  // Zero pages (data_pages given): cost z of a page until its first write.
  const dataPages = e.trace.meta.dataPages;
  const z = ZERO_PAGE_BYTES / e.pageSize;
  let zero: Uint8Array | undefined;
  let startCost = memPages;
  if (dataPages) {
    zero = new Uint8Array(memPages).fill(1);
    let data = 0;
    for (const [a, b] of dataPages) {
      zero.fill(0, a, b + 1);
      data += b - a + 1;
    }
    startCost = data + (memPages - data) * z;
  }
  const out: OracleBound[] = budgets.map((b) => ({ budgetPages: b.pages, feasible: false, tauUs: NaN, finalPages: NaN, totalUs: Infinity }));
  // In the kernel's list area: the leaf of each page's last write (0: none yet), a tally
  // per leaf, the (leaf, pages) pairs an epoch's writes move from (kernel.moveMarks),
  // and the tree (at an even offset: doubles).
  const k = e.kernel;
  const lastAt = e.ownLists(memPages + leaves + 2 * s.maxEpochPages + 1 + MaxTree.entries(leaves));
  const countAt = lastAt + memPages;
  const movedAt = countAt + leaves;
  k.lists(0).fill(0, lastAt, movedAt);
  const tree = new MaxTree(k, leaves, (movedAt + 2 * s.maxEpochPages + 1) & ~1);
  tree.setLeaf(0, startCost); // t = 0: every page's last write is at or after 0
  let tk = 0; // time of the last epoch applied (interval (tk, next] for τ)
  let leaf = 0;
  // Under --within-epoch spread an epoch's writes land anywhere inside it, so for a pause
  // inside epoch k only epochs before k have surely happened: they enter the scan one
  // epoch late, at their start time (never later than their writes), and epoch k is
  // left out — both relax the true constraints, so the bound stays a lower bound.
  const lag = e.link.withinEpoch === 'spread';
  let pending = false;
  // A budget no pause meets (tau > next) at any interval of one whole period of the trace,
  // two periods into the scan and by a margin, is met at no later one either: for t ≤ τ − P
  // every page the trace writes was written in [t, τ), so N(t) + t/u over the leaves after
  // t = 0 is, less τ/u, periodic in τ; leaf 0 (t = 0, never moved to) only falls against it.
  // While the maximum C is above leaf 0 by the margin, the leaves after it give C, and
  // C − next/u above the budget is tau > next. The margin (a page, and a millionth of C)
  // is far above the doubles' rounding, so the later intervals' own test fails as well:
  // the scan ends there with what the full scan would find (nothing), not at the horizon.
  let leaf0 = startCost; // leaf 0's value: never moved to, only the zero pages' first writes change it
  const leaf0Falls = zero !== undefined && z > 1;
  const periodUs = s.durationUs;
  // And a budget met already is settled once no later interval can beat its best: C never
  // falls, and a pause in an interval of maximum C takes (C − final)·u + final·u·rate ≥
  // C·u − budget·u·(1 − rate) (final ≤ budget), plus the resume, which with the same
  // margin is at or above the best found. (A zero page costing more than a page, page_size
  // below ZERO_PAGE_BYTES, makes leaf 0 fall at its first write: then only a C above leaf 0,
  // whose leaves never fall, counts.) Budgets are ≥ 0 (the callers', checked).
  const streak = new Array<number>(out.length).fill(0);
  const settled = new Array<boolean>(out.length).fill(false);
  // The cursor's epoch: its pages' last write moves to the current leaf.
  const applyCurrent = (): void => {
    tree.addMoved(movedAt, k.moveMarks(cursor.pagesOff, cursor.pagesLen, lastAt, countAt, leaf, movedAt), leaf);
    if (zero !== undefined) {
      const view = k.lists(0);
      let firstWrites = 0; // zero pages written for the first time: they now cost a whole page
      for (let i = cursor.pagesOff; i < cursor.pagesOff + cursor.pagesLen; i++) {
        const p = view[i]!;
        if (zero[p] === 1) {
          zero[p] = 0;
          firstWrites++;
        }
      }
      if (firstWrites > 0) {
        tree.rangeAdd(0, 0, firstWrites * (1 - z));
        leaf0 += firstWrites * (1 - z);
      }
    }
    pending = false;
  };
  for (;;) {
    const next = cursor.nextUs - startUs;
    const C = tree.max;
    const x0 = C - tk / u;
    for (let i = 0; i < out.length; i++) {
      const b = out[i]!;
      if (b.totalUs <= tk || tk > budgets[i]!.horizonUs || settled[i]) continue; // settled, or beyond its horizon
      const rate = budgets[i]!.rate ?? 1;
      if (SETTLE.early) {
        const margin = 1 + 1e-6 * Math.abs(C); // pages
        if (b.feasible) {
          if ((!leaf0Falls || C > leaf0 + margin) && (C - margin - b.budgetPages * Math.max(0, 1 - rate)) * u + resumeUs >= b.totalUs) {
            settled[i] = true;
            SETTLE.bounded++;
            continue;
          }
        } else if (tk >= 2 * periodUs && b.budgetPages >= 0) {
          if (C > leaf0 + margin && C - next / u > b.budgetPages + margin) {
            if (++streak[i]! >= s.epochs) {
              settled[i] = true;
              SETTLE.hopeless++;
              continue;
            }
          } else streak[i] = 0;
        }
      }
      let tau: number;
      let final: number;
      if (x0 <= 0) {
        tau = tk;
        final = 0;
      } else {
        // Whole pages cost whole pages: at the link's rate every τ of the interval costs
        // C·u, and whole pages keep the bound as it always was. With zero pages (costs in
        // fractions of a page) or a faster pause, the earliest τ is the best and the pause
        // takes the exact fraction (rounding down would push τ past the interval).
        final = Math.min(b.budgetPages, rate === 1 && zero === undefined ? Math.floor(x0) : x0);
        tau = (C - final) * u;
        if (tau > next) continue; // the pause cannot come before the next epoch's writes
      }
      const total = tau + final * u * rate + resumeUs;
      if (total < b.totalUs) Object.assign(b, { feasible: true, tauUs: tau, finalPages: final, totalUs: total });
    }
    if (out.every((b, i) => b.totalUs <= next || next > budgets[i]!.horizonUs || settled[i])) break;
    if (lag && pending) applyCurrent();
    cursor.step();
    tk = next;
    leaf++;
    tree.setLeaf(leaf, tk / u);
    if (lag) pending = true;
    else applyCurrent();
  }
  clock.traceUs = startUs + tk;
  return out;
}

export const oracle: Algorithm = {
  id: 'oracle',
  family: 'bound',
  source: 'ours: clairvoyant lower bound for pre-copy (docs/algorithms.md#oracle)',
  summary: 'the least time any pre-copy could take on this trace with downtime ≤ downtime-limit; every page sent once',
  params: [
    { name: 'downtime-limit', kind: 'duration', default: 0.3, bareUnit: 'ms', doc: 'downtime budget: the time to send what is left while paused, as QEMU\'s downtime-limit (a bare number is ms)' },
    { name: 'max-time', kind: 'duration', default: 600, doc: 'look this far ahead in migration time' },
  ],
  run(e, p): ReplayResult {
    // As QEMU's downtime-limit: the time to send what is left, the resume time not included.
    const budget = Math.floor(((p.downtimeLimit as number) * 1e6) / e.transferUs(1) + 1e-9);
    const [b] = oracleBounds(e, [{ pages: budget, horizonUs: (p.maxTime as number) * 1e6 }]);
    if (!b!.feasible) {
      e.pause((p.maxTime as number) * 1e6);
      return e.result('oracle', p, 'infeasible', null);
    }
    const live = e.memPages - b!.finalPages;
    e.rounds.push({ index: 0, startS: 0, durationS: b!.tauUs / 1e6, pagesDirtied: 0, pagesSent: live, pagesSkipped: 0, pagesDeferred: 0, final: false, phase: 'precopy' });
    e.now = b!.tauUs;
    e.clock.traceUs = e.link.startS * 1e6 + b!.tauUs;
    e.pagesSent = live;
    return e.stopAndCopy('oracle', p, b!.finalPages, 'clairvoyant');
  },
};
