// hybrid — QEMU 10.0's pre-copy then post-copy: the `qemu` loop (src/algorithms/qemu.ts)
// until --precopy-rounds dirty syncs after the setup one have passed (libvirt's
// --postcopy-after-precopy issues migrate-start-postcopy after the first pass: 1), then
// postcopy_start as in src/algorithms/postcopy.ts: the pages dirty at that sync are
// stale at the destination and are pushed or requested on demand. A migration that
// converges first completes as pre-copy (stopReason converged), as QEMU's does.
import { QEMU_BITMAPS, QEMU_PARAMS, runQemu } from './qemu.js';
import { POSTCOPY_PARAMS, startPostcopy } from './postcopy.js';
import type { Algorithm } from './types.js';

export const hybrid: Algorithm = {
  id: 'hybrid',
  family: 'postcopy',
  source: 'QEMU 10.0 migration/migration.c (migration_iteration_run, postcopy_start): pre-copy, then migrate-start-postcopy',
  summary: 'QEMU pre-copy for precopy-rounds passes, then post-copy for the pages still dirty',
  params: [
    { name: 'precopy-rounds', kind: 'int', default: 1, min: 1, unit: 'syncs', doc: 'dirty syncs after the setup one before migrate-start-postcopy (1: after the first pass, libvirt\'s --postcopy-after-precopy)' },
    ...QEMU_PARAMS,
    ...POSTCOPY_PARAMS,
  ],
  needs: { extraBitmaps: QEMU_BITMAPS + 1 },
  run(e, p) {
    const [nodata, scratch, arrived] = e.bitmaps(QEMU_BITMAPS + 1);
    const rounds = p.precopyRounds as number;
    return runQemu(e, 'hybrid', p, { nodata: nodata!, scratch: scratch! }, { startPostcopy: (_, syncs) => syncs - 1 >= rounds },
      (s) => startPostcopy(e, 'hybrid', p, arrived!, s, 'precopy-rounds-done'));
  },
};
