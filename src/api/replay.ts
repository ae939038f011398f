// The public replay functions: one algorithm (replay), several as `migreplay replay`
// compares them (replayAll), and the pieces replayAll attaches (oracle distances, the
// --within-epoch range). Each checks its arguments and hands them, unchanged, to the
// engine's own functions (src/run/replay.ts), so results are those of the CLI. No
// Node imports.
import { algorithms, findAlgorithm as findAlgorithmImpl } from '../algorithms/index.js';
import { oracle, oracleBounds as oracleBoundsImpl, type OracleBound, type OracleBudget } from '../algorithms/oracle.js';
import { formatDefault as formatDefaultImpl, paramKey, parseParam, resolveParams as resolveParamsImpl, PARAM_KINDS, specKey, type ParamKind, type ParamSpec, type ParamValues } from '../params/index.js';
import { LINK_PARAMS } from '../params/link.js';
import type { Algorithm } from '../algorithms/types.js';
import { WITHIN_EPOCH_RULES } from '../engine/clock.js';
import { Engine } from '../engine/engine.js';
import { replayAll as compareAlgorithms, type ReplayAllOptions, type Comparison } from '../run/replay.js';
import {
  addOracleDistances as addOracleDistancesImpl, addWithinEpochRange as addWithinEpochRangeImpl,
  isCoarse as isCoarseImpl, replay as replayImpl, samplingIntervalUs as samplingIntervalUsImpl,
} from '../run/replay.js';
import { DEFAULT_LINK, type LinkParams, type ReplayResult } from '../engine/types.js';
import { fail, MigreplayError } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import type { Trace } from '../trace/read.js';
import { array, bad, func, isObject, isPlainObject, num, oneOf, options, shown, str } from './check.js';
import { usableKernel } from './kernel.js';
import { usableTrace } from './trace.js';

// ---------------------------------------------------------------------------------------
// Algorithms and their parameters.

const ids = (): string => algorithms.map((a) => a.id).join(', ');

/** An algorithm argument, checked: one of `algorithms`, or its id. */
export function usableAlgorithm(fn: string, a: unknown, what = 'algorithm'): Algorithm {
  if (typeof a === 'string') {
    return findAlgorithmImpl(a) ?? fail('unknown-algorithm', `${fn}: unknown algorithm ${shown(a)} (known: ${ids()})`);
  }
  if ((algorithms as readonly unknown[]).includes(a)) return a as Algorithm;
  if (isObject(a) && typeof a.id === 'string' && findAlgorithmImpl(a.id)) {
    fail('usage', `${fn}: ${what} is an object with id '${a.id}' that is not migreplay's own: pass the id '${a.id}' or findAlgorithm('${a.id}')`);
  }
  if (isObject(a) && typeof a.id === 'string') fail('unknown-algorithm', `${fn}: unknown algorithm ${shown(a.id)} (known: ${ids()})`);
  return bad(fn, what, `an algorithm (an entry of algorithms, or its id: ${ids()})`, a);
}

/** The algorithm with this id, or undefined when there is none. */
export function findAlgorithm(id: string): Algorithm | undefined {
  return findAlgorithmImpl(str('findAlgorithm', 'id', id, true));
}

/** Parameter values as the command line gives them (units allowed), keyed by CLI name or JSON key. */
export type ParamInput = Record<string, string | number | undefined>;

/**
 * Parameter values, checked: a plain object whose keys are parameters of `picked` (by
 * flag name or JSON key, each once) and whose values are numbers or strings each of
 * these algorithms accepts. `all`: every key must belong to each algorithm (replay);
 * otherwise to at least one (replayAll, like the CLI's flags).
 */
