// What every table format reads and writes: typed columns, rows keyed by column name,
// schema metadata, and how much of a file is whole.

/** Column types, as Arrow sees them (Float64 numbers, Int32 small counts, Utf8 text, Bool). */
export type ColumnType = 'utf8' | 'float64' | 'int32' | 'bool';

export interface Column {
  name: string;
  type: ColumnType;
}

/** A row: a value (or null) for each column, by name. */
export type Row = Record<string, string | number | boolean | null>;

/** A table read from disk: columns, rows, schema metadata, and how much of the file is whole. */
export interface TableData {
  columns: Column[];
  rows: Row[];
  metadata: Map<string, string>;
  /** Bytes from the start that hold whole batches / lines (the stream's end-of-stream marker not included). */
  validBytes: number;
  /** Bytes after validBytes that are neither whole nor the end marker: a batch or line torn by a kill. */
  tornBytes: number;
}

/** How a reader types columns of text formats: these by their definition, others by their values. */
export interface ReadOptions {
  known?: readonly Column[];
}

/** A format's id: arrow (IPC stream), parquet, csv, jsonl, json (an array of rows), feather (IPC file). */
export type Format = 'arrow' | 'parquet' | 'csv' | 'jsonl' | 'json' | 'feather';

/** One table format: its extensions, a reader and a writer (src/io/tables/index.ts lists them). */
export interface TableFormat {
  id: Format;
  /** File name endings, lower case, with the dot; the first is the one named in messages. */
  extensions: readonly string[];
  /** Whether a file can grow batch by batch (AppendWriter); others are written whole. */
  appendable: boolean;
  read(file: string, bytes: Uint8Array, options: ReadOptions): TableData | Promise<TableData>;
  encode(columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Uint8Array | string | Promise<Uint8Array | string>;
}
