// The workload registry: ids as `migreplay gen` takes them, in display order. Adding a
// workload: one file here exporting a Workload, and one line below (docs/architecture.md).
import { hotcold } from './hotcold.js';
import { hotpages } from './hotpages.js';
import { mail } from './mail.js';
import { phases } from './phases.js';
import type { Workload } from './types.js';
import { uniform } from './uniform.js';
import { videoStream } from './video-stream.js';
import { zipf } from './zipf.js';

/** Every workload `migreplay gen` knows, by id. */
export const workloads: readonly Workload[] = [uniform, hotcold, zipf, phases, hotpages, mail, videoStream];

/** The workload with this id, or undefined. */
export function findWorkload(id: string): Workload | undefined {
  return workloads.find((w) => w.id === id);
}

export type { EmitEpoch, GenOptions, Workload } from './types.js';
