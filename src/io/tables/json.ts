// JSON: a whole document (replay --json, fleet --json), or a table as an array of row
// objects. Written whole, never appended.
import { fail } from '../../errors.js';
import type { TableData, TableFormat } from './types.js';
import { jsonRow, namesOf } from './jsonl.js';
import { typeColumns, typedRows } from './values.js';

/** A JSON document as written to a file: indented two spaces, a final newline. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** The value of a JSON file, or a one-line error. */
export function parseJson(file: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    // V8's own text is not a message for users; its position is worth keeping.
    const at = /position (\d+)/.exec(e instanceof Error ? e.message : '');
    return fail('file-unreadable', `${file}: not valid JSON${at ? ` (it breaks off at character ${at[1]})` : ''}`);
  }
}

/** Whether a value is an array of row objects. */
export function isRowArray(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r));
}

export const jsonFormat: TableFormat = {
  id: 'json',
  extensions: ['.json'],
  appendable: false,
  read(file, bytes, options): TableData {
    const v = parseJson(file, bytes);
    if (!isRowArray(v)) return fail('schema', `${file}: not a table: a JSON table is an array of row objects`);
    const columns = typeColumns(namesOf(v), (name) => v.map((r) => r[name]), options.known);
    return { columns, rows: typedRows(columns, v), metadata: new Map(), validBytes: bytes.byteLength, tornBytes: 0 };
  },
  // One row per line, so that a long table stays readable and diffable.
  encode: (columns, rows) => (rows.length === 0 ? '[]\n' : `[\n${rows.map((r) => jsonRow(columns, r).slice(0, -1)).join(',\n')}\n]\n`),
};
