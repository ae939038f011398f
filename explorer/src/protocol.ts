// Messages between the page (main.ts) and the replay worker (worker.ts).
import type { QmpMigrationInfo, ReplayResult, ResultsDocument } from 'migreplay';

/** The link as the command line gives it: the same strings `migreplay replay` takes. */
export interface LinkInput {
  bandwidth: string;
  start: string;
  resumeMs: string;
  withinEpoch: 'spread' | 'start' | 'whole';
}

/** What the page asks for: the algorithms, the link, and each algorithm's parameter values (CLI strings, only those changed). */
export interface ReplayRequest {
  algos: string[];
  link: LinkInput;
  params: Record<string, Record<string, string>>;
}

export type ToWorker =
  | { type: 'load'; name: string; bytes: ArrayBuffer }
  | { type: 'replay'; id: number; request: ReplayRequest }
  | { type: 'export'; id: number; request: ReplayRequest };

/** A summary of the loaded trace and its heat map: writes per (page bucket, time bucket). */
export interface TraceInfo {
  name: string;
  memPages: number;
  pageSize: number;
  epochs: number;
  events: number;
  durationS: number;
  intervalUs: number | null;
  source: string | null;
  workload: string | null;
  hasComm: boolean;
  hasImmp: boolean;
  decodeMs: number;
  heat: { rows: number; cols: number; pagesPerRow: number; secondsPerCol: number; counts: Uint32Array; max: number };
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'loaded'; info: TraceInfo }
  | { type: 'results'; id: number; results: ReplayResult[]; coarse: string[]; ms: number; perAlgoMs: Record<string, number> }
  | { type: 'exported'; id: number; doc: ResultsDocument; qmp: Record<string, QmpMigrationInfo> }
  | { type: 'error'; id?: number; message: string };
