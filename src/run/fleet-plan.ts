// A fleet plan file (docs/fleet.md#plan-files): JSON or YAML, keys as the command line
// spells them, values with units as on the command line. Every key is known or refused.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { findAlgorithm } from '../algorithms/index.js';
import type { WithinEpoch } from '../engine/clock.js';
import { fail } from '../errors.js';
import { FLEET_PARAMS, GUEST_PARAMS, parseFleetValue } from '../params/fleet.js';
import type { FleetGuest, FleetOrderBy, FleetPlan, FleetPolicy } from './fleet.js';

/** The keys a plan's top level may have. */
export const PLAN_KEYS: readonly string[] = [...Object.keys(FLEET_PARAMS), 'kernel', 'defaults', 'guests'];
/** The keys a guest (or `defaults`) may have besides its algorithm's parameters. */
export const GUEST_KEYS: readonly string[] = ['trace', 'name', 'algo', ...Object.keys(GUEST_PARAMS)];

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// A value as the command line would have it: a YAML or JSON number is read as its text,
// so `downtime-limit: 300` is 300 ms as `--downtime-limit 300` is, never 300 s.
function text(where: string, v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  return fail('usage', `${where}: ${JSON.stringify(v)} is not a value (give a number or a string such as 1Gbit or 2s)`);
}

function oneOf<T extends string>(where: string, v: unknown, choices: readonly T[]): T {
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  return fail('usage', `${where}: ${JSON.stringify(v)} is not one of ${choices.join(', ')}`);
}

/** One guest of a plan, `defaults` under it; `dir` resolves a relative trace path. */
function guestFrom(where: string, raw: Raw, defaults: Raw, dir: string): FleetGuest {
  const g: Raw = { ...defaults, ...raw };
  const algo = g.algo ?? 'qemu';
  if (typeof algo !== 'string') fail('usage', `${where}: algo ${JSON.stringify(algo)} is not an algorithm id`);
  const alg = findAlgorithm(algo);
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(g)) {
    if ((GUEST_KEYS as readonly string[]).includes(k)) continue;
    if (!alg) break; // runFleet names the unknown algorithm
    if (!alg.params.some((p) => p.name === k)) {
      fail('usage', `${where}: unknown key '${k}' (a guest has ${GUEST_KEYS.join(', ')} and the parameters of its algorithm: ${alg.params.map((p) => p.name).join(', ')})`);
    }
    params[k] = text(`${where}: ${k}`, v);
  }
  if (typeof g.trace !== 'string' || g.trace === '') fail('usage', `${where}: no trace (give trace: FILE)`);
  const out: FleetGuest = { trace: path.resolve(dir, g.trace), algorithm: algo, params };
  if (g.name !== undefined) out.name = String(text(`${where}: name`, g.name));
  const value = (k: keyof typeof GUEST_PARAMS): number | string | undefined =>
    g[k] === undefined ? undefined : parseFleetValue(GUEST_PARAMS[k], text(`${where}: ${k}`, g[k]), `${where}: ${k}`);
  const cap = value('max-bandwidth');
  if (cap !== undefined) out.maxBandwidthBytesPerS = cap as number;
  const start = value('start');
  if (start !== undefined) out.startS = start as number;
  const resume = value('resume-ms');
  if (resume !== undefined) out.resumeMs = resume as number;
  const rule = value('within-epoch');
  if (rule !== undefined) out.withinEpoch = rule as WithinEpoch;
  const notBefore = value('not-before');
  if (notBefore !== undefined) out.notBeforeS = notBefore as number;
  return out;
}

/** A plan from a parsed plan document; relative trace paths are taken from `dir`. */
export function fleetPlanFrom(source: string, doc: unknown, dir: string): FleetPlan {
  if (!isObject(doc)) fail('usage', `${source}: a fleet plan is a mapping with guests: [...] (docs/fleet.md#plan-files)`);
  for (const k of Object.keys(doc)) {
    if (!(PLAN_KEYS as readonly string[]).includes(k)) fail('usage', `${source}: unknown key '${k}' (a plan has ${PLAN_KEYS.join(', ')})`);
  }
  const defaults = doc.defaults ?? {};
  if (!isObject(defaults)) fail('usage', `${source}: defaults must be a mapping of guest keys`);
  if (defaults.trace !== undefined || defaults.name !== undefined) fail('usage', `${source}: defaults may not name a trace or a name (each guest has its own)`);
  if (!Array.isArray(doc.guests) || doc.guests.length === 0) fail('usage', `${source}: no guests (give guests: a list with trace: FILE each)`);
  const guests = doc.guests.map((g: unknown, i: number) => {
    const where = `${source}: guest ${i + 1}`;
    if (typeof g === 'string') return guestFrom(where, { trace: g }, defaults, dir);
    if (!isObject(g)) return fail('usage', `${where}: a guest is a trace file or a mapping with trace: FILE`);
    return guestFrom(where, g, defaults, dir);
  });
  const value = (k: keyof typeof FLEET_PARAMS): number | string =>
    doc[k] === undefined ? FLEET_PARAMS[k].default! : parseFleetValue(FLEET_PARAMS[k], text(`${source}: ${k}`, doc[k]), `${source}: ${k}`);
  const plan: FleetPlan = { bandwidthBytesPerS: value('bandwidth') as number, policy: value('policy') as FleetPolicy, guests };
  if (doc['max-concurrent'] !== undefined) plan.maxConcurrent = value('max-concurrent') as number;
  if (doc.by !== undefined) plan.by = value('by') as FleetOrderBy;
  if (doc.kernel !== undefined) plan.kernel = oneOf(`${source}: kernel`, doc.kernel, ['wasm', 'js'] as const);
  return plan;
}

/** Read a plan file: .json, or .yaml / .yml. */
export function readFleetPlan(file: string): FleetPlan {
  const ext = path.extname(file).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) fail('usage', `--plan: '${file}' must end in .json, .yaml or .yml`);
  let body: string;
  try {
    body = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'file-missing' : 'file-unreadable', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? 'error'})`}`);
  }
  let doc: unknown;
  try {
    // YAML 1.2 reads JSON too, and refuses a key given twice (JSON.parse keeps the last).
    doc = parseYaml(body, { uniqueKeys: true });
  } catch (e) {
    return fail('usage', `${file}: not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${String((e as Error).message).split('\n')[0]})`);
  }
  return fleetPlanFrom(file, doc, path.dirname(path.resolve(file)));
}