export function usableParams(fn: string, picked: readonly Algorithm[], given: unknown, what = 'params', all = true): ParamInput {
  if (given === undefined) return {};
  if (!isPlainObject(given)) bad(fn, what, "an object of parameter values keyed by name, e.g. { 'max-iters': 5 }", given);
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const owners = algorithms.filter((a) => a.params.some((p) => p.name === key || paramKey(p.name) === key));
    const mine = picked.filter((a) => owners.includes(a));
    const pickedIds = picked.map((a) => a.id).join(', ');
    if (owners.length === 0) {
      const names = [...new Set(picked.flatMap((a) => a.params.map((p) => p.name)))];
      fail('usage', `${fn}: ${what} has no parameter ${shown(key)} (${pickedIds} take${picked.length === 1 ? 's' : ''}: ${names.join(', ') || 'none'})`);
    }
    if (mine.length === 0 || (all && mine.length < picked.length)) {
      const without = picked.filter((a) => !owners.includes(a)).map((a) => a.id).join(', ');
      fail('usage', `${fn}: ${what}[${shown(key)}] is not a parameter of ${without} (it belongs to ${owners.map((a) => a.id).join(', ')})`);
    }
    if (typeof value !== 'number' && typeof value !== 'string') {
      bad(fn, `${what}[${shown(key)}]`, "a number (in the parameter's base unit) or a string as the command line takes it (e.g. '300ms')", value);
    }
    const name = owners[0]!.params.find((p) => p.name === key || paramKey(p.name) === key)!.name;
    if (seen.has(name)) fail('usage', `${fn}: ${what} gives ${shown(name)} twice (as ${shown(seen.get(name))} and ${shown(key)})`);
    seen.set(name, key);
    for (const a of mine) {
      const spec = a.params.find((p) => p.name === name)!;
      try {
        parseParam(spec, value);
      } catch (e) {
        if (!(e instanceof MigreplayError)) throw e;
        const detail = e.message.startsWith(`--${name}: `) ? e.message.slice(name.length + 4) : e.message;
        throw new MigreplayError(e.code, `${fn}: ${what}[${shown(key)}]${picked.length > 1 ? ` (${a.id})` : ''}: ${detail}`, e.exitCode);
      }
    }
  }
  return given as ParamInput;
}

/** An algorithm's parameters: its defaults, overridden by `given` (keyed by flag name or JSON key). */
export function resolveParams(algorithm: Algorithm | string, given?: ParamInput): ParamValues {
  const a = usableAlgorithm('resolveParams', algorithm);
  return resolveParamsImpl(a, usableParams('resolveParams', [a], given, 'given'));
}

/** A parameter's default as a person would type it (300ms, 256KiB, 29). */
export function formatDefault(spec: ParamSpec): string {
  const s = spec as unknown;
  if (!isObject(s) || typeof s.name !== 'string' || !PARAM_KINDS.includes(s.kind as ParamKind) || (typeof s.default !== 'number' && typeof s.default !== 'string')) {
    bad('formatDefault', 'spec', 'a ParamSpec (an entry of an algorithm\'s params)', s);
  }
  return formatDefaultImpl(spec);
}

// ---------------------------------------------------------------------------------------
// The link.

const LINK_KEYS = LINK_PARAMS.map(specKey);

/** A link argument, checked (against the trace when given): the keys given, undefined ones left out. */
export function usableLink(fn: string, link: unknown, trace?: Trace, what = 'link'): Partial<LinkParams> {
  const given = options(fn, what, link, LINK_KEYS);
  const out: Partial<LinkParams> = {};
  const bw = given.bandwidthBytesPerS;
  if (bw !== undefined) {
    if (typeof bw === 'string') bad(fn, `${what}.bandwidthBytesPerS`, "a number of bytes/s (for '1Gbit' use parseRate('--bandwidth', '1Gbit'))", bw);
    out.bandwidthBytesPerS = num(fn, `${what}.bandwidthBytesPerS`, bw, 0, true, 'bytes/s');
  }
  if (given.startS !== undefined) {
    if (typeof given.startS === 'string') bad(fn, `${what}.startS`, "a number of seconds (for '2s' use parseDuration('--start', '2s'))", given.startS);
    const s = num(fn, `${what}.startS`, given.startS, 0, false, 'seconds');
    if (trace && s * 1e6 >= trace.summary.durationUs) {
      fail('usage', `${fn}: ${what}.startS = ${s} s lies outside the trace (0 … ${trace.summary.durationUs / 1e6} s)`);
    }
    out.startS = s;
  }
  if (given.resumeMs !== undefined) out.resumeMs = num(fn, `${what}.resumeMs`, given.resumeMs, 0, false, 'ms');
  if (given.withinEpoch !== undefined) out.withinEpoch = oneOf(fn, `${what}.withinEpoch`, given.withinEpoch, WITHIN_EPOCH_RULES);
  return out;
}

