// docs/scale-out.md's Slurm recipe on a real one-node Slurm cluster: its sweep.sbatch and
// merge.sbatch and its submission commands as written (only /shared/migreplay moved to a
// temporary folder and the grid made smaller), run as a 16-task job array by slurmctld and
// slurmd (scripts/slurm-local.sh starts them, with munge); the merged files must be byte
// for byte those of the same sweep run as one process and merged. Then the doc's recovery:
// a shard's outputs removed, that shard resubmitted alone, merged again, compared again;
// and a running task ended as at its time limit (scancel), then resubmitted to finish.
//
//   MIGREPLAY_SKIP_SLURM=1      skip
//   MIGREPLAY_REQUIRE_SLURM=1   fail instead of skipping when Slurm or munge is missing (CI)
//
// Needs the build (npm test builds first).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../src/io/tables/index.js';
import { BIN, cli, ROOT } from './helpers/cli.js';

const run = promisify(execFile);
const DOC = fs.readFileSync(path.join(ROOT, 'docs/scale-out.md'), 'utf8');
const SCRIPT = path.join(ROOT, 'scripts/slurm-local.sh');
const DAEMONS = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'sinfo'];
// The doc's grid, and the one run here: 2 traces × (precopy, xen, xen-v2: 3 × 2; qemu,
// auto-converge: 3) = 48 runs, a second or two of work.
const DOC_GRID = '--set bandwidth=100Mbit..25Gbit*2 --set max-iters=5..30+5';
const TEST_GRID = '--set bandwidth=1Gbit..4Gbit*2 --set max-iters=5..10+5';
const DOC_ALGOS = '--algo precopy,xen,xen-v2,qemu,auto-converge';
const TRACES = ['gzip9.arrow', 'redis_bench.arrow'];
const SHARDS = 16;
const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

/** The first program of `names` that is neither on PATH nor in /usr/sbin, or undefined. */
function missingProgram(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  return names.find((n) => !dirs.some((d) => d && fs.existsSync(path.join(d, n))));
}

/** Why this suite does not run here, or undefined when it does. */
function slurmSkipReason(): string | undefined {
  if (process.env.MIGREPLAY_SKIP_SLURM === '1') return 'MIGREPLAY_SKIP_SLURM=1';
  const missing = missingProgram(DAEMONS);
  if (missing === undefined || process.env.MIGREPLAY_REQUIRE_SLURM === '1') return undefined;
  return `no ${missing} (apt-get install slurm-wlm munge)`;
}

/** The body of the first ```LANG block after the line that starts with `marker`. */
function docBlock(marker: string, lang: string): string {
  const at = DOC.indexOf(`\n${marker}`);
  if (at < 0) throw new Error(`docs/scale-out.md has no line starting ${marker}`);
  const m = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'm').exec(DOC.slice(at));
  if (!m) throw new Error(`docs/scale-out.md has no \`\`\`${lang} block after ${marker}`);
  return m[1]!;
}

