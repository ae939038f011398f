import type { WithinEpoch } from './clock.js';

// What a replay produces: one RoundRecord per round, one ReplayResult per algorithm.

/** One round of a migration; the stop-and-copy round has final = true. */
export interface RoundRecord {
  index: number;
  /** Start, seconds since the migration began. */
  startS: number;
  durationS: number;
  /** Distinct pages the guest dirtied during the round (0 for the final round: the guest is paused). */
  pagesDirtied: number;
  pagesSent: number;
  /** Pages due this round but left for a later one because they were re-dirtied (Xen's to_skip). */
  pagesSkipped: number;
  /** Pages held back for the final round by the algorithm's rule (hot pages). */
  pagesDeferred: number;
  /** The stop-and-copy round: the guest is paused (exactly one per completed migration). */
  final: boolean;
  /** 'precopy' (guest running, pre-copy), 'stop-copy' (guest paused), 'postcopy' (guest running at the destination). */
  phase: 'precopy' | 'stop-copy' | 'postcopy';
}

/** The outcome of replaying one algorithm over one trace. */
export interface ReplayResult {
  algorithm: string;
  /** Every parameter of the algorithm and the link, as used. */
  params: Record<string, number | string | boolean>;
  pagesSent: number;
  bytesSent: number;
  totalTimeS: number;
  /** Time the guest was paused, ms; null when the migration never switched over (stopReason max-time). */
  downtimeMs: number | null;
  /** Whether the migration completed (false: cut off by --max-time). */
  converged: boolean;
  /** Live rounds, the full copy included. */
  iterations: number;
  /** pagesSent / memPages (R_d = V_mig / V_mem). */
  overheadRatio: number;
  /** Why the live phase ended, by name. */
  stopReason: string;
  /** Whether the migration ran past the end of the trace and wrapped to its start. */
  wrapped: boolean;
  rounds: RoundRecord[];
  /** When the trace is coarse for this run's rounds: min and max of each metric over the three --within-epoch rules, and each rule's values (downtimeMs null if some rule never switched over). */
  withinEpochRange?: {
    pagesSent: [number, number];
    totalTimeS: [number, number];
    downtimeMs: [number, number] | null;
    iterations: [number, number];
    byRule: Record<string, { pagesSent: number; totalTimeS: number; downtimeMs: number | null; iterations: number }>;
  };
  /** The stop-and-copy's bytes and rate, where they differ from its pages × page_size at the link's bandwidth (qemu: zero pages, headers, stop-copy-bandwidth); the oracle's budget. */
  finalCopy?: { bytes: number; bytesPerS: number };
  /** Distance from the oracle at this result's downtime (pre-copy algorithms that completed). */
  oracle?: OracleDistance;
  /** qemu, auto-converge: dirty-bitmap syncs, the setup and final ones included (QEMU's dirty-sync-count). */
  dirtySyncCount?: number;
  /** qemu, auto-converge on a trace with `data_pages`: pages sent as zero-page headers (QEMU's ram.duplicate), counted in pagesSent but costing ZERO_PAGE_BYTES each in bytesSent. */
  zeroPagesSent?: number;
  /** auto-converge: throttle steps taken, the throttle at the end (%), and when each step came. */
  throttleSteps?: number;
  throttlePercent?: number;
  throttleHistory?: { timeS: number; percent: number }[];
  /** postcopy, hybrid: writes to pages not yet at the destination (a lower bound: reads fault too), the guest's time waiting on them; QEMU models: the device state moved during the pause, bytes (in bytesSent). */
  remoteFaults?: number;
  faultWaitS?: number;
  stateBytes?: number;
  /** How many times slower the workload ran during the live phase (vcpu-limit: the limited process; auto-converge: the throttled guest). */
  workloadSlowdown?: number;
  /** How far behind (s) the slowed workload fell during the live phase. */
  workloadDelayS?: number;
  /** vcpu-limit: whether the trace's immp_pages were used (false: every write was slowed). */
  immpColumn?: boolean;
}

/** How far a pre-copy result is from the clairvoyant bound at the same downtime. */
export interface OracleDistance {
  /** The budget: the pages this result sent while the guest was paused. */
  budgetPages: number;
  /** The oracle's least total time at that budget, s. */
  oracleTotalTimeS: number;
  /** pagesSent / the oracle's pages (every page once: memPages). */
  pagesRatio: number;
  /** totalTimeS / oracleTotalTimeS (≥ 1 for comparable algorithms). */
  timeRatio: number;
  /** false when the algorithm changes the workload or what is migrated, so the bound does not apply. */
  comparable: boolean;
}

/** The link and clock every algorithm shares. */
export interface LinkParams {
  /** Bytes per second. */
  bandwidthBytesPerS: number;
  /** Migration start, seconds of trace time. */
  startS: number;
  /** Time to resume the guest at the destination, added to the downtime, ms. */
  resumeMs: number;
  /** Where in its epoch a write lands (docs/model.md). */
  withinEpoch: WithinEpoch;
}

/** Default link and clock: 1 Gbit/s, start at 0, no resume cost, writes spread over their epoch. */
export const DEFAULT_LINK: LinkParams = { bandwidthBytesPerS: 1e9 / 8, startS: 0, resumeMs: 0, withinEpoch: 'spread' };
