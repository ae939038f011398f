// Walks a trace's epochs in time order, forever: when the trace runs out it wraps to
// its start, one period (duration_us) later. Each record batch is staged once into
// the kernel's list area, so an epoch reaches the kernel as (offset, length).
import { EXIT_RUN_FAILED, fail } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import type { EpochBatch } from '../trace/schema.js';
import type { Trace } from '../trace/read.js';

/** The list-area entries a cursor needs to stage any batch of the trace. */
export function stageCapacity(trace: Trace): number {
  const lists = 1 + (trace.summary.hasComm ? 1 : 0) + (trace.summary.hasImmp ? 1 : 0);
  return Math.max(1, trace.summary.maxBatchPages * lists);
}

/** The epoch a cursor stands on, staged in the kernel's list area. */
export interface StagedEpoch {
  /** Start of the epoch on the unwrapped time line, µs of trace time. */
  timeUs: number;
  /** Length of the epoch, µs. */
  lengthUs: number;
  /** Epochs visited before this one since the cursor began (wraps included). */
  ordinal: number;
  /** The epoch's row in the trace (the same on every wrap). */
  row: number;
  /** Seen again by a later round (--within-epoch whole): counters should not count it twice. */
  repeat: boolean;
  pagesOff: number;
  pagesLen: number;
  commOff: number;
  commLen: number;
  immpOff: number;
  immpLen: number;
}

/** A forward-only cursor over a trace's epochs, wrapping at its end. */
export class EpochCursor implements StagedEpoch {
  timeUs = 0;
  lengthUs = 0;
  ordinal = -1;
  row = -1;
  repeat = false;
  private nextRow = 0;
  pagesOff = 0;
  pagesLen = 0;
  commOff = 0;
  commLen = 0;
  immpOff = 0;
  immpLen = 0;
  /** Times the cursor has wrapped to the start of the trace. */
  pass = 0;
  /** Unwrapped time of the next epoch not yet visited. */
  nextUs = 0;

  /**
   * Stage only the current epoch's lists, and only when ensureStaged() asks (the owner
   * calls it before reading them): a replay that lands whole epochs through an index
   * (clock.rowsTo) reads few of them.
   */
  lazyStage = false;

  private batches!: Iterator<EpochBatch>;
  private batch: EpochBatch | undefined;
  // lazyStage: the batch and index of the current epoch, and of the one in the staging area.
  private current: EpochBatch | undefined;
  private currentIndex = -1;
  private inStage: EpochBatch | undefined;
  private inStageIndex = -1;
  private index = 0;
  private staged = false;
  /** The trace's period (duration_us), µs. */
  readonly periodUs: number;
  private commBase = 0;
  private immpBase = 0;

  constructor(
    private readonly trace: Trace,
    private readonly kernel: Kernel,
    private readonly stageBase: number,
    startUs: number,
  ) {
    this.periodUs = trace.summary.durationUs;
    this.batches = trace.batches()[Symbol.iterator]();
    this.loadNext();
    while (this.nextUs < startUs) this.step();
  }

  // Move to the next batch that has epochs (wrapping), and stage its lists.
  private loadNext(): void {
    let ends = 0;
    for (;;) {
      const r = this.batches.next();
      if (r.done) {
        // A whole pass without an epoch (the file changed since it was opened): never loop forever.
        if (++ends > 1) fail('truncated', `${this.trace.name}: a pass over the trace found no epochs: the file changed since it was opened, or is corrupt`, EXIT_RUN_FAILED);
        this.pass++;
        this.nextRow = 0;
        this.batches = this.trace.batches()[Symbol.iterator]();
        continue;
      }
      if (r.value.length === 0) continue;
      this.batch = r.value;
      this.staged = false;
      this.index = 0;
      this.nextUs = r.value.tUs[0]! + this.pass * this.periodUs;
      return;
    }
  }

  // Staged only when its first epoch is visited: the previous epoch's lists stay valid until then.
  private stage(b: EpochBatch): void {
    const lists = this.kernel.lists(0);
    lists.set(b.pages, this.stageBase);
    if (b.comm) lists.set(b.comm, this.stageBase + b.pages.length);
    if (b.immp) lists.set(b.immp, this.stageBase + b.pages.length + (b.comm?.length ?? 0));
    this.staged = true;
  }

  /** lazyStage: put the current epoch's lists where a staged batch has them, if they are not there. */
  ensureStaged(): void {
    const b = this.current;
    const i = this.currentIndex;
    if (!this.lazyStage || b === undefined || (this.inStage === b && this.inStageIndex === i)) return;
    const lists = this.kernel.lists(0);
    lists.set(b.pages.subarray(b.offsets[i]!, b.offsets[i + 1]!), this.stageBase + b.offsets[i]!);
    if (b.comm) lists.set(b.comm.subarray(b.commOffsets![i]!, b.commOffsets![i + 1]!), this.commBase + b.commOffsets![i]!);
    if (b.immp) lists.set(b.immp.subarray(b.immpOffsets![i]!, b.immpOffsets![i + 1]!), this.immpBase + b.immpOffsets![i]!);
    this.inStage = b;
    this.inStageIndex = i;
  }

  /** Stand on the same epoch `passes` passes of `epochs` epochs later, as stepping through them would (the batches are not read: the file is the same on every pass). */
  skipPasses(passes: number, epochs: number): void {
    const by = passes * this.periodUs;
    this.pass += passes;
    this.ordinal += passes * epochs;
    this.timeUs += by;
    this.nextUs += by;
  }

  /** Stand on the next epoch (this object then describes it). */
  step(): StagedEpoch {
    const b = this.batch!;
    if (b !== this.current) {
      this.current = b;
      this.commBase = this.stageBase + b.pages.length;
      this.immpBase = this.commBase + (b.comm?.length ?? 0);
    }
    if (!this.lazyStage && !this.staged) this.stage(b);
    const i = this.index;
    this.currentIndex = i;
    const offset = this.pass * this.periodUs;
    this.timeUs = b.tUs[i]! + offset;
    this.ordinal++;
    this.row = this.nextRow++;
    this.pagesOff = this.stageBase + b.offsets[i]!;
    this.pagesLen = b.offsets[i + 1]! - b.offsets[i]!;
    if (b.commOffsets) {
      this.commOff = this.commBase + b.commOffsets[i]!;
      this.commLen = b.commOffsets[i + 1]! - b.commOffsets[i]!;
    }
    if (b.immpOffsets) {
      this.immpOff = this.immpBase + b.immpOffsets[i]!;
      this.immpLen = b.immpOffsets[i + 1]! - b.immpOffsets[i]!;
    }
    this.index++;
    if (this.index < b.length) this.nextUs = b.tUs[this.index]! + offset;
    else this.loadNext();
    this.lengthUs = this.nextUs - this.timeUs;
    return this;
  }
}
