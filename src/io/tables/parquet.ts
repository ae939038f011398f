// Parquet: ZSTD pages, the Arrow schema and its metadata kept; written whole, read
// through its Arrow IPC stream. parquet-wasm is loaded on first use.
import { fail } from '../../errors.js';
import { encodeArrowStream, readArrow } from './arrow.js';
import type { Column, Row, TableData, TableFormat } from './types.js';

type ParquetModule = typeof import('parquet-wasm');
let parquetModule: ParquetModule | undefined;

async function parquet(): Promise<ParquetModule> {
  parquetModule ??= await import('parquet-wasm');
  return parquetModule;
}

/** Parquet bytes of rows. */
export async function encodeParquet(columns: readonly Column[], rows: readonly Row[], metadata: Map<string, string>): Promise<Uint8Array> {
  const pq = await parquet();
  const table = pq.Table.fromIPCStream(encodeArrowStream(columns, rows, metadata));
  const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).build();
  return pq.writeParquet(table, props);
}

/** The Arrow IPC stream of a Parquet file's bytes, or a one-line error. */
export async function parquetToArrow(file: string, bytes: Uint8Array): Promise<Uint8Array> {
  const pq = await parquet();
  try {
    return pq.readParquet(bytes).intoIPCStream();
  } catch {
    return fail('not-arrow', `${file}: not a readable Parquet file (its bytes are not valid Parquet data)`);
  }
}

export const parquetFormat: TableFormat = {
  id: 'parquet',
  extensions: ['.parquet', '.pq'],
  appendable: false,
  async read(file, bytes): Promise<TableData> {
    const data = readArrow(file, await parquetToArrow(file, bytes));
    return { ...data, validBytes: bytes.byteLength, tornBytes: 0 };
  },
  encode: encodeParquet,
};
