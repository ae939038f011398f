// Every QEMU line docs/algorithms.md cites for the qemu, auto-converge, postcopy and
// hybrid models, checked against the source of the QEMU `validate qemu` runs (10.0.2,
// fetched by scripts/qemu-source.sh). Without that tree the test says so and skips.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(process.env.MIGREPLAY_QEMU_SRC ?? join(homedir(), '.cache', 'migreplay', 'qemu-src'), 'qemu-10.0.2');
const have = existsSync(join(root, 'VERSION'));
if (!have) console.warn(`qemu-citations: skipped — no QEMU 10.0.2 source at ${root} (run scripts/qemu-source.sh)`);

/** [file, line, text that line holds] for each citation in docs/algorithms.md. */
const CITED: [string, number, string][] = [
  ['migration/migration.c', 140, 'static void migration_downtime_end'],
  ['migration/migration.c', 269, 'static int migration_stop_vm'],
  ['migration/migration.c', 273, 'migration_downtime_start(s);'],
  ['migration/migration.c', 1776, 's->start_time = qemu_clock_get_ms'],
  ['migration/migration.c', 1780, 's->threshold_size = 0;'],
  ['migration/migration.c', 2683, 'static int postcopy_start'],
  ['migration/migration.c', 2808, 'migration_downtime_end(ms);'],
  ['migration/migration.c', 2833, 'migration_rate_set(migrate_max_postcopy_bandwidth());'],
  ['migration/migration.c', 2918, 'static bool migration_switchover_start'],
  ['migration/migration.c', 2939, 'migration_rate_set(RATE_LIMIT_DISABLED);'],
  ['migration/migration.c', 2948, 'static int migration_completion_precopy'],
  ['migration/migration.c', 3291, 'static void migration_completion_end'],
  ['migration/migration.c', 3326, 'static void migration_update_counters'],
  ['migration/migration.c', 3336, 'if (current_time < s->iteration_start_time + BUFFER_DELAY) {'],
  ['migration/migration.c', 3357, 's->threshold_size = expected_bw_per_ms * migrate_downtime_limit();'],
  ['migration/migration.c', 3412, 'static MigIterateState migration_iteration_run'],
  ['migration/migration.c', 3423, 'if (pending_size < s->threshold_size) {'],
  ['migration/migration.c', 3429, 'if ((!pending_size || pending_size < s->threshold_size) && can_switchover) {'],
  ['migration/migration.c', 3436, 'if (!in_postcopy && must_precopy <= s->threshold_size && can_switchover &&'],
  ['migration/migration.c', 3633, 'static void *migration_thread'],
  ['migration/migration.c', 3648, 'update_iteration_initial_status(s);'],
  ['migration/migration.c', 3686, 'cpu_throttle_dirty_sync_timer(true);'],
  ['migration/migration.c', 3708, 's->setup_time = qemu_clock_get_ms(QEMU_CLOCK_HOST) - setup_start;'],
  ['migration/ram.c', 514, 'static void mig_throttle_guest_down'],
  ['migration/ram.c', 990, 'static void migration_trigger_throttle'],
  ['migration/ram.c', 1018, 'static void migration_bitmap_sync'],
  ['migration/ram.c', 1047, 'if (end_time > rs->time_last_bitmap_sync + 1000) {'],
  ['migration/ram.c', 1104, 'static int save_zero_page'],
  ['migration/ram.c', 1760, 'static bool get_queued_page'],
  ['migration/ram.c', 1799, 'We want the background search to continue from the queued page'],
  ['migration/ram.c', 2187, 'static int ram_find_and_save_block'],
  ['migration/ram.c', 2356, '#define MAX_WAIT 50'],
  ['migration/ram.c', 2532, 'void ram_postcopy_send_discard_bitmap'],
  ['migration/ram.c', 2539, 'migration_bitmap_sync(rs, false);'],
  ['migration/ram.c', 2543, 'rs->last_seen_block = NULL;'],
  ['migration/ram.c', 2544, 'rs->last_page = 0;'],
  ['migration/ram.c', 2719, 'static bool ram_init_bitmaps'],
  ['migration/ram.c', 2949, 'static int ram_save_setup'],
  ['migration/ram.c', 3089, 'static int ram_save_iterate'],
  ['migration/ram.c', 3153, 'if (t1 > MAX_WAIT) {'],
  ['migration/ram.c', 3202, 'static int ram_save_complete'],
  ['migration/ram.c', 3212, 'migration_bitmap_sync_precopy(true);'],
  ['migration/ram.c', 3274, 'static void ram_state_pending_estimate'],
  ['migration/cpu-throttle.c', 46, '#define CPU_THROTTLE_DIRTY_SYNC_TIMESLICE_MS 5000'],
  ['migration/cpu-throttle.c', 135, 'void cpu_throttle_dirty_sync_timer_tick'],
  ['migration/options.c', 72, '#define DEFAULT_MIGRATE_MAX_POSTCOPY_BANDWIDTH 0'],
  ['migration/options.c', 188, 'DEFINE_PROP_MIG_CAP("x-postcopy-preempt",'],
];

describe.skipIf(!have)('QEMU 10.0.2 lines cited in docs/algorithms.md', () => {
  it('the tree is QEMU 10.0.2', () => {
    expect(readFileSync(join(root, 'VERSION'), 'utf8').trim()).toBe('10.0.2');
  });
  it.each(CITED)('%s:%i holds %s', (file, line, text) => {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    expect(lines[line - 1]).toContain(text);
  });
  it('every line number docs/algorithms.md cites for QEMU is in this list', () => {
    const doc = readFileSync(join(__dirname, '..', 'docs', 'algorithms.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## qemu\n'), doc.indexOf('## oracle'));
    const cited = new Set(CITED.map(([, n]) => n));
    // Line numbers stand in parentheses or lists after a function or file name; flag tables and quoted code hold none.
    const prose = section.replace(/```[\s\S]*?```/g, '').split('\n').filter((l) => !l.startsWith('| `--')).join('\n');
    for (const m of prose.matchAll(/(?<!VEE |ICSESS |PMTCS )(?<=[(\s])(\d{3,4})[,);–]/g)) expect(cited.has(Number(m[1])), `line ${m[1]}`).toBe(true);
  });
});
