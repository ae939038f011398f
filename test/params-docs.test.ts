// The parameter tables of docs/algorithms.md and docs/workloads.md say what the
// declarations say (src/params/, the algorithms' and workloads' params): each row's
// flag, JSON key, default, unit and bounds, and every declared parameter has a row.
// A table belongs to the `## ` section it is in: an algorithm's or workload's id, or
// the link's ("Parameters: conventions") and the common generation options' ("What
// every workload shares"). A row without a JSON key ("the `qemu` flags", "`--rtt`, … |
// | as `qemu`") stands for the named algorithm's parameters of the same name.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { algorithms } from '../src/algorithms/index.js';
import { formatDefault, specKey, unitOf, type ParamSpec } from '../src/params/index.js';
import { LINK_PARAMS } from '../src/params/link.js';
import { COMMON_PARAMS } from '../src/params/workload.js';
import { workloads } from '../src/trace/workloads/index.js';

interface Table { section: string; line: number; header: string[]; rows: { line: number; cells: string[] }[] }

/** Every table of a markdown file, with the `## ` heading it sits under. */
function tables(file: string): Table[] {
  const lines = fs.readFileSync(new URL(`../${file}`, import.meta.url), 'utf8').split('\n');
  const out: Table[] = [];
  let section = '';
  let current: Table | undefined;
  const cells = (l: string) => l.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  lines.forEach((l, i) => {
    if (/^## /.test(l)) section = l.slice(3).replace(/`/g, '').trim();
    if (!l.trim().startsWith('|')) return void (current = undefined);
    if (!current) out.push((current = { section, line: i + 1, header: cells(l), rows: [] }));
    else if (!/^\|[-| :]+\|$/.test(l.trim())) current.rows.push({ line: i + 1, cells: cells(l) });
  });
  return out;
}

const flagsIn = (cell: string) => [...cell.matchAll(/`--([a-z0-9-]+)[^`]*`/g)].map((m) => m[1]!);
const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
/** The first word of a default cell, without its backticks: `1Gbit` (125000000) → 1Gbit. */
const firstWord = (cell: string) => cell.replace(/`/g, '').split(/[\s(]/)[0]!;

/** What a row's default, unit and bounds must say for its spec; '' when they do. */
function mismatch(spec: ParamSpec, defaultCell: string, unitCell: string): string[] {
  const wrong: string[] = [];
  const dflt = spec.default === undefined ? '—' : firstWord(defaultCell);
  const accepted = spec.default === undefined ? ['—'] : [...new Set([formatDefault(spec), String(spec.default)])];
  if (!accepted.includes(dflt)) wrong.push(`default '${defaultCell}' is not ${accepted.join(' or ')}`);
  if (spec.kind === 'choice') {
    for (const c of spec.choices!) if (!new RegExp(`\\b${c}\\b`).test(unitCell)) wrong.push(`unit '${unitCell}' does not name the choice ${c}`);
    return wrong;
  }
  const unit = unitOf(spec);
  if (!unitCell.startsWith(unit)) wrong.push(`unit '${unitCell}' does not start with '${unit}'`);
  // Bounds: "(≥ 1)", "(1–255)", "(0 … 0.999)"; stated ones must be the declared ones, and a
  // declared bound beyond what the kind implies (a minimum above 0, a maximum) must be stated.
  const range = /\((\d+(?:\.\d+)?)\s*(?:–|…)\s*(\d+(?:\.\d+)?)\)/.exec(unitCell);
  const atLeast = /\(≥ (\d+(?:\.\d+)?)\)/.exec(unitCell);
  const [min, max] = range ? [Number(range[1]), Number(range[2])] : atLeast ? [Number(atLeast[1]), undefined] : [undefined, undefined];
  if (min !== undefined && min !== (spec.min ?? 0)) wrong.push(`unit '${unitCell}' says at least ${min}, the declaration ${spec.min ?? 'none'}`);
  if (max !== undefined && max !== spec.max) wrong.push(`unit '${unitCell}' says at most ${max}, the declaration ${spec.max ?? 'none'}`);
  const needsMin = spec.min !== undefined && spec.min > 0 && !spec.minExclusive && spec.max !== Number.MAX_SAFE_INTEGER;
  const needsMax = spec.max !== undefined && spec.max !== Number.MAX_SAFE_INTEGER;
  if ((needsMin && min === undefined) || (needsMax && max === undefined)) wrong.push(`unit '${unitCell}' does not give the bounds ${spec.min ?? ''}–${spec.max ?? ''}`);
  return wrong;
}

describe('docs/algorithms.md parameter tables', () => {
  const all = tables('docs/algorithms.md').filter((t) => t.header.join('|') === 'flag|JSON key|default|unit|meaning');
  const owners: { id: string; params: readonly ParamSpec[]; section: string }[] = [
    { id: 'link', params: LINK_PARAMS, section: 'Parameters: conventions' },
    ...algorithms.map((a) => ({ id: a.id, params: a.params, section: a.id })),
  ];

  it.each(owners.map((o) => [o.id, o] as const))('%s: every parameter has a row that matches its declaration', (_, owner) => {
    const mine = all.filter((t) => t.section === owner.section);
    expect(mine.length, `a parameter table under "## ${owner.section}"`).toBeGreaterThan(0);
    const covered = new Set<string>();
    const problems: string[] = [];
    for (const t of mine) {
      for (const { line, cells } of t.rows) {
        const [flagCell, keyCell, defaultCell, unitCell] = cells as [string, string, string, string];
        const flags = flagsIn(flagCell);
        if (keyCell === '') {
          // "as `qemu`" / "the `qemu` and `postcopy` flags": that algorithm's parameters of the same name.
          const others = codeSpans(`${flagCell} ${defaultCell}`).map((id) => algorithms.find((a) => a.id === id)).filter((a) => a !== undefined);
          if (others.length === 0) problems.push(`line ${line}: a row without a JSON key names no algorithm`);
          for (const spec of owner.params) {
            if (flags.length > 0 && !flags.includes(spec.name)) continue;
            const theirs = others.map((a) => a.params.find((p) => p.name === spec.name)).find((p) => p !== undefined);
            if (!theirs) continue;
            if (theirs.kind !== spec.kind || theirs.default !== spec.default) problems.push(`line ${line}: --${spec.name} is not as in the algorithm named`);
            covered.add(spec.name);
          }
          for (const f of flags) if (!owner.params.some((p) => p.name === f)) problems.push(`line ${line}: --${f} is not a parameter of ${owner.id}`);
          continue;
        }
        if (flags.length !== 1) {
          problems.push(`line ${line}: one flag per row with a JSON key`);
          continue;
        }
        const spec = owner.params.find((p) => p.name === flags[0]);
        if (!spec) {
          problems.push(`line ${line}: --${flags[0]} is not a parameter of ${owner.id}`);
          continue;
        }
        covered.add(spec.name);
        if (keyCell !== `\`${specKey(spec)}\``) problems.push(`line ${line}: --${spec.name}: JSON key ${keyCell}, declared ${specKey(spec)}`);
        for (const w of mismatch(spec, defaultCell, unitCell)) problems.push(`line ${line}: --${spec.name}: ${w}`);
      }
    }
    for (const p of owner.params) if (!covered.has(p.name)) problems.push(`--${p.name} has no row`);
    expect(problems).toEqual([]);
  });
});

describe('docs/workloads.md parameter tables', () => {
  const all = tables('docs/workloads.md').filter((t) => t.header.join('|') === 'option|default|unit|meaning');
  // `gen`'s output options (src/cli/gen.ts), documented with the common parameters.
  const OUTPUT_OPTIONS = ['out', 'compression', 'form', 'quiet'];
  const owners: { id: string; params: readonly ParamSpec[]; section: string }[] = [
    { id: 'common', params: COMMON_PARAMS, section: 'What every workload shares' },
    ...workloads.map((w) => ({ id: w.id, params: w.params, section: w.id })),
  ];

  it('the output options are not parameters', () => {
    for (const o of OUTPUT_OPTIONS) expect(COMMON_PARAMS.some((p) => p.name === o)).toBe(false);
  });

  it.each(owners.map((o) => [o.id, o] as const))('%s: every parameter has a row that matches its declaration', (_, owner) => {
    const mine = all.filter((t) => t.section === owner.section);
    expect(mine.length, `a parameter table under "## ${owner.section}"`).toBeGreaterThan(0);
    const covered = new Set<string>();
    const problems: string[] = [];
    for (const { line, cells } of mine.flatMap((t) => t.rows)) {
      const [flagCell, defaultCell, unitCell] = cells as [string, string, string];
      const flags = flagsIn(flagCell);
      if (flags.length !== 1) {
        problems.push(`line ${line}: one option per row`);
        continue;
      }
      if (owner.id === 'common' && OUTPUT_OPTIONS.includes(flags[0]!)) continue;
      const spec = owner.params.find((p) => p.name === flags[0]);
      if (!spec) {
        problems.push(`line ${line}: --${flags[0]} is not a parameter of ${owner.id}`);
        continue;
      }
      covered.add(spec.name);
      for (const w of mismatch(spec, defaultCell, unitCell)) problems.push(`line ${line}: --${spec.name}: ${w}`);
      // A workload's own default of a common parameter: "1GiB (`video-stream`: 512MiB)".
      if (owner.id === 'common') {
        for (const w of workloads) {
          const own = (w.defaults as Record<string, string> | undefined)?.[spec.name];
          if (own !== undefined && own !== spec.default && !defaultCell.includes(`\`${w.id}\`: ${own}`)) problems.push(`line ${line}: --${spec.name}: the default of ${w.id} (${own}) is not given`);
        }
      }
    }
    for (const p of owner.params) if (!covered.has(p.name)) problems.push(`--${p.name} has no row`);
    expect(problems).toEqual([]);
  });
});

describe('declarations', () => {
  const every = [
    ...LINK_PARAMS.map((p) => ['link', p] as const),
    ...COMMON_PARAMS.map((p) => ['gen', p] as const),
    ...algorithms.flatMap((a) => a.params.map((p) => [a.id, p] as const)),
    ...workloads.flatMap((w) => w.params.map((p) => [w.id, p] as const)),
  ];
  it.each(every.map(([owner, p]) => [`${owner} --${p.name}`, p] as const))('%s has a unit and a one-line doc', (_, spec) => {
    expect(unitOf(spec)).not.toBe('');
    expect(spec.doc).not.toMatch(/\n/);
    expect(spec.doc.length).toBeGreaterThan(0);
  });
});
