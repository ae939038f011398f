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
  /** vcpu-limit: how many times slower the limited process ran during the live phase. */
  workloadSlowdown?: number;
  /** vcpu-limit: how far behind (s) the limited process fell during the live phase. */
  workloadDelayS?: number;
  /** vcpu-limit: whether the trace's immp_pages were used (false: every write was slowed). */
  immpColumn?: boolean;
}

/** The link and clock every algorithm shares. */
export interface LinkParams {
  /** Bytes per second. */
  bandwidthBytesPerS: number;
  /** Migration start, seconds of trace time. */
  startS: number;
  /** Time to resume the guest at the destination, added to the downtime, ms. */
  resumeMs: number;
}

/** Default link: 1 Gbit/s, start at 0, no resume cost. */
export const DEFAULT_LINK: LinkParams = { bandwidthBytesPerS: 1e9 / 8, startS: 0, resumeMs: 0 };
