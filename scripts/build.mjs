#!/usr/bin/env node
// `npm run build`: the wasm kernel, the TypeScript, the capture helper and the explorer
// bundle — each step only when it is out of date. `npm ci` builds (prepare); `npm start`
// and `npm test` build again, and then find everything up to date and skip it.
//
// A step is up to date when its outputs exist and its stamp (build/.stamps/STEP.json)
// records exactly the inputs it sees now: every input file's path, size and mtime (so a
// touched, edited, added or removed file makes it stale), the command, Node's version
// and the environment variables the step reads. A step that fails leaves no stamp: it
// runs again next time.
//
//   node scripts/build.mjs              every step that is out of date
//   node scripts/build.mjs --force      every step
//   node scripts/build.mjs --check      say which steps are out of date (exit 1 if any), build nothing
//   node scripts/build.mjs ts explorer  only these steps (kernel, ts, capture, explorer)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMPS = path.join(ROOT, 'build', '.stamps');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

/** The steps, in order (the explorer bundles the kernel). */
const STEPS = [
  {
    name: 'kernel',
    inputs: ['assembly', 'asconfig.json', 'package-lock.json'],
    outputs: ['build/kernel.wasm'],
    command: [bin('asc'), 'assembly/index.ts', '--target', 'release'],
  },
  {
    name: 'ts',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
    outputs: ['dist/index.js', 'dist/node.js', 'dist/cli/main.js'],
    command: [bin('tsc'), '-p', 'tsconfig.build.json'],
  },
  {
    name: 'capture',
    inputs: ['native/capture', 'scripts/build-capture.sh', '/usr/include/xenctrl.h'],
    env: ['CC', 'CFLAGS', 'MIGREPLAY_CAPTURE_STRICT'],
    // Without a C compiler it builds nothing and says so (exit 0): the helper is required
    // only once a build made it.
    outputs: [],
    madeOutputs: ['build/capture/migreplay-capture'],
    command: ['sh', 'scripts/build-capture.sh'],
  },
  {
    name: 'explorer',
    inputs: ['explorer', 'src', 'build/kernel.wasm', 'package-lock.json'],
    outputs: ['dist-explorer/index.html'],
    command: [bin('vite'), 'build', '-c', 'explorer/vite.config.ts'],
  },
];

/** Every file under an input (a file or a folder), with its size and mtime; a missing input is recorded as missing. */
function listInput(input, into) {
  const abs = path.resolve(ROOT, input);
  let st;
  try {
    st = fs.statSync(abs);
  } catch {
    into.push([input, 'missing']);
    return;
  }
  if (!st.isDirectory()) {
    into.push([input, st.size, st.mtimeMs]);
    return;
  }
  for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    listInput(path.join(input, e.name), into);
  }
}

/** What a step's stamp must record for it to be up to date now. */
function stateOf(step) {
  const files = [];
  for (const input of step.inputs) listInput(input, files);
  const env = Object.fromEntries((step.env ?? []).map((k) => [k, process.env[k] ?? null]));
  const key = createHash('sha256').update(JSON.stringify({ files, env, command: step.command, node: process.version })).digest('hex');
  return { key, files };
}

function readStamp(step) {
  try {
    return JSON.parse(fs.readFileSync(path.join(STAMPS, `${step.name}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Why a step must run, or undefined when it is up to date. */
function staleness(step, state) {
  const missing = step.outputs.find((o) => !fs.existsSync(path.join(ROOT, o)));
  if (missing) return `${missing} is missing`;
  const stamp = readStamp(step);
  if (!stamp) return 'never built here';
  const lost = (stamp.made ?? []).find((o) => !fs.existsSync(path.join(ROOT, o)));
  if (lost) return `${lost} is missing`;
  if (stamp.key === state.key) return undefined;
  const before = new Map(stamp.files.map(([p, ...rest]) => [p, JSON.stringify(rest)]));
  const now = new Map(state.files.map(([p, ...rest]) => [p, JSON.stringify(rest)]));
  const changed = [...now].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
  const removed = [...before.keys()].filter((p) => !now.has(p));
  const what = [...changed, ...removed.map((p) => `${p} (removed)`)];
  return what.length > 0 ? `${what.slice(0, 3).join(', ')}${what.length > 3 ? ` and ${what.length - 3} more` : ''} changed` : 'the command or its environment changed';
}

function writeStamp(step, state) {
  fs.mkdirSync(STAMPS, { recursive: true });
  const file = path.join(STAMPS, `${step.name}.json`);
  const made = (step.madeOutputs ?? []).filter((o) => fs.existsSync(path.join(ROOT, o)));
  fs.writeFileSync(`${file}.tmp-${process.pid}`, JSON.stringify({ key: state.key, made, files: state.files }));
  fs.renameSync(`${file}.tmp-${process.pid}`, file);
}

function removeStamp(step) {
  fs.rmSync(path.join(STAMPS, `${step.name}.json`), { force: true });
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const check = args.includes('--check');
const named = args.filter((a) => !a.startsWith('--'));
for (const n of named) {
  if (!STEPS.some((s) => s.name === n)) {
    console.error(`build: unknown step '${n}' (steps: ${STEPS.map((s) => s.name).join(', ')})`);
    process.exit(2);
  }
}

let stale = 0;
for (const step of STEPS) {
  if (named.length > 0 && !named.includes(step.name)) continue;
  const state = stateOf(step);
  const why = force ? 'forced' : staleness(step, state);
  if (why === undefined) continue;
  stale++;
  console.error(`build: ${step.name}: ${why}`);
  if (check) continue;
  removeStamp(step);
  const [cmd, ...rest] = step.command;
  const r = spawnSync(cmd, rest, { cwd: ROOT, stdio: 'inherit' });
  if (r.error) {
    console.error(`build: ${step.name}: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`build: ${step.name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  // The inputs as they were when the step started: a file changed during the build makes it stale again.
  writeStamp(step, state);
}
if (check && stale > 0) process.exit(1);
