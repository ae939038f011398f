// auto-converge — QEMU's guest CPU throttling, migration/ram.c migration_trigger_throttle()
// and mig_throttle_guest_down(), migration/cpu-throttle.c:
//   if ((bytes_dirty_period > bytes_xfer_period * threshold / 100) &&
//       (++rs->dirty_rate_high_cnt >= 2)) { rs->dirty_rate_high_cnt = 0; throttle down }
//   first step cpu-throttle-initial (20 %), then + cpu-throttle-increment (10 %), ≤ max-cpu-throttle (99 %)
// evaluated at a bitmap sync at least 1 s after the last evaluation (the period), and
// QEMU 10's periodic sync (migration/cpu-throttle.c cpu_throttle_dirty_sync_timer_tick:
// every 5 s, a sync if none came since the last tick and the first pass is done).
// A guest throttled to p % runs (1 − p/100) as fast: its trace time slows, and the
// workload slowdown is reported (x-cpu-throttle-tailslow, off by default, is not modelled).
import type { Algorithm } from './types.js';
import { QEMU_BITMAPS, QEMU_PARAMS, runQemu } from './qemu.js';

export const autoConverge: Algorithm = {
  id: 'auto-converge',
  family: 'precopy',
  altersWorkload: true,
  source: 'QEMU migration/ram.c (migration_trigger_throttle, mig_throttle_guest_down) and migration/cpu-throttle.c',
  summary: 'qemu plus guest CPU throttling: 20 %, then +10 % per trigger, up to 99 %',
  params: [
    ...QEMU_PARAMS,
    { name: 'throttle-trigger', kind: 'percent', default: 50, min: 1, max: 100, doc: 'count a period whose dirtied bytes exceed this % of the bytes sent (throttle-trigger-threshold)' },
    { name: 'throttle-initial', kind: 'percent', default: 20, min: 1, max: 99, doc: 'first throttle step, % (cpu-throttle-initial)' },
    { name: 'throttle-increment', kind: 'percent', default: 10, min: 1, max: 99, doc: 'each later step adds this, % (cpu-throttle-increment)' },
    { name: 'throttle-max', kind: 'percent', default: 99, min: 1, max: 99, doc: 'throttle at most this much, % (max-cpu-throttle)' },
    { name: 'dirty-sync-period', kind: 'duration', default: 5, doc: 'sync the dirty log when no sync came for this long (QEMU 9.2+ cpu_throttle_dirty_sync_timer, 5 s; 0: off, as before 9.2)' },
  ],
  needs: { extraBitmaps: QEMU_BITMAPS, settles: true },
  run(e, p) {
    const trigger = p.throttleTrigger as number;
    let throttle = 0;
    let steps = 0;
    let highCount = 0;
    let periodStart = 0;
    let sentAtPeriodStart = 0;
    let dirtyInPeriod = 0;
    const throttleHistory: { timeS: number; percent: number }[] = [];
    const startTrace = e.clock.traceUs;
    const [nodata, scratch] = e.bitmaps(QEMU_BITMAPS);
    const period = p.dirtySyncPeriod as number;
    const result = runQemu(e, 'auto-converge', p, { nodata: nodata!, scratch: scratch! }, { syncPeriodS: period > 0 ? period : undefined, onSync: (eng, newlyDirty, bytesSent) => {
      dirtyInPeriod += newlyDirty;
      if (eng.now - periodStart <= 1e6) return; // QEMU: end_time > time_last_bitmap_sync + 1000 ms
      const dirtyBytes = dirtyInPeriod * eng.pageSize;
      const sentBytes = bytesSent - sentAtPeriodStart;
      if (dirtyBytes > (sentBytes * trigger) / 100 && ++highCount >= 2) {
        highCount = 0;
        throttle = throttle === 0 ? (p.throttleInitial as number) : Math.min(throttle + (p.throttleIncrement as number), p.throttleMax as number);
        steps++;
        throttleHistory.push({ timeS: eng.now / 1e6, percent: throttle });
        eng.clock.rate = 1 - throttle / 100;
      }
      periodStart = eng.now;
      sentAtPeriodStart = bytesSent;
      dirtyInPeriod = 0;
    } });
    const liveS = result.totalTimeS - (result.downtimeMs ?? 0) / 1e3;
    const traceS = (e.clock.traceUs - startTrace) / 1e6;
    return {
      ...result,
      throttleSteps: steps,
      throttlePercent: throttle,
      throttleHistory,
      workloadSlowdown: traceS > 0 ? liveS / traceS : 1,
      workloadDelayS: liveS - traceS,
    };
  },
};
