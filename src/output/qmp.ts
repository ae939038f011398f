// QEMU-shaped results (`replay --format qmp`): each replay as QEMU 10's `query-migrate`
// would have reported it — MigrationInfo and MigrationStats of qapi/migration.json,
// same field names, same units (ms, bytes, pages, Mbit/s), integers where QEMU's are
// integers, for every algorithm (docs/output.md#qmp says what each field is made of
// where the model is not QEMU's). No Node imports: the explorer uses this too.
import type { ReplayResult } from '../engine/types.js';
import type { ResultsDocument } from './results.js';

/** QEMU's MigrationStats (the `ram` member). */
export interface QmpMigrationStats {
  /** Every byte sent: pages, page headers, zero pages and the device state. */
  transferred: number;
  /** Bytes still to send: 0 once completed; left out of an `active` (cut-off) run, whose pending set the result does not keep. */
  remaining?: number;
  /** Guest RAM, bytes (mem_pages × page_size). */
  total: number;
  /** Zero pages sent as a header (qemu models on a trace with data_pages; else 0). */
  duplicate: number;
  /** Pages sent whole. */
  normal: number;
  /** normal × page-size. */
  'normal-bytes': number;
  /** Pages dirtied per second over the last sync period of at least 1 s (migration_update_rates), 0 before one; 0 once completed, as QEMU reports it. */
  'dirty-pages-rate': number;
  /** Throughput, Mbit/s (10^6), float: at completion transferred × 8 / (total-time − setup-time) / 1000 in whole ms, as QEMU computes it. */
  mbps: number;
  /** Dirty-bitmap syncs, the setup and final ones included (other algorithms: the setup one and one per live round). */
  'dirty-sync-count': number;
  /** postcopy, hybrid: page requests from the destination (the model's remote faults); else 0. */
  'postcopy-requests': number;
  /** Bytes per page of the page-based statistics. */
  'page-size': number;
  /** Always 0: no multifd channels. */
  'multifd-bytes': number;
  /** Pages sent per second in the last 100 ms window (migration_update_counters). */
  'pages-per-second': number;
  /** Bytes sent while the guest ran at the source. */
  'precopy-bytes': number;
  /** Bytes sent while the guest was paused, the device state included. */
  'downtime-bytes': number;
  /** Bytes sent while the guest ran at the destination. */
  'postcopy-bytes': number;
  /** Always 0: no zero-copy send. */
  'dirty-sync-missed-zero-copy': number;
}

/** QEMU's MigrationInfo (the `return` of query-migrate). */
export interface QmpMigrationInfo {
  /** `completed`; `active` when --max-time cut the migration off before it switched over (QEMU would still be migrating). */
  status: 'completed' | 'active';
  /** ms from `migrate` (setup included) to the end, or to the cut-off, integer. */
  'total-time': number;
  /** ms the guest was paused, integer; only when completed. */
  downtime?: number;
  /** ms the last sync's dirty bytes would take at the measured bandwidth; only while active, as QEMU. */
  'expected-downtime'?: number;
  /** ms of migration setup (qemu models' setup-time; 0 for the others). */
  'setup-time': number;
  ram: QmpMigrationStats;
  /** auto-converge: the throttle in force, %; like QEMU, only while throttling is active (an `active` run), not after completion. */
  'cpu-throttle-percentage'?: number;
}

const WINDOW_S = 0.1; // BUFFER_DELAY

/** Pages sent in [from, to] s, rounds taken as sending evenly over their span. */
function pagesIn(result: ReplayResult, from: number, to: number): number {
  let n = 0;
  for (const r of result.rounds) {
    const a = r.startS, b = r.startS + r.durationS;
    if (r.durationS <= 0) {
      if (a >= from && a <= to) n += r.pagesSent;
      continue;
    }
    const overlap = Math.min(b, to) - Math.max(a, from);
    if (overlap > 0) n += (r.pagesSent * overlap) / r.durationS;
  }
  return n;
}

