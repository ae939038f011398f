// Running the built CLI (dist/, what bin/migreplay.js runs) from the test suites.
//
// `cli()` runs it in this process (runCli of src/cli/main.ts): no Node start-up and no
// second import of apache-arrow & co. per run, the same exit status and the same bytes
// on stdout and stderr as `node bin/migreplay.js …` with its output piped. Runs are
// queued one at a time (they are CPU-bound; vitest runs test files in parallel).
//
// `spawnCli()` starts a real process, for what only a process shows: signals, the exit
// of the real process, stdout/stderr piped to a reader that goes away or to a full
// device, the bin script itself, node options.
//
// Needs the build (`npm test` builds first; by hand: `npm run build`).
import { spawn, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'migreplay.js');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

/** What a run ended with. `signal` is set only for a real process killed by one. */
export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from the call to the end (an in-process run includes its wait in the queue). */
  ms: number;
}

export interface CliOptions {
  /** Working folder (default: the repository, so trace paths like traces/gzip9.arrow work). */
  cwd?: string;
  /** Environment variables to set for the run (on top of this process's; undefined removes one). */
  env?: Record<string, string | undefined>;
}

/** The variables every run gets, as the suites always passed them: no colour. */
export const CLI_ENV = { NO_COLOR: '1', FORCE_COLOR: '0' };

type RunCli = (args: readonly string[], options?: { cwd?: string; env?: Record<string, string | undefined> }) => Promise<{ status: number; stdout: string; stderr: string }>;

let loaded: Promise<RunCli> | undefined;

/**
 * dist/cli/main.js, loaded by Node itself (vitest.config.ts leaves dist/ external): the
 * code under test is byte for byte what bin/migreplay.js imports.
 */
function loadRunCli(): Promise<RunCli> {
  if (!fs.existsSync(MAIN)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  loaded ??= (import(pathToFileURL(MAIN).href) as Promise<{ runCli?: RunCli }>).then((m) => {
    if (typeof m.runCli !== 'function') throw new Error('dist/cli/main.js has no runCli: rebuild (npm run build)');
    return m.runCli;
  });
  return loaded;
}

/** Run `migreplay ARGS` in this process and wait for it. */
export async function cli(args: readonly string[], options: CliOptions = {}): Promise<Run> {
  const runCli = await loadRunCli();
  const started = Date.now();
  const r = await runCli(args, { cwd: options.cwd ?? ROOT, env: { ...CLI_ENV, ...options.env } });
  return { status: r.status, signal: null, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

export interface SpawnCliOptions extends CliOptions {
  /** Options for node itself, before the script (e.g. ['--import', …]). */
  nodeOptions?: string[];
  /** The script to run (default: bin/migreplay.js). */
  script?: string;
  stdio?: SpawnOptions['stdio'];
}

/** Start `node bin/migreplay.js ARGS` as a real process; `done` resolves when it has exited and its pipes are closed. */
export function startCli(args: readonly string[], options: SpawnCliOptions = {}) {
  const started = Date.now();
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), options.script ?? BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...CLI_ENV, ...options.env },
    stdio: options.stdio ?? 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, ms: Date.now() - started }));
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

/** Run `node bin/migreplay.js ARGS` as a real process and wait for it. */
export function spawnCli(args: readonly string[], options: SpawnCliOptions = {}): Promise<Run> {
  return startCli(args, options).done;
}

/** Run a shell command line (sh -c) with bin/migreplay.js as "$MIGREPLAY", for pipes and redirections. */
export function shell(script: string, options: CliOptions = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...CLI_ENV, MIGREPLAY: `${process.execPath} ${BIN}`, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, ms: Date.now() - started }));
  });
}
