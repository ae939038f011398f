// The parameters every workload takes (`migreplay gen <workload> --mem … --seed …`);
// a workload may give mem, duration and interval defaults of its own (Workload.defaults).
import type { ParamSpec } from './index.js';

/** What every workload takes. */
export const COMMON_PARAMS: readonly ParamSpec[] = [
  { name: 'mem', kind: 'size', default: '1GiB', doc: 'guest memory size (mem_pages = mem / page-size)' },
  { name: 'duration', kind: 'duration', default: '60s', doc: 'trace length (duration_us)' },
  { name: 'interval', kind: 'duration', default: '50ms', doc: 'epoch length: how often the dirty log is read (interval_us)' },
  { name: 'seed', kind: 'int', default: 1, min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'whole number', doc: 'random seed: the same seed and options give a byte-identical trace' },
  { name: 'page-size', kind: 'size', default: 4096, doc: 'page size in bytes' },
  {
    name: 'layout', kind: 'choice', default: 'scatter', choices: ['scatter', 'linear'],
    doc: "where the workload's logical pages sit in guest-physical memory: a seeded permutation (scatter) or in order (linear)",
  },
];