/** dirty-pages-rate as QEMU keeps it: updated at a sync ≥ 1 s after the last update, from the pages dirtied since. */
function dirtyPagesRate(result: ReplayResult): number {
  let rate = 0, since = 0, pages = 0;
  for (const r of result.rounds) {
    if (r.phase !== 'precopy') continue;
    pages += r.pagesDirtied;
    const end = r.startS + r.durationS;
    if (end - since > 1) {
      rate = Math.floor(pages / (end - since));
      since = end;
      pages = 0;
    }
  }
  return rate;
}

/** One replay result as QEMU's query-migrate would report it. */
export function toQmp(result: ReplayResult, trace: { memPages: number; pageSize: number }): QmpMigrationInfo {
  const P = trace.pageSize;
  const completed = result.converged;
  const duplicate = result.zeroPagesSent ?? 0;
  const normal = result.pagesSent - duplicate;
  const totalMs = Math.round(result.totalTimeS * 1000);
  const setupMs = Math.round(((result.params.setupTime as number | undefined) ?? 0) * 1000);
  const final = result.rounds.find((r) => r.final);
  const postcopyRound = result.rounds.find((r) => r.phase === 'postcopy');
  const postcopyBytes = postcopyRound ? postcopyRound.pagesSent * P : 0;
  // The pause sends the final pages (finalCopy's bytes where headers or zero pages make
  // them other than pages × page size) and the device state.
  const downtimeBytes = final ? (result.finalCopy?.bytes ?? final.pagesSent * P) + (result.stateBytes ?? 0) : 0;
  const transferMs = totalMs - setupMs;
  const end = result.totalTimeS;
  const ram: QmpMigrationStats = {
    transferred: result.bytesSent,
    ...(completed ? { remaining: 0 } : {}),
    total: trace.memPages * P,
    duplicate,
    normal,
    'normal-bytes': normal * P,
    // populate_ram_info (migration.c 1286–1290): reported only while not completed; a completed run reads 0.
    'dirty-pages-rate': completed ? 0 : dirtyPagesRate(result),
    mbps: completed ? (transferMs > 0 ? (result.bytesSent * 8) / transferMs / 1000 : 0) : (result.params.bandwidthBytesPerS as number) * 8 / 1e6,
    'dirty-sync-count': result.dirtySyncCount ?? 1 + result.iterations,
    'postcopy-requests': result.remoteFaults ?? 0,
    'page-size': P,
    'multifd-bytes': 0,
    'pages-per-second': Math.round(pagesIn(result, Math.max(0, end - WINDOW_S), end) / Math.min(WINDOW_S, end || WINDOW_S)),
    'precopy-bytes': result.bytesSent - downtimeBytes - postcopyBytes,
    'downtime-bytes': downtimeBytes,
    'postcopy-bytes': postcopyBytes,
    'dirty-sync-missed-zero-copy': 0,
  };
  const info: QmpMigrationInfo = {
    status: completed ? 'completed' : 'active',
    'total-time': totalMs,
    ...(completed && result.downtimeMs !== null ? { downtime: Math.round(result.downtimeMs) } : {}),
    'setup-time': setupMs,
    ram,
  };
  if (!completed) {
    // migration_update_counters: the bytes the last sync found dirty at the measured bandwidth.
    const live = result.rounds.filter((r) => r.phase === 'precopy');
    const last = live.length > 1 ? live[live.length - 2]! : undefined;
    const bw = result.params.bandwidthBytesPerS as number;
    info['expected-downtime'] = last ? Math.round((last.pagesDirtied * P * 1000) / bw) : Math.round(((result.params.downtimeLimit as number | undefined) ?? 0.3) * 1000);
    if (result.throttlePercent !== undefined && result.throttlePercent > 0) info['cpu-throttle-percentage'] = Math.round(result.throttlePercent);
  }
  return info;
}

/** What `replay --format qmp` prints: one MigrationInfo per algorithm, keyed by algorithm id, in --algo order. */
export function qmpDocument(doc: Pick<ResultsDocument, 'trace' | 'results'>): Record<string, QmpMigrationInfo> {
  const out: Record<string, QmpMigrationInfo> = {};
  for (const r of doc.results) out[r.algorithm] = toQmp(r, doc.trace);
  return out;
}
