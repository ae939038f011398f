// QEMU-shaped results (`replay --format qmp`): each replay as QEMU's `query-migrate`
// would have reported it — MigrationInfo and MigrationStats of QEMU's
// qapi/migration.json, same field names, same units (ms, bytes, pages, Mbit/s).
// Fields the model does not have (setup-time, duplicate, …) are left out, never
// zeroed. No Node imports: the explorer uses this too. docs/output.md#qmp.
import type { ReplayResult } from '../engine/types.js';
import type { ResultsDocument } from './results.js';

/** QEMU's MigrationStats (the `ram` member), as far as a replay models it. */
export interface QmpMigrationStats {
  /** Bytes of guest RAM sent: precopy-bytes + downtime-bytes + postcopy-bytes. */
  transferred: number;
  /** Bytes still to send: 0 once completed; left out of an `active` (cut-off) run, whose pending set the result does not keep. */
  remaining?: number;
  /** Guest RAM, bytes (mem_pages × page_size). */
  total: number;
  /** Pages sent (zero pages are not modelled, so every page is "normal"). */
  normal: number;
  /** normal × page-size. */
  'normal-bytes': number;
  /** Bytes per page of the page-based statistics. */
  'page-size': number;
  /** Throughput, Mbit/s (10^6): transferred × 8 / total-time, as QEMU computes it at completion. */
  mbps: number;
  /** qemu, auto-converge: dirty-bitmap syncs, the setup and final ones included. */
  'dirty-sync-count'?: number;
  /** Bytes sent while the guest ran at the source. */
  'precopy-bytes': number;
  /** Bytes sent while the guest was paused. */
  'downtime-bytes': number;
  /** postcopy, hybrid: bytes sent while the guest ran at the destination. */
  'postcopy-bytes'?: number;
}

/** QEMU's MigrationInfo (the `return` of query-migrate), as far as a replay models it. */
export interface QmpMigrationInfo {
  /** `completed`; `active` when --max-time cut the migration off before it switched over (QEMU would still be migrating). */
  status: 'completed' | 'active';
  /** Milliseconds from the start to the end (or to the cut-off), rounded to a whole ms as QEMU reports it. */
  'total-time': number;
  /** Milliseconds the guest was paused, rounded; only when completed. */
  downtime?: number;
  ram: QmpMigrationStats;
  /** auto-converge: the throttle in force, %; like QEMU, only while throttling is active (an `active` run), not after completion. */
  'cpu-throttle-percentage'?: number;
}

/** One replay result as QEMU's query-migrate would report it. */
export function toQmp(result: ReplayResult, trace: { memPages: number; pageSize: number }): QmpMigrationInfo {
  const P = trace.pageSize;
  const phasePages = { precopy: 0, 'stop-copy': 0, postcopy: 0 };
  for (const r of result.rounds) phasePages[r.phase] += r.pagesSent;
  const completed = result.converged;
  const postcopy = result.rounds.some((r) => r.phase === 'postcopy');
  const ram: QmpMigrationStats = {
    transferred: result.bytesSent,
    ...(completed ? { remaining: 0 } : {}),
    total: trace.memPages * P,
    normal: result.pagesSent,
    'normal-bytes': result.pagesSent * P,
    'page-size': P,
    mbps: result.totalTimeS > 0 ? (result.bytesSent * 8) / result.totalTimeS / 1e6 : 0,
    ...(result.dirtySyncCount !== undefined ? { 'dirty-sync-count': result.dirtySyncCount } : {}),
    'precopy-bytes': phasePages.precopy * P,
    'downtime-bytes': phasePages['stop-copy'] * P,
    ...(postcopy ? { 'postcopy-bytes': phasePages.postcopy * P } : {}),
  };
  const info: QmpMigrationInfo = {
    status: completed ? 'completed' : 'active',
    'total-time': Math.round(result.totalTimeS * 1000),
    ...(completed && result.downtimeMs !== null ? { downtime: Math.round(result.downtimeMs) } : {}),
    ram,
  };
  if (!completed && result.throttlePercent !== undefined && result.throttlePercent > 0) {
    info['cpu-throttle-percentage'] = Math.round(result.throttlePercent);
  }
  return info;
}

/** What `replay --format qmp` prints: one MigrationInfo per algorithm, keyed by algorithm id, in --algo order. */
export function qmpDocument(doc: Pick<ResultsDocument, 'trace' | 'results'>): Record<string, QmpMigrationInfo> {
  const out: Record<string, QmpMigrationInfo> = {};
  for (const r of doc.results) out[r.algorithm] = toQmp(r, doc.trace);
  return out;
}