// ---------------------------------------------------------------------------------------
// Results.

/** A result argument, checked: the fields the functions taking results read. */
export function usableResult(fn: string, r: unknown, what = 'result'): ReplayResult {
  const rule = 'a ReplayResult (what replay returns)';
  if (!isObject(r)) bad(fn, what, rule, r);
  if (typeof r.algorithm !== 'string' || !Array.isArray(r.rounds) || typeof r.converged !== 'boolean' || !isObject(r.params)) bad(fn, what, rule, r);
  for (const k of ['pagesSent', 'bytesSent', 'totalTimeS', 'iterations'] as const) {
    if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) bad(fn, `${what}.${k}`, 'a finite number', r[k]);
  }
  if (r.downtimeMs !== null && (typeof r.downtimeMs !== 'number' || !Number.isFinite(r.downtimeMs))) bad(fn, `${what}.downtimeMs`, 'a finite number or null', r.downtimeMs);
  (r.rounds as unknown[]).forEach((x, i) => {
    if (!isObject(x) || typeof x.durationS !== 'number' || typeof x.pagesSent !== 'number' || typeof x.phase !== 'string') bad(fn, `${what}.rounds[${i}]`, 'a RoundRecord', x);
  });
  if (r.converged && !r.finalCopy && !(r.rounds as { final?: boolean }[]).some((x) => x.final)) bad(fn, `${what}.rounds`, 'rounds with the final one (the result converged)', r.rounds);
  return r as unknown as ReplayResult;
}

/** An array of results, checked. */
export function usableResults(fn: string, rs: unknown, what = 'results'): ReplayResult[] {
  const list = array(fn, what, rs, 'an array of ReplayResults');
  list.forEach((r, i) => usableResult(fn, r, `${what}[${i}]`));
  return list as ReplayResult[];
}

// ---------------------------------------------------------------------------------------
// Replays.

/** Replay one algorithm (an object of `algorithms`, or its id) over a trace with a kernel. */
export function replay(trace: Trace, algorithm: Algorithm | string, kernel: Kernel, link?: Partial<LinkParams>, params?: ParamInput): ReplayResult {
  const fn = 'replay';
  const t = usableTrace(fn, trace);
  const a = usableAlgorithm(fn, algorithm);
  const k = usableKernel(fn, kernel);
  return replayImpl(t, a, k, usableLink(fn, link, t), usableParams(fn, [a], params));
}

export type { ReplayAllOptions, Comparison } from '../run/replay.js';
/** replayAll without the argument checks (src/run/replay.ts): what the checked one runs. */
export { replayAll as compareAlgorithms } from '../run/replay.js';

/** Algorithms for a comparison, checked: a non-empty array of algorithms or ids, each once. */
export function usableAlgorithms(fn: string, which: unknown, what = 'algorithms'): Algorithm[] {
  if (typeof which === 'string') bad(fn, what, `an array of algorithms or ids (write [${shown(which)}])`, which);
  const list = array(fn, what, which, 'an array of algorithms or ids');
  if (list.length === 0) fail('usage', `${fn}: ${what} must name at least one algorithm (known: ${ids()})`);
  const picked = list.map((a, i) => usableAlgorithm(fn, a, `${what}[${i}]`));
  picked.forEach((a, i) => {
    if (picked.indexOf(a) !== i) fail('usage', `${fn}: ${what} names '${a.id}' twice`);
  });
  return picked;
}

/**
 * Replay several algorithms over one trace and attach what `migreplay replay` attaches:
 * each completed pre-copy run's distance from the oracle and, for coarse runs, the range
 * over the --within-epoch rules. Algorithms by object or id.
 */
