// Cell values as each column type holds them, and column types for formats without a schema.
import type { Column, ColumnType, Row } from './types.js';

/** A value as a column of its type holds it (null when it cannot). */
export function cell(c: Column, v: Row[string] | undefined): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  switch (c.type) {
    case 'utf8': return String(v);
    case 'bool': return typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null;
    default: {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) ? n : null;
    }
  }
}

/** Column types by name for text formats: known columns by their definition, others by their values. */
export function typeColumns(names: readonly string[], sample: (name: string) => unknown[], known: readonly Column[] = []): Column[] {
  const types = new Map<string, ColumnType>(known.map((c) => [c.name, c.type]));
  return names.map((name) => {
    const t = types.get(name);
    if (t) return { name, type: t };
    const values = sample(name).filter((v) => v !== null && v !== undefined && v !== '');
    if (values.length > 0 && values.every((v) => typeof v === 'boolean' || v === 'true' || v === 'false')) return { name, type: 'bool' as const };
    if (values.length > 0 && values.every((v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))))) return { name, type: 'float64' as const };
    return { name, type: 'utf8' as const };
  });
}

/** Rows of named values typed by their columns. */
export function typedRows(columns: readonly Column[], values: readonly Record<string, unknown>[]): Row[] {
  return values.map((r) => {
    const row: Row = {};
    for (const c of columns) row[c.name] = cell(c, r[c.name] as Row[string]);
    return row;
  });
}
