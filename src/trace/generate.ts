// `migreplay gen`: a workload's options resolved and checked, and its trace written
// through a TraceWriter. The workloads are src/trace/workloads/<id>.ts (registry:
// ./workloads/index.ts), their epoch assembly ./epochs.ts, their parameters
// src/params/. Three imitate the papers' experiments (docs/reproductions.md#the-papers):
// `mail`, `video-stream`, `hotpages`. Generation is deterministic for a seed and runs in
// bounded memory. No Node imports.
import { fail } from '../errors.js';
import { parseParam, paramKey, type ParamGiven, type ParamSpec, type ParamValue } from '../params/index.js';
import { COMMON_PARAMS } from '../params/workload.js';
import { MAX_MEM_PAGES } from './schema.js';
import { findWorkload, workloads, type GenOptions, type Workload } from './workloads/index.js';
import { TraceWriter, type TraceHeader, type TraceWriterOptions } from './write.js';

export { COMMON_PARAMS, findWorkload, workloads };
export type { EmitEpoch, GenOptions, Workload } from './workloads/index.js';

/** The default of a common parameter for a workload. */
export function commonDefault(w: Workload, spec: ParamSpec): ParamSpec['default'] {
  return (w.defaults as Record<string, string> | undefined)?.[spec.name] ?? spec.default;
}

/** Given values: by kebab-case name or camelCase key; undefined means not given. */
export type GenGiven = ParamGiven;

/** Check and resolve a workload's options (common ones too) from what was given. */
export function resolveOptions(workload: Workload | string, given: GenGiven = {}): GenOptions {
  const w = typeof workload === 'string' ? findWorkload(workload) : workload;
  if (!w) return fail('usage', `gen: unknown workload '${workload}' (known: ${workloads.map((x) => x.id).join(', ')})`);
  const explicit = new Set<string>();
  const rawOf = (spec: ParamSpec, dflt: ParamSpec['default']) => {
    const raw = given[spec.name] ?? given[paramKey(spec.name)];
    if (raw !== undefined) explicit.add(spec.name);
    return raw ?? dflt;
  };
  const known = new Set([...COMMON_PARAMS, ...w.params].flatMap((p) => [p.name, paramKey(p.name)]));
  for (const [k, val] of Object.entries(given)) {
    if (val !== undefined && !known.has(k)) fail('usage', `gen ${w.id}: unknown option '${k}' (its options: ${w.params.map((p) => p.name).join(', ') || 'none'})`);
  }
  const textParts: string[] = [w.id];
  const common: Record<string, ParamValue> = {};
  for (const spec of COMMON_PARAMS) {
    const raw = rawOf(spec, commonDefault(w, spec))!;
    common[spec.name] = parseParam(spec, raw);
    textParts.push(`${spec.name}=${raw}`);
  }
  const memBytes = common.mem as number;
  const pageSize = common['page-size'] as number;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) fail('usage', `--page-size: '${pageSize}' is not a whole number of bytes ≥ 1`);
  const memPages = Math.floor(memBytes / pageSize);
  if (memPages < 1) fail('usage', `--mem: ${memBytes} B is less than one page of ${pageSize} B`);
  if (memPages > MAX_MEM_PAGES) fail('usage', `--mem: ${memPages} pages is beyond what a replay can hold (at most ${MAX_MEM_PAGES})`);
  const intervalUs = Math.round((common.interval as number) * 1e6);
  if (intervalUs < 1) fail('usage', '--interval: must be at least 1 µs');
  const durationUs = Math.round((common.duration as number) * 1e6);
  if (durationUs < 1) fail('usage', '--duration: must be at least 1 µs');
  const values: Record<string, ParamValue | undefined> = {};
  for (const spec of w.params) {
    const raw = rawOf(spec, spec.default);
    values[paramKey(spec.name)] = raw === undefined ? undefined : parseParam(spec, raw, { memBytes: memPages * pageSize });
    if (raw !== undefined) textParts.push(`${spec.name}=${raw}`);
  }
  const o: GenOptions = {
    workload: w.id, memBytes, memPages, pageSize, intervalUs, durationUs,
    epochs: Math.ceil(durationUs / intervalUs),
    seed: common.seed as number,
    layout: common.layout as 'scatter' | 'linear',
    values, explicit, text: textParts.join(' '),
  };
  w.check?.(o);
  return o;
}

/** The trace header a generation run writes. */
export function generatedHeader(w: Workload, o: GenOptions): TraceHeader {
  return {
    memPages: o.memPages,
    pageSize: o.pageSize,
    intervalUs: o.intervalUs,
    durationUs: o.durationUs,
    source: 'synthetic',
    workload: o.text,
    description: w.describe(o),
    extra: { generator: 'migreplay gen' },
    hasComm: Boolean(w.columns?.comm),
    hasImmp: Boolean(w.columns?.immp),
  };
}

/** What a generation run wrote. */
export interface GenResult {
  options: GenOptions;
  header: TraceHeader;
  epochs: number;
  /** Page writes: the sum of pages per epoch. */
  events: number;
}

/**
 * Generate a workload's trace into a byte sink (Arrow IPC file form by default).
 * ZSTD compression needs enableZstdEncoder() to have been awaited first.
 */
export function generateTrace(id: string | Workload, options: GenGiven, sink: (chunk: Uint8Array) => void, writerOptions: TraceWriterOptions = {}): GenResult {
  const w = typeof id === 'string' ? findWorkload(id) : id;
  if (!w) return fail('usage', `gen: unknown workload '${id}' (known: ${workloads.map((x) => x.id).join(', ')})`);
  const o = resolveOptions(w, options);
  const header = generatedHeader(w, o);
  const writer = new TraceWriter(sink, header, writerOptions);
  const comm = header.hasComm;
  const immp = header.hasImmp;
  w.generate(o, (t, pages, c, i) => writer.epoch(t, pages, comm ? c : undefined, immp ? i : undefined));
  writer.close();
  return { options: o, header, epochs: writer.epochs, events: writer.events };
}
