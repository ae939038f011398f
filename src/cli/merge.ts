// migreplay merge — join sweep outputs (shards, parts) into one file, sorted by runId.
import type { Argv } from 'yargs';
import { inert, quoteName } from '../errors.js';
import { checkNotAnInput } from '../io/files.js';
import { mergeFiles } from '../sweep/merge.js';

export const mergeCommand = {
  command: 'merge <parts..>',
  describe: 'join sweep outputs (shards; .arrow, .parquet, .csv, .jsonl, .json, .feather) into one file, one row per run, sorted by runId',
  builder: (y: Argv) =>
    y
      .positional('parts', { type: 'string', array: true, demandOption: true, default: undefined, describe: 'sweep output files (runs tables, or rounds tables)' })
      .option('out', { type: 'string', demandOption: true, describe: 'the merged file: .arrow, .parquet, .csv, .jsonl, .json or .feather' })
      .example('$0 merge shards/part-*.arrow --out sweep.parquet', 'join shard outputs (the shell expands the glob)'),
  async handler(argv: any) {
    const parts = (argv.parts as unknown[]).map(String);
    checkNotAnInput(String(argv.out), parts, '--out');
    const stats = await mergeFiles(parts, String(argv.out), (line) => process.stderr.write(`migreplay: ${inert(line)}\n`));
    const dup = stats.duplicates > 0 ? `, ${stats.duplicates} duplicate${stats.duplicates === 1 ? '' : 's'} dropped` : '';
    process.stdout.write(`merge: ${stats.rows} rows × ${stats.columns} columns from ${stats.parts} part${stats.parts === 1 ? '' : 's'}${dup} → ${quoteName(String(argv.out))}\n`);
  },
};
