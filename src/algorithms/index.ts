// The algorithm registry: ids as --algo takes them, in the order `all` runs them.
import { precopy } from './precopy.js';
import type { Algorithm } from './types.js';
import { xen } from './xen.js';
import { xenV2 } from './xen-v2.js';

/** Every algorithm, by id, in display order. */
export const algorithms: readonly Algorithm[] = [precopy, xen, xenV2];

/** The algorithm with this id, or undefined. */
export function findAlgorithm(id: string): Algorithm | undefined {
  return algorithms.find((a) => a.id === id);
}

export type { Algorithm, ParamSpec, ParamValues } from './types.js';