/** `text` with `from` replaced by `to`, which must occur in it. */
function replaced(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the recipe no longer contains ${from}: update test/slurm.test.ts`);
  return text.split(from).join(to);
}

const why = slurmSkipReason();
if (why !== undefined) {
  // Said on stderr and in the test's name, so a run without Slurm shows it.
  console.warn(`migreplay tests: skipped 'Slurm job array': ${why}`);
  describe('Slurm job array (docs/scale-out.md)', () => it.skip(`skipped: ${why}`, () => {}));
}

describe.skipIf(why !== undefined)('Slurm job array (docs/scale-out.md)', () => {
  let tmp = '';
  let cluster = '';
  let root = ''; // stands for /shared/migreplay
  let submit = ''; // the folder the scripts are submitted from
  let env: NodeJS.ProcessEnv = {};
  const jobs: string[] = [];

  const sh = (script: string, cwd = submit) => run('bash', ['-c', `set -euo pipefail\n${script}`], { cwd, env, maxBuffer: 1 << 24 });
  const results = () => path.join(root, 'results/2025-06');

  /** Each job's id → its JobState, ExitCode and Reason (array tasks one by one), from `scontrol show job`. */
  async function states(ids: readonly string[]): Promise<{ id: string; state: string; exit: string; reason: string }[]> {
    const out: { id: string; state: string; exit: string; reason: string }[] = [];
    for (const id of ids) {
      const { stdout } = await run('scontrol', ['show', 'job', '-o', id], { env });
      for (const line of stdout.split('\n').filter(Boolean)) {
        const field = (k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(line)?.[1] ?? '';
        const task = field('ArrayTaskId');
        out.push({ id: task ? `${field('ArrayJobId')}_${task}` : field('JobId'), state: field('JobState'), exit: field('ExitCode'), reason: field('Reason') });
      }
    }
    return out;
  }

  /** Wait until every task of the jobs has finished; fail (with the logs) if one did not complete. */
  async function waitFor(ids: readonly string[], minutes: number): Promise<number> {
    const deadline = Date.now() + minutes * 60_000;
    for (;;) {
      const s = await states(ids);
      const bad = s.filter((j) => FINISHED.has(j.state) && j.state !== 'COMPLETED');
      const waiting = s.filter((j) => !FINISHED.has(j.state));
      if (bad.length || (waiting.length && Date.now() > deadline)) {
        const logs = fs.existsSync(path.join(submit, 'logs')) ? fs.readdirSync(path.join(submit, 'logs')).map((f) => `${f}: ${fs.readFileSync(path.join(submit, 'logs', f), 'utf8')}`) : [];
        throw new Error(`Slurm jobs not completed: ${JSON.stringify([...bad, ...waiting])}\n${logs.join('\n')}`);
      }
      if (!waiting.length) return s.length;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Merge the one-process sweep's files as merge.sbatch merges the shards', and compare byte for byte. */
  async function expectSameAsOneProcess(): Promise<void> {
    for (const [shards, one] of [['sweep.parquet', 'one.parquet'], ['rounds.parquet', 'one-rounds.parquet']] as const) {
      const a = fs.readFileSync(path.join(results(), shards));
      const b = fs.readFileSync(path.join(tmp, one));
      expect(a.equals(b), `${shards} of the job array differs from the one-process sweep's`).toBe(true);
    }
  }

  beforeAll(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'migreplay-slurm-')));
    fs.chmodSync(tmp, 0o755); // munged wants its socket's folders searchable by all
    cluster = path.join(tmp, 'cluster');
    root = path.join(tmp, 'shared');
    submit = path.join(tmp, 'submit');
    const bin = path.join(tmp, 'bin');
    for (const d of [path.join(root, 'traces'), submit, bin]) fs.mkdirSync(d, { recursive: true });
    for (const t of TRACES) fs.copyFileSync(path.join(ROOT, 'traces', t), path.join(root, 'traces', t));
    // `migreplay` on PATH, as an installed package puts it; the jobs inherit sbatch's environment.
    fs.symlinkSync(BIN, path.join(bin, 'migreplay'));
    env = { ...process.env, NO_COLOR: '1', PATH: [bin, path.dirname(process.execPath), process.env.PATH, '/usr/sbin', '/sbin'].join(path.delimiter), SLURM_CONF: path.join(cluster, 'slurm.conf') };
    // A missing program here (MIGREPLAY_REQUIRE_SLURM=1) fails with the script's own line.
    await run('bash', [SCRIPT, 'start', cluster], { env });
  }, 120_000);

  afterAll(async () => {
    if (jobs.length) await run('scancel', jobs, { env }).catch(() => {});
    if (cluster) await run('bash', [SCRIPT, 'stop', cluster], { env }).catch(() => {});
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('runs the sweep as a 16-task job array; the merged shards are the one-process sweep', async () => {
    const prefix = '/shared/migreplay';
    const sweep = replaced(replaced(docBlock('`sweep.sbatch`', 'bash'), prefix, root), DOC_GRID, TEST_GRID);
    const merge = replaced(docBlock('`merge.sbatch`', 'bash'), prefix, root);
    expect(sweep).toMatch(new RegExp(`^#SBATCH --array=0-${SHARDS - 1}\\b`, 'm'));
    fs.writeFileSync(path.join(submit, 'sweep.sbatch'), sweep);
    fs.writeFileSync(path.join(submit, 'merge.sbatch'), merge);

    // The doc's commands as written; the echo tells the test the array's id.
    const submitted = await sh(`${docBlock('From the folder that holds both scripts', 'sh')}echo "array=$jid"\n`);
    const array = /^array=(\d+)$/m.exec(submitted.stdout)?.[1];
    const merged = /^Submitted batch job (\d+)$/m.exec(submitted.stdout)?.[1];
    expect(array, submitted.stdout + submitted.stderr).toBeDefined();
    expect(merged, submitted.stdout + submitted.stderr).toBeDefined();
    jobs.push(array!, merged!);
    // 16 array tasks and the merge job, every one COMPLETED.
    expect(await waitFor([array!, merged!], 3)).toBe(SHARDS + 1);

    // Each task wrote its shard, and the shards together hold every run once.
    const parts = await Promise.all(Array.from({ length: SHARDS }, async (_, i) => (await readTable(path.join(results(), `part-${i}.arrow`))).rows.length));
    // The same sweep in one process, merged as merge.sbatch merges.
    const sweepArgs = /migreplay sweep \\\n([\s\S]*?)--shard/.exec(sweep)![1]!.replace(/\\\n/g, ' ');
    const one = await sh(`migreplay sweep ${sweepArgs} --out "${tmp}/one.arrow" --rounds-out "${tmp}/one-rounds.arrow" --json`, tmp);
    const runs = (JSON.parse(one.stdout) as { gridRuns: number }).gridRuns;
    expect(runs).toBe(48);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(runs);
    expect(parts.filter((n) => n > 0).length).toBeGreaterThan(4);
    await sh(`migreplay merge "${tmp}/one.arrow" --out "${tmp}/one.parquet" && migreplay merge "${tmp}/one-rounds.arrow" --out "${tmp}/one-rounds.parquet"`, tmp);
    expect((await readTable(path.join(results(), 'sweep.parquet'))).rows.length).toBe(runs);
    await expectSameAsOneProcess();

    // The doc's recovery: a shard lost, resubmitted alone (`sbatch --array=K sweep.sbatch`), merged again.
    const k = parts.findIndex((n) => n > 0);
    for (const f of [`part-${k}.arrow`, `rounds-${k}.arrow`, 'sweep.parquet', 'rounds.parquet']) fs.rmSync(path.join(results(), f));
    const again = await sh(`sbatch --parsable --array=${k} sweep.sbatch`);
    const redo = again.stdout.trim().split(';')[0]!;
    jobs.push(redo);
    expect(await waitFor([redo], 3)).toBe(1);
    expect((await readTable(path.join(results(), `part-${k}.arrow`))).rows.length).toBe(parts[k]);
    const remerge = await sh('sbatch --parsable merge.sbatch');
    const remergeId = remerge.stdout.trim().split(';')[0]!;
    jobs.push(remergeId);
    expect(await waitFor([remergeId], 3)).toBe(1);
    await expectSameAsOneProcess();
  }, 300_000);

  it('a task ended as at its time limit keeps its finished runs; resubmitted, it finishes the shard', async () => {
    // scancel ends a running job as the time limit does (SIGTERM to every process of the
    // job, SIGKILL after KillWait); the time limit itself is a minute at least. qemu over
    // xz6 at 350–450 Mbit/s takes seconds a run (it repeats the trace), over gzip9 a
    // fraction of one: a shard with both writes gzip9's rows while xz6's still run.
    // How long a run takes depends on the machine and on the engine's speed: where the
    // chosen shard ends before it can be cut, the grid is made denser (more runs per
    // shard) and the task submitted again, up to four times.
    let slow = '';
    let sweepArgs = '';
    let k = -1;
    let runs = 0;
    let part = '';
    let first = '';
    const log = (id: string) => fs.readFileSync(path.join(submit, 'logs', `migreplay-sweep-${id}_${k}.out`), 'utf8');
    for (let attempt = 0, stepMbit = 10; ; attempt++, stepMbit /= 4) {
      slow = path.join(tmp, `shared-slow-${attempt}`);
      fs.mkdirSync(path.join(slow, 'traces'), { recursive: true });
      for (const t of ['xz6.arrow', 'gzip9.arrow']) fs.copyFileSync(path.join(ROOT, 'traces', t), path.join(slow, 'traces', t));
      const doc = replaced(docBlock('`sweep.sbatch`', 'bash'), '/shared/migreplay', slow);
      const script = replaced(replaced(doc, DOC_GRID, `--set bandwidth=350Mbit..450Mbit+${stepMbit}Mbit --set downtime-limit=300ms,400ms,500ms`), DOC_ALGOS, '--algo qemu');
      fs.writeFileSync(path.join(submit, 'slow.sbatch'), script);
      fs.mkdirSync(path.join(submit, 'logs'), { recursive: true }); // as the doc's commands make it
      sweepArgs = /migreplay sweep \\\n([\s\S]*?)--shard/.exec(script)![1]!.replace(/\\\n/g, ' ');
      // Each shard's runs of xz6 and of gzip9 (--dry-run, in this process); a shard with
      // both, the most of xz6 (the slow ones).
      const argv = (await sh(`words() { printf '%s\\0' "$@"; }\nwords ${sweepArgs}`, tmp)).stdout.split('\0').slice(0, -1);
      const only = (t: string) => argv.map((x) => (x.endsWith('*.arrow') ? path.join(slow, 'traces', t) : x));
      const sizes: { shard: number; xz6: number; gzip9: number }[] = [];
      for (let i = 0; i < SHARDS; i++) {
        const count = async (args: string[]) => {
          const r = await cli(['sweep', ...args, '--shard', `${i}/${SHARDS}`, '--dry-run', '--json', '--out', path.join(tmp, 'dry-run.arrow')]);
          expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
          return (JSON.parse(r.stdout) as { shardRuns: number }).shardRuns;
        };
        sizes.push({ shard: i, xz6: await count(only('xz6.arrow')), gzip9: await count(only('gzip9.arrow')) });
      }
      const both = sizes.filter((x) => x.gzip9 > 0 && x.xz6 > 0);
      expect(both.length, JSON.stringify(sizes)).toBeGreaterThan(0);
      const best = both.reduce((x, y) => (y.xz6 > x.xz6 ? y : x));
      k = best.shard;
      runs = best.xz6 + best.gzip9;
      part = path.join(slow, 'results/2025-06', `part-${k}.arrow`);
      first = (await sh(`sbatch --parsable --array=${k} slow.sbatch`)).stdout.trim().split(';')[0]!;
      jobs.push(first);
      // Cut it once it has written a run.
      let ended = false;
      while (!fs.existsSync(part) || (await readTable(part)).rows.length === 0) {
        const [st] = await states([first]);
        if (st && FINISHED.has(st.state)) { ended = true; break; }
        await new Promise((r) => setTimeout(r, 200));
      }
      if (!ended) {
        await run('scancel', [first], { env });
        let state = '';
        for (;;) {
          const [st] = await states([first]);
          if (st && FINISHED.has(st.state)) { state = st.state; break; }
          await new Promise((r) => setTimeout(r, 200));
        }
        if (state !== 'COMPLETED') {
          expect(state, log(first)).toBe('CANCELLED');
          // Slurm may say CANCELLED before the job's processes have written their last lines.
          let said = log(first);
          for (let i = 0; i < 100 && !/sweep interrupted: \d+ runs written|sweep: \d+ runs .*→/.test(said); i++) {
            await new Promise((r) => setTimeout(r, 100));
            said = log(first);
          }
          // Cut with runs still to do; cut after its last run was written counts as too short.
          const cut = /sweep interrupted: (\d+) runs written/.exec(said);
          if (cut && Number(cut[1]) < runs) break;
        }
        // Its sweep finished (or wrote its last run) between its first written batch and
        // the cancel (the job may still have been ending, and be cancelled then): denser, again.
      }
      if (attempt === 3) throw new Error(`the task ended before it could be cut, four times (last: ${runs} runs)`);
    }
    expect(log(first)).toMatch(/sweep interrupted: \d+ runs written/);
    const kept = (await readTable(part)).rows.length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(runs);

    // Resubmitted as the doc says: --resume runs the rest.
    const second = (await sh(`sbatch --parsable --array=${k} slow.sbatch`)).stdout.trim().split(';')[0]!;
    jobs.push(second);
    expect(await waitFor([second], 3)).toBe(1);
    expect(log(second)).toContain(`${kept} already there`);
    expect((await readTable(part)).rows.length).toBe(runs);
    // The same shard in one process, both merged: the same bytes.
    await sh(`migreplay sweep ${sweepArgs} --shard ${k}/${SHARDS} --out "${tmp}/slow-one.arrow"`, tmp);
    await sh(`migreplay merge "${part}" --out "${tmp}/slow-slurm.parquet" && migreplay merge "${tmp}/slow-one.arrow" --out "${tmp}/slow-one.parquet"`, tmp);
    expect(fs.readFileSync(path.join(tmp, 'slow-slurm.parquet')).equals(fs.readFileSync(path.join(tmp, 'slow-one.parquet')))).toBe(true);
  }, 300_000);
});
