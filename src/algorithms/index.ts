// The algorithm registry: ids as --algo takes them, in the order `all` runs them.
import { advanceXenvmc } from './advance-xenvmc.js';
import { autoConverge } from './auto-converge.js';
import { hybrid } from './hybrid.js';
import { oracle } from './oracle.js';
import { postcopy } from './postcopy.js';
import { qemu } from './qemu.js';
import { ma2010 } from './ma2010.js';
import { precopy } from './precopy.js';
import { threshold } from './threshold.js';
import type { Algorithm } from './types.js';
import { xen } from './xen.js';
import { vcpuLimit } from './vcpu-limit.js';
import { xenV2 } from './xen-v2.js';

/** Every algorithm, by id, in display order. */
export const algorithms: readonly Algorithm[] = [
  precopy, xen, xenV2, ma2010, threshold, advanceXenvmc, vcpuLimit,
  qemu, autoConverge, postcopy, hybrid, oracle,
];

/** The algorithm with this id, or undefined. */
export function findAlgorithm(id: string): Algorithm | undefined {
  return algorithms.find((a) => a.id === id);
}

export type { Algorithm } from './types.js';
