// postcopy — post-copy live migration (Hines & Gopalan, VEE 2009; QEMU postcopy-ram):
// pause, move the CPU/device state, resume at the destination; the source pushes the
// pages in ascending order in the background while each page the guest writes before
// it has arrived is fetched on demand (rtt + its transfer). Every page crosses once.
// The trace records writes only, so the remote faults counted are a lower bound.
import { FIRST_FREE_BITMAP } from '../engine/engine.js';
import { postcopyPhase } from '../engine/postcopy.js';
import type { Algorithm, ParamSpec } from './types.js';

/** Parameters postcopy and hybrid share. */
export const POSTCOPY_PARAMS: readonly ParamSpec[] = [
  { name: 'state-size', kind: 'size', default: 1024 * 1024, doc: 'CPU and device state moved during the pause (bytes)' },
  { name: 'rtt', kind: 'duration', default: 0.0002, doc: 'round trip of one remote page fault, before the page\'s transfer' },
];

/** Pages already at the destination (empty at the start: bitmaps start cleared). */
export const ARRIVED = FIRST_FREE_BITMAP;

export const postcopy: Algorithm = {
  id: 'postcopy',
  family: 'postcopy',
  source: 'post-copy (Hines & Gopalan, VEE 2009; QEMU migration/postcopy-ram.c)',
  summary: 'pause, move CPU state, resume at the destination; push pages in the background, fetch written ones on demand',
  params: POSTCOPY_PARAMS,
  needs: { extraBitmaps: 1 },
  run: (e, p) => postcopyPhase(e, 'postcopy', p, ARRIVED, p.stateSize as number, (p.rtt as number) * 1e6, 'postcopy-complete'),
};
