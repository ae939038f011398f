// The trace format of docs/trace-format.md, schema version 1: column names, metadata keys, limits.

/** The schema version this build reads and writes. */
export const SCHEMA_VERSION = '1';

/** Schema metadata keys. */
export const META_KEYS = {
  schema: 'migreplay.schema',
  pageSize: 'page_size',
  memPages: 'mem_pages',
  intervalUs: 'interval_us',
  durationUs: 'duration_us',
  source: 'source',
  workload: 'workload',
  description: 'description',
} as const;

/** Column names. */
export const COLUMNS = { t: 't_us', pages: 'pages', comm: 'comm_pages', immp: 'immp_pages' } as const;

/** Default page size in bytes when the trace does not say. */
export const DEFAULT_PAGE_SIZE = 4096;

// The kernel keeps up to ~8 bitmaps plus one byte of counter per page in wasm32
// memory (4 GiB): 2^30 pages (4 TiB of 4 KiB pages) is 2 GiB of state.
/** The largest mem_pages a replay can hold. */
export const MAX_MEM_PAGES = 2 ** 30;

/** Trace-level metadata, parsed and checked. */
export interface TraceMeta {
  pageSize: number;
  memPages: number;
  intervalUs?: number;
  /** duration_us as the file states it, if it does. */
  durationUs?: number;
  source?: string;
  workload?: string;
  description?: string;
  /** `data_pages`: the pages holding data at trace start (absent: unknown, every page counts as data). */
  dataPages?: readonly (readonly [number, number])[];
  /** Every key/value of the schema metadata, unknown ones included. */
  raw: Record<string, string>;
}

/**
 * A run of epochs decoded from one record batch. Epoch i's pages are
 * pages[offsets[i] … offsets[i+1]); offsets[0] is 0. comm/immp likewise when present.
 */
export interface EpochBatch {
  length: number;
  tUs: Float64Array;
  offsets: Int32Array;
  pages: Uint32Array;
  commOffsets?: Int32Array;
  comm?: Uint32Array;
  immpOffsets?: Int32Array;
  immp?: Uint32Array;
}

/** What a full validating pass over a trace learned. */
export interface TraceSummary {
  epochs: number;
  /** Page writes: the sum over epochs of pages per epoch. */
  events: number;
  /** First epoch start, µs. */
  firstUs: number;
  /** Last epoch start, µs. */
  lastUs: number;
  /** End of the last epoch, µs: duration_us, or inferred (docs/trace-format.md). */
  durationUs: number;
  /** Whether duration_us was inferred rather than read. */
  durationInferred: boolean;
  maxEpochPages: number;
  maxBatchPages: number;
  hasComm: boolean;
  hasImmp: boolean;
}
