// `migreplay merge`: join sweep outputs (shards, resumed parts, any of the formats) into
// one file: the union of the columns, one row per runId (per runId and round index in a
// rounds table), sorted by runId, written whole (temporary name, then rename).
import { fail } from '../errors.js';
import { VERSION } from '../version.js';
import { knownColumns, rowKey, sortRows, type Column, type Row } from './columns.js';
import { formatOf, readTable, writeTable } from '../io/tables/index.js';

export interface MergeStats {
  parts: number;
  rows: number;
  /** Rows left out because a part had already given the same key. */
  duplicates: number;
  /** Of those, rows whose values differed from the kept one. */
  conflicts: number;
  /** Parts whose last batch or line was torn (left out). */
  torn: string[];
  columns: number;
}

/** Canonical column order: the sweep's own order for known columns, then others by name. */
function orderColumns(columns: Column[]): Column[] {
  const rank = new Map(knownColumns().map((c, i) => [c.name, i]));
  return columns.sort((a, b) => {
    const ra = rank.get(a.name) ?? Infinity;
    const rb = rank.get(b.name) ?? Infinity;
    if (ra !== rb) return ra - rb;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

function sameRow(a: Row, b: Row, columns: readonly Column[]): boolean {
  return columns.every((c) => (a[c.name] ?? null) === (b[c.name] ?? null));
}

/** Merge parts into out. */
export async function mergeFiles(parts: readonly string[], out: string, note: (line: string) => void = () => {}): Promise<MergeStats> {
  if (parts.length === 0) fail('usage', 'merge: name at least one part');
  const format = formatOf(out, '--out');
  for (const p of parts) formatOf(p, `merge ${p}`);
  const columns: Column[] = [];
  const byKey = new Map<string, Row>();
  const stats: MergeStats = { parts: parts.length, rows: 0, duplicates: 0, conflicts: 0, torn: [], columns: 0 };
  let kind: string | undefined;
  for (const part of parts) {
    const data = await readTable(part, formatOf(part, part), { known: knownColumns() });
    if (data.tornBytes > 0) {
      stats.torn.push(part);
      note(`${part}: left out a torn last batch or line (${data.tornBytes} bytes) of an interrupted sweep`);
    }
    if (data.columns.length === 0) continue;
    if (!data.columns.some((c) => c.name === 'runId')) fail('usage', `merge: ${part} has no runId column: not a sweep output`);
    const isRounds = data.columns.some((c) => c.name === 'index') && !data.columns.some((c) => c.name === 'algorithm');
    const partKind = isRounds ? 'rounds' : 'runs';
    if (kind && kind !== partKind) fail('usage', `merge: ${part} is a ${partKind} table, the parts before it ${kind} tables`);
    kind = partKind;
    for (const c of data.columns) {
      const known = columns.find((x) => x.name === c.name);
      if (!known) columns.push({ ...c });
      else if (known.type !== c.type) {
        // int32 and float64 meet as float64 (a CSV part's unknown columns are typed by their values).
        const numeric = new Set([known.type, c.type]);
        if (numeric.size === 2 && numeric.has('int32') && numeric.has('float64')) known.type = 'float64';
        else fail('usage', `merge: column '${c.name}' is ${c.type} in ${part} but ${known.type} in an earlier part`);
      }
    }
    for (const row of data.rows) {
      const key = rowKey(row);
      const kept = byKey.get(key);
      if (kept) {
        stats.duplicates++;
        if (!sameRow(kept, row, data.columns)) stats.conflicts++;
        continue;
      }
      byKey.set(key, row);
    }
  }
  if (stats.conflicts > 0) note(`${stats.conflicts} runs appear in several parts with different values; kept the first part's`);
  const ordered = orderColumns(columns);
  const rows = sortRows([...byKey.values()]);
  stats.rows = rows.length;
  stats.columns = ordered.length;
  const metadata = new Map([['migreplay.version', VERSION], ['migreplay.table', kind ?? 'runs']]);
  await writeTable(out, format, ordered, rows, metadata);
  return stats;
}