export function replayAll(trace: Trace, which: readonly (Algorithm | string)[], kernel: Kernel, options?: ReplayAllOptions): Comparison {
  const fn = 'replayAll';
  const t = usableTrace(fn, trace);
  const picked = usableAlgorithms(fn, which);
  const k = usableKernel(fn, kernel);
  const o = optionsOf(fn, options);
  const link = usableLink(fn, o.link, t, 'options.link');
  let params: ReplayAllOptions['params'];
  if (typeof o.params === 'function') {
    const given = o.params as (a: Algorithm) => ParamInput;
    params = (a) => usableParams(fn, [a], given(a), `options.params(${a.id})`);
  } else {
    params = usableParams(fn, picked, o.params, 'options.params', false);
  }
  if (o.withinEpochRanges !== undefined && typeof o.withinEpochRanges !== 'boolean') bad(fn, 'options.withinEpochRanges', 'true or false', o.withinEpochRanges);
  return compareAlgorithms(t, picked, k, { link, params, withinEpochRanges: o.withinEpochRanges as boolean | undefined });
}

const optionsOf = (fn: string, o: unknown) => options(fn, 'options', o, ['link', 'params', 'withinEpochRanges']);

/** Attach to each completed pre-copy result its distance from the oracle at its own downtime (result.oracle). */
export function addOracleDistances(
  trace: Trace, kernel: Kernel, link: Partial<LinkParams> | undefined, results: ReplayResult[],
  algorithmsById: (id: string) => Algorithm | undefined = findAlgorithmImpl,
): void {
  const fn = 'addOracleDistances';
  const t = usableTrace(fn, trace);
  const k = usableKernel(fn, kernel);
  const l = usableLink(fn, link, t);
  const rs = usableResults(fn, results);
  func(fn, 'algorithmsById', algorithmsById);
  addOracleDistancesImpl(t, k, l, rs, algorithmsById);
}

/** Replay an algorithm under every --within-epoch rule and attach the spread of its metrics to `result` (withinEpochRange). */
export function addWithinEpochRange(trace: Trace, algorithm: Algorithm | string, kernel: Kernel, link: Partial<LinkParams> | undefined, params: ParamInput | undefined, result: ReplayResult): void {
  const fn = 'addWithinEpochRange';
  const t = usableTrace(fn, trace);
  const a = usableAlgorithm(fn, algorithm);
  const k = usableKernel(fn, kernel);
  const l = usableLink(fn, link, t);
  const p = usableParams(fn, [a], params);
  const r = usableResult(fn, result);
  if (r.algorithm !== a.id) fail('usage', `${fn}: result is ${shown(r.algorithm)}'s, not ${shown(a.id)}'s`);
  addWithinEpochRangeImpl(t, a, k, l, p, r);
}

/** Whether a result's rounds are short against the trace's epochs: median live round < 4 × the sampling interval. */
export function isCoarse(trace: Trace, result: ReplayResult): boolean {
  return isCoarseImpl(usableTrace('isCoarse', trace), usableResult('isCoarse', result));
}

/** The sampling interval of a trace, µs: interval_us, else the median epoch length. */
export function samplingIntervalUs(trace: Trace): number {
  return samplingIntervalUsImpl(usableTrace('samplingIntervalUs', trace));
}

/**
 * The clairvoyant oracle's least total time for each downtime budget on this trace and
 * link: budgets as { pages, rate?, horizonUs } (pages the pause may send, its rate
 * relative to the link's, how far to look in µs of migration time).
 */
export function oracleBounds(trace: Trace, kernel: Kernel, budgets: readonly OracleBudget[], link?: Partial<LinkParams>): OracleBound[] {
  const fn = 'oracleBounds';
  const t = usableTrace(fn, trace);
  const k = usableKernel(fn, kernel);
  array(fn, 'budgets', budgets, 'an array of budgets { pages, rate?, horizonUs }').forEach((b, i) => {
    const what = `budgets[${i}]`;
    const o = options(fn, what, b, ['pages', 'rate', 'horizonUs']);
    if (b === undefined) bad(fn, what, 'a budget { pages, rate?, horizonUs }', b);
    num(fn, `${what}.pages`, o.pages, 0, false, 'pages');
    if (o.rate !== undefined) num(fn, `${what}.rate`, o.rate, 0, true);
    num(fn, `${what}.horizonUs`, o.horizonUs, 0, true, 'µs');
  });
  const full: LinkParams = { ...DEFAULT_LINK, ...usableLink(fn, link, t) };
  return oracleBoundsImpl(new Engine(t, k, full, oracle.needs), budgets);
}
