// What every workload module exports (src/trace/workloads/<id>.ts), and the resolved
// options it generates from. No Node imports.
import type { ParamSpec, ParamValue } from '../../params/index.js';

/** Resolved options of one generation run. */
export interface GenOptions {
  workload: string;
  memBytes: number;
  memPages: number;
  pageSize: number;
  intervalUs: number;
  durationUs: number;
  /** Number of epochs: ceil(durationUs / intervalUs). */
  epochs: number;
  seed: number;
  layout: 'scatter' | 'linear';
  /** The workload's own parameters by camelCase key, parsed. */
  values: Record<string, ParamValue | undefined>;
  /** Parameter names (kebab-case, common ones too) given explicitly rather than defaulted. */
  explicit: ReadonlySet<string>;
  /** `name k=v …` with every parameter: what the trace's `workload` metadata says. */
  text: string;
}

/** Receives one epoch: its start (µs), its pages ascending and distinct, and the comm/immp subsets. */
export type EmitEpoch = (tUs: number, pages: Uint32Array, comm?: Uint32Array, immp?: Uint32Array) => void;

/** A workload generator. */
export interface Workload {
  id: string;
  /** One line for --help. */
  summary: string;
  /** The paper or behaviour it follows. */
  follows: string;
  params: readonly ParamSpec[];
  /** Defaults of common parameters that differ for this workload (e.g. the paper's VM size). */
  defaults?: Partial<Record<'mem' | 'duration' | 'interval', string>>;
  /** Optional columns it fills. */
  columns?: { comm?: boolean; immp?: boolean };
  /** Cross-parameter checks beyond each parameter's own range; fail('usage', …) on error. */
  check?(o: GenOptions): void;
  /** The trace's `description` metadata for these options. */
  describe(o: GenOptions): string;
  /** Emit every epoch, in order. */
  generate(o: GenOptions, emit: EmitEpoch): void;
}
