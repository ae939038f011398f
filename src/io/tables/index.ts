// The table formats, one module each, behind one registry: replay --out, sweep, merge,
// fleet --out and report find a format here by a file's extension. A new format is one
// module (a TableFormat: extensions, read, encode) and one line in FORMATS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail } from '../../errors.js';
import { AtomicFile, describe, ensureFolderOf } from '../files.js';
import { arrowFormat, featherFormat } from './arrow.js';
import { csvFormat } from './csv.js';
import { jsonFormat } from './json.js';
import { jsonlFormat } from './jsonl.js';
import { parquetFormat } from './parquet.js';
import type { Column, Format, ReadOptions, Row, TableData, TableFormat } from './types.js';

export type { Column, ColumnType, Format, ReadOptions, Row, TableData, TableFormat } from './types.js';

/** Every table format, in the order messages name them. */
export const FORMATS: readonly TableFormat[] = [arrowFormat, parquetFormat, csvFormat, jsonlFormat, jsonFormat, featherFormat];


/** The ids of every format. */
export const FORMAT_IDS: readonly Format[] = FORMATS.map((f) => f.id);

/** The module of a format. */
export function tableFormat(id: Format): TableFormat {
  return FORMATS.find((f) => f.id === id)!;
}

function listed(exts: readonly string[]): string {
  return exts.length === 1 ? exts[0]! : `${exts.slice(0, -1).join(', ')} or ${exts[exts.length - 1]}`;
}

/**
 * The format of a file, by its extension, among `allowed` (every format by default);
 * a file without one is in `bare` (by default Arrow when every format is allowed).
 */
export function formatOf(file: string, what = '--out', allowed: readonly Format[] = FORMAT_IDS, bare: Format | undefined = allowed === FORMAT_IDS ? 'arrow' : undefined): Format {
  const ext = path.extname(file).toLowerCase();
  if (ext === '' && bare) return bare;
  const found = FORMATS.find((f) => allowed.includes(f.id) && f.extensions.includes(ext));
  if (found) return found.id;
  const named = allowed.map((id) => tableFormat(id).extensions[0]!);
  const noExtension = bare ? ` (no extension: ${bare === 'arrow' ? 'Arrow' : bare})` : '';
  return fail('usage', `${what}: '${file}' must end in ${listed(named)}${noExtension}`);
}

/** The bytes of a file to read, or a one-line error. */
export function readFileBytes(file: string, what = 'a table file'): Uint8Array {
  try {
    if (fs.statSync(file).isDirectory()) fail('file-unreadable', `${file}: is a folder, not ${what}`);
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    return fail(code === 'ENOENT' ? 'file-missing' : 'file-unreadable', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${describe(e as NodeJS.ErrnoException)})`}`);
  }
}

/** Read a table file of any format; a torn last batch or line is left out (see tornBytes). */
export async function readTable(file: string, format = formatOf(file, file), options: ReadOptions = {}): Promise<TableData> {
  return tableFormat(format).read(file, readFileBytes(file), options);
}

/** The bytes (or text) of a whole table in a format. */
export async function encodeTable(format: Format, columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Promise<Uint8Array | string> {
  return tableFormat(format).encode(columns, rows, metadata);
}

/** Write a whole table atomically (temporary name, then rename). */
export async function writeTable(file: string, format: Format, columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Promise<void> {
  const content = await encodeTable(format, columns, rows, metadata);
  ensureFolderOf(file);
  const out = new AtomicFile(file);
  out.write(content);
  out.commit();
}
export { AppendWriter, type AppendFormat } from './append.js';
