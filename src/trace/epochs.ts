// Epoch assembly for the workloads: memory regions, the pages one epoch writes (with
// their comm/immp tags, placed in guest-physical memory), and the loop over epochs.
// Per-epoch work is O(page writes in that epoch); nothing holds the whole trace.
import { paramKey, type ParamValue } from '../params/index.js';
import { fail } from '../errors.js';
import { Permutation, Rng, sampleDistinct } from './random.js';
import type { EmitEpoch, GenOptions } from './workloads/types.js';

/** A reusable growable list of page numbers for one epoch. */
class PageBuf {
  data = new Uint32Array(4096);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  /** Sort, drop duplicates, and return a view (valid until the next reset). */
  sortedDistinct(): Uint32Array {
    const view = this.data.subarray(0, this.length).sort();
    let n = 0;
    for (let i = 0; i < view.length; i++) if (n === 0 || view[i] !== view[n - 1]) view[n++] = view[i]!;
    return view.subarray(0, n);
  }
}

/** Which optional column a write also goes to. */
export const Tag = { None: 0, Comm: 1, Immp: 2 } as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

/** A range of logical pages owned by one part of a workload. */
export interface Region {
  name: string;
  base: number;
  size: number;
}

/** Logical regions laid out one after the other; they must fit in memory. */
export class Layout {
  private next = 0;
  readonly regions: Region[] = [];
  constructor(private readonly o: GenOptions) {}
  /** A region of `pages` pages (0 allowed: an empty region). */
  region(name: string, pages: number): Region {
    const r = { name, base: this.next, size: pages };
    this.next += pages;
    this.regions.push(r);
    return r;
  }
  /** Fail unless every region fits in guest memory. */
  check(): void {
    if (this.next > this.o.memPages) {
      const parts = this.regions.filter((r) => r.size > 0).map((r) => `${r.name} ${r.size}`).join(' + ');
      fail('usage', `${this.o.workload}: its memory regions need ${this.next} pages (${parts}) but --mem holds ${this.o.memPages}`);
    }
  }
  /** Pages left after the regions so far. */
  rest(): number {
    return Math.max(0, this.o.memPages - this.next);
  }
}

/** The pages of one epoch, with their comm/immp tags, placed in guest-physical memory. */
export class EpochPages {
  private readonly all = new PageBuf();
  private readonly comm = new PageBuf();
  private readonly immp = new PageBuf();
  private readonly place: (x: number) => number;

  constructor(o: GenOptions) {
    if (o.layout === 'linear') this.place = (x) => x;
    else {
      const perm = new Permutation(o.memPages, o.seed, `layout/${o.workload}`);
      this.place = (x) => perm.map(x);
    }
  }

  /** One write to logical page x. */
  write(x: number, tag: Tag = Tag.None): void {
    const p = this.place(x);
    this.all.push(p);
    if (tag === Tag.Comm) this.comm.push(p);
    else if (tag === Tag.Immp) this.immp.push(p);
  }

  /** Writes to ring slots from, from+1, …, from+count−1 of a region (each slot once at most). */
  ring(r: Region, from: number, count: number, tag: Tag = Tag.None): void {
    if (r.size === 0 || count <= 0) return;
    const n = Math.min(count, r.size);
    let slot = from % r.size;
    for (let i = 0; i < n; i++) {
      this.write(r.base + slot, tag);
      if (++slot === r.size) slot = 0;
    }
  }

  /** `count` writes to uniformly random pages of a region (repeats collapse). */
  random(r: Region, count: number, rng: Rng, tag: Tag = Tag.None): void {
    if (r.size === 0) return;
    for (let i = 0; i < count; i++) this.write(r.base + rng.int(r.size), tag);
  }

  /** Each page of a region written independently with probability p. */
  bernoulli(r: Region, p: number, rng: Rng, tag: Tag = Tag.None): void {
    if (r.size === 0 || p <= 0) return;
    const k = rng.binomial(r.size, p);
    const picked = sampleDistinct(rng, r.size, k);
    for (let i = 0; i < picked.length; i++) this.write(r.base + picked[i]!, tag);
  }

  /** Hand the epoch on and start the next. */
  emit(tUs: number, emit: EmitEpoch): void {
    const pages = this.all.sortedDistinct();
    const comm = this.comm.length ? this.comm.sortedDistinct() : EMPTY;
    const immp = this.immp.length ? this.immp.sortedDistinct() : EMPTY;
    emit(tUs, pages, comm, immp);
    this.all.length = this.comm.length = this.immp.length = 0;
  }
}

const EMPTY = new Uint32Array(0);

/** Run `step` for every epoch [t0, t1) (µs; the last one may be short) and emit what it wrote. */
export function eachEpoch(o: GenOptions, emit: EmitEpoch, step: (out: EpochPages, t0: number, t1: number, dtS: number) => void): void {
  const out = new EpochPages(o);
  for (let i = 0; i < o.epochs; i++) {
    const t0 = i * o.intervalUs;
    const t1 = Math.min(t0 + o.intervalUs, o.durationUs);
    step(out, t0, t1, (t1 - t0) / 1e6);
    out.emit(t0, emit);
  }
}


/** Pages of a byte size, rounded up. */
export const pagesOf = (o: GenOptions, bytes: number): number => Math.ceil(bytes / o.pageSize - 1e-9);

/** A workload parameter's parsed value by CLI name. */
export const v = <T extends ParamValue | undefined>(o: GenOptions, name: string): T => o.values[paramKey(name)] as T;
