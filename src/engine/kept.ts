// What a replay keeps for a trace's later replays in the same process (a sweep worker's
// next cell, `replay --algo all`'s next algorithm), so that they copy it in instead of
// building it again: the rows grouped by spread fraction (RowGroups, clock.ts), and, in
// the kernel's own bitmap layout, a row's bins and the index of epoch unions (engine.ts).
// Each depends on the trace (and the kernel) alone. This memory is outside the --memory
// budget: a trace's kept rows and bins stay within the cap its replays were given, and
// an index within the index's own cap (docs/model.md, Cost).
import type { Kernel } from '../kernel/types.js';

type Store = Map<number, Uint32Array>;

interface TraceKept {
  groups: Store;
  /** Entries the trace's groups and bins hold, every kernel's bins included. */
  rowEntries: number;
  kernels: WeakMap<Kernel, { bins: Store; indexes: Store }>;
}

const byTrace = new WeakMap<object, TraceKept>();

/** The stores of one trace, with one kernel's. */
export class Kept {
  private readonly of: TraceKept;
  /** Grouped rows, by row. */
  readonly groups: Store;
  /** This kernel's bins of a row, by row. */
  readonly bins: Store;
  /** This kernel's index of epoch unions, by rows per block. */
  readonly indexes: Store;

  constructor(trace: object, kernel: Kernel) {
    let of = byTrace.get(trace);
    if (of === undefined) byTrace.set(trace, (of = { groups: new Map(), rowEntries: 0, kernels: new WeakMap() }));
    let mine = of.kernels.get(kernel);
    if (mine === undefined) of.kernels.set(kernel, (mine = { bins: new Map(), indexes: new Map() }));
    this.of = of;
    this.groups = of.groups;
    this.bins = mine.bins;
    this.indexes = mine.indexes;
  }

  /** Keep a row's groups or bins (`store`: groups or bins), if the trace's kept rows stay within `cap` entries. */
  keepRow(store: Store, row: number, copy: () => Uint32Array, size: number, cap: number): void {
    if (store.has(row) || this.of.rowEntries + size > cap) return;
    store.set(row, copy());
    this.of.rowEntries += size;
  }
}
