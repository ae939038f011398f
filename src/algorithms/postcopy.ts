// postcopy — QEMU 10.0's post-copy (the postcopy-ram capability, migrate-start-postcopy
// at once; Hines & Gopalan, VEE 2009), from the source (docs/algorithms.md#postcopy):
//   migration/migration.c migration_iteration_run: with start_postcopy set, the first
//     iteration calls postcopy_start;
//   postcopy_start: the guest stops, ram_postcopy_send_discard_bitmap syncs the dirty
//     log (dirty-sync-count) and restarts the scan at page 0, the device state goes in one package, the destination
//     resumes; downtime ends there (migration_downtime_end). Then max-postcopy-bandwidth
//     applies (0: unlimited — the link's own speed, --unthrottled-bandwidth);
//   migration/ram.c ram_find_and_save_block: page requests (get_queued_page) go before
//     the background stream, which then goes on after the requested page; without
//     postcopy-preempt (off by default) they share the one channel with it, so a request
//     waits for what is queued ahead of it (--channel-backlog).
import { postcopyPhase } from '../engine/postcopy.js';
import { DIRTY, SEND, type Engine } from '../engine/engine.js';
import { QEMU_BITMAPS, QEMU_COMMON_PARAMS, QEMU_PARAMS, runQemu, unthrottled, type QemuPostcopyStart, type QemuResult } from './qemu.js';
import type { ParamSpec, ParamValues } from '../params/index.js';
import type { Algorithm } from './types.js';

/** Parameters postcopy and hybrid share. */
export const POSTCOPY_PARAMS: readonly ParamSpec<number | string>[] = [
  { name: 'rtt', kind: 'duration', default: 0.0002, doc: 'round trip of one page request (destination → source), before the page\'s transfer' },
  { name: 'postcopy-preempt', kind: 'choice', default: 'off', choices: ['off', 'on'], doc: 'QEMU postcopy-preempt: requested pages on a channel of their own (off by default: they wait behind --channel-backlog)' },
  { name: 'channel-backlog', kind: 'size', default: 4 * 1024 * 1024, doc: 'bytes queued in the migration channel ahead of a requested page without postcopy-preempt: the socket send buffer a saturating stream fills (Linux tcp_wmem max, 4 MiB by default)' },
  { name: 'max-postcopy-bandwidth', kind: 'rate', default: 0, min: 0, doc: 'QEMU max-postcopy-bandwidth: the post-copy stream\'s limit; 0: unlimited (--unthrottled-bandwidth)' },
];

/**
 * postcopy_start from the QEMU loop's state: sync (the discard bitmap), pause, state,
 * resume at the destination; what SEND still holds is missing there.
 */
export function startPostcopy(e: Engine, algorithm: string, p: ParamValues, arrived: number, s: QemuPostcopyStart, stopReason: string): QemuResult {
  const k = e.kernel;
  k.or(SEND, SEND, DIRTY);
  k.fill(arrived);
  k.andNot(arrived, arrived, SEND);
  const link = unthrottled(e, p);
  const cap = p.maxPostcopyBandwidth as number;
  const r = postcopyPhase(e, algorithm, p, arrived, {
    stateBytes: p.stateSize as number,
    rttUs: (p.rtt as number) * 1e6,
    bytesPerS: cap > 0 ? Math.min(cap, link) : link,
    backlogBytes: p.postcopyPreempt === 'on' ? 0 : (p.channelBacklog as number),
    pos: 0, // ram_postcopy_send_discard_bitmap: last_seen_block = NULL, last_page = 0 (ram.c 2543–2544)
    stopUs: (p.stopTime as number) * 1e6,
  }, stopReason);
  const out: QemuResult = { ...r, dirtySyncCount: s.syncs + 1 };
  if (e.trace.meta.dataPages !== undefined) {
    // The pre-copy part's zero pages and headers (the engine counted its data pages only).
    out.bytesSent += s.extraBytes;
    out.zeroPagesSent = s.zeroPagesSent;
    out.pagesSent += s.zeroPagesSent;
    out.overheadRatio = out.pagesSent / e.memPages;
  }
  return out;
}

export const postcopy: Algorithm = {
  id: 'postcopy',
  family: 'postcopy',
  source: 'QEMU 10.0 migration/migration.c (postcopy_start) and migration/ram.c (ram_find_and_save_block, get_queued_page); Hines & Gopalan, VEE 2009',
  summary: 'pause, move the device state, resume at the destination; push pages in the background, fetch written ones on demand',
  params: [...QEMU_COMMON_PARAMS, ...POSTCOPY_PARAMS],
  needs: { extraBitmaps: QEMU_BITMAPS + 1 },
  run(e, p) {
    const [nodata, scratch, arrived] = e.bitmaps(QEMU_BITMAPS + 1);
    const q = { ...p, downtimeLimit: 0, iterateTime: 0.05, maxTime: Infinity, availSwitchoverBandwidth: 0 };
    return runQemu(e, 'postcopy', q, { nodata: nodata!, scratch: scratch! }, { startPostcopy: () => true },
      (s) => startPostcopy(e, 'postcopy', p, arrived!, s, 'postcopy-complete'));
  },
};
