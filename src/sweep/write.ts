// Sweep step 3, the writing: rows are appended batch by batch as runs finish (rounds
// first: a run's row is in --out only once its rounds are in --rounds-out); a format
// written whole (Parquet, Feather, JSON) is written at the end from its Arrow sidecar.
import * as fs from 'node:fs';
import { AtomicFile } from '../io/files.js';
import { AppendWriter, encodeTable, writeTable } from '../io/tables/index.js';
import { sortRows, type Row } from './columns.js';
import { readSweepTable, tableMetadata, type Prior, type SweepPlan, type Target } from './plan.js';

/** Replace a file's content atomically. */
function writeRaw(file: string, bytes: Uint8Array): void {
  const out = new AtomicFile(file);
  out.write(bytes);
  out.commit();
}

/** The open outputs of a sweep. */
export class SweepOutput {
  private readonly runsWriter: AppendWriter;
  private readonly roundsWriter?: AppendWriter;
  private pendingRuns: Row[] = [];
  private pendingRounds: Row[] = [];
  /** When a batch was last written (Date.now()). */
  lastFlush = Date.now();

  private constructor(private readonly plan: SweepPlan, runsWriter: AppendWriter, roundsWriter?: AppendWriter) {
    this.runsWriter = runsWriter;
    this.roundsWriter = roundsWriter;
  }

  /** Open the writers: resumed files keep their whole part; a rounds file keeps only the rounds of finished runs. */
  static async open(plan: SweepPlan): Promise<SweepOutput> {
    const { runs, rounds, priorRuns, priorRounds, done } = plan;
    const runsWriter = new AppendWriter(runs.appendFile, runs.appendFormat, runs.columns, tableMetadata('runs'), priorRuns.keepBytes);
    let roundsWriter: AppendWriter | undefined;
    if (rounds && priorRounds) {
      let keep = priorRounds.keepBytes;
      const appended = priorRounds.rows.slice(priorRounds.baseRows.length);
      const kept = appended.filter((r) => done.has(String(r.runId)));
      if (keep > 0 && kept.length !== appended.length) {
        // Rounds of runs whose row never reached --out (killed between the two writes): drop them.
        const content = await encodeTable(rounds.appendFormat, rounds.columns, kept, tableMetadata('rounds'));
        const bytes = typeof content === 'string' ? Buffer.from(content) : content;
        const body = rounds.appendFormat === 'arrow' ? bytes.subarray(0, bytes.byteLength - 8) : bytes; // no end marker: appended to
        writeRaw(rounds.appendFile, body);
        keep = body.byteLength;
      }
      roundsWriter = new AppendWriter(rounds.appendFile, rounds.appendFormat, rounds.columns, tableMetadata('rounds'), keep);
    }
    return new SweepOutput(plan, runsWriter, roundsWriter);
  }

  /** Whether a rounds table is written. */
  get hasRounds(): boolean {
    return this.roundsWriter !== undefined;
  }

  /** Runs written (this sweep's, in the appended file). */
  get written(): number {
    return this.runsWriter.written;
  }

  /** Queue one run's row and its rounds; a full batch is written. */
  add(run: Row, rounds: readonly Row[]): void {
    this.pendingRuns.push(run);
    if (this.roundsWriter) this.pendingRounds.push(...rounds);
    if (this.pendingRuns.length >= this.plan.batchRows) this.flush();
  }

  /** Write the queued rows as one batch. */
  flush(): void {
    if (this.pendingRuns.length === 0) return;
    this.roundsWriter?.append(this.pendingRounds);
    this.runsWriter.append(this.pendingRuns);
    this.pendingRuns = [];
    this.pendingRounds = [];
    this.lastFlush = Date.now();
  }

  /** Write what is queued and end the files; when that fails, leave them as they are (for --resume). */
  close(): void {
    try {
      this.flush();
      this.roundsWriter?.close();
      this.runsWriter.close();
    } catch (e) {
      this.runsWriter.abandon();
      this.roundsWriter?.abandon();
      throw e;
    }
  }

  /** A format written whole: the whole table, sorted by runId, from what was there and the sidecar. */
  async finish(): Promise<void> {
    const { runs, rounds, priorRuns, priorRounds } = this.plan;
    const targets: [Target | undefined, Prior | undefined][] = [[runs, priorRuns], [rounds, priorRounds]];
    for (const [t, prior] of targets) {
      if (!t || !prior || t.appendFile === t.file) continue;
      const side = await readSweepTable(t.appendFile, 'arrow');
      const rows = sortRows([...prior.baseRows, ...side.rows]);
      await writeTable(t.file, t.format, t.columns, rows, tableMetadata(t.kind));
      fs.rmSync(t.appendFile, { force: true });
    }
  }
}
