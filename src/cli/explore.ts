// migreplay explore [trace] — the in-browser explorer (explorer/, built by Vite into
// dist-explorer/): served on 127.0.0.1 with node:http, or written out as a static
// bundle with --out. The page replays in the browser (the wasm kernel in a Web
// Worker); this server only hands out files: the page, the kernel, and the traces.
import { createReadStream, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { EXIT_RUN_FAILED, fail, MigreplayError } from '../errors.js';
import { describe, ensureFolderOf } from '../io/files.js';
import { loadTrace } from './common.js';

// src/cli/ and dist/cli/ are both two levels below the repository root.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm run explore:build` puts the page. */
export const EXPLORER_BUNDLE = join(ROOT, 'dist-explorer');
/** The shipped traces. */
export const SHIPPED_TRACES = join(ROOT, 'traces');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.arrow': 'application/vnd.apache.arrow.file',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

/** One trace the page can open: its URL (relative to the page), the file behind it. */
export interface ListedTrace {
  name: string;
  url: string;
  bytes: number;
  file: string;
  /** The path as the user gave it (the command's [trace] only): the page's command line shows it. */
  path?: string;
}

/** What the page reads from traces/index.json. */
export interface TraceIndex {
  /** The trace to open first (the command's [trace]), by name. */
  initial: string | null;
  traces: Omit<ListedTrace, 'file'>[];
}

/** The traces to offer: the given one first (checked), then the shipped ones. */
export function listTraces(given?: string): { initial: string | null; traces: ListedTrace[] } {
  const traces: ListedTrace[] = [];
  const add = (file: string): string => {
    const full = resolve(file);
    const same = traces.find((t) => t.file === full);
    if (same) return same.name;
    let name = basename(full);
    while (traces.some((t) => t.name === name)) name = `other-${name}`;
    traces.push({ name, url: `traces/${encodeURIComponent(name)}`, bytes: statSync(full).size, file: full });
    return name;
  };
  let initial: string | null = null;
  if (given !== undefined) {
    loadTrace(given); // a bad trace is a one-line error now, not a broken page later
    initial = add(given);
    traces.find((t) => t.name === initial)!.path = given;
  }
  if (existsSync(SHIPPED_TRACES)) {
    for (const f of readdirSync(SHIPPED_TRACES).filter((f) => f.endsWith('.arrow')).sort()) add(join(SHIPPED_TRACES, f));
  }
  return { initial, traces };
}

function indexJson(list: { initial: string | null; traces: ListedTrace[] }): string {
  const index: TraceIndex = { initial: list.initial, traces: list.traces.map(({ name, url, bytes, path }) => ({ name, url, bytes, ...(path !== undefined ? { path } : {}) })) };
  return JSON.stringify(index, null, 2) + '\n';
}

function checkBundle(dir: string): void {
  if (!existsSync(join(dir, 'index.html'))) {
    fail('file-missing', `the explorer is not built (no ${relative(process.cwd(), join(dir, 'index.html')) || 'index.html'}): run npm run explore:build`, EXIT_RUN_FAILED);
  }
}

/** A running explorer server. */
export interface ExplorerServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Serve the explorer on 127.0.0.1 (port 0: any free port). */
export async function startExplorer(options: { trace?: string; port?: number; bundle?: string } = {}): Promise<ExplorerServer> {
  const bundle = options.bundle ?? EXPLORER_BUNDLE;
  checkBundle(bundle);
  const list = listTraces(options.trace);
  const server = createServer((req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    let file: string | undefined;
    if (path === '/traces/index.json') {
      res.writeHead(200, { 'content-type': TYPES['.json']!, 'cache-control': 'no-store' });
      return res.end(req.method === 'HEAD' ? undefined : indexJson(list));
    }
    if (path.startsWith('/traces/')) {
      file = list.traces.find((t) => t.name === path.slice('/traces/'.length))?.file;
    } else {
      const candidate = resolve(bundle, '.' + (path.endsWith('/') ? path + 'index.html' : path));
      if (candidate === resolve(bundle) || candidate.startsWith(resolve(bundle) + sep)) file = candidate;
    }
    if (file === undefined || !existsSync(file) || !statSync(file).isFile()) return send(404, 'not found\n');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  const port = options.port ?? 8765;
  await new Promise<void>((ok, bad) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      bad(e.code === 'EADDRINUSE' ? new Error(`port ${port} on 127.0.0.1 is in use: pick another with --port`) : e));
    server.listen(port, '127.0.0.1', () => ok());
  }).catch((e: Error) => fail('usage', `explore: ${e.message}`));
  const actual = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    server,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

/** Write the explorer as a static bundle: the page, the kernel, traces/ and traces/index.json. */
export function writeExplorer(outDir: string, options: { trace?: string; bundle?: string } = {}): string[] {
  const bundle = options.bundle ?? EXPLORER_BUNDLE;
  checkBundle(bundle);
  const list = listTraces(options.trace);
  const out = resolve(outDir);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    fail('usage', `--out: ${outDir} exists and is not an empty directory`);
  }
  // Built in a temporary folder beside it, renamed into place when complete.
  ensureFolderOf(out);
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  try {
    mkdirSync(join(tmp, 'traces'), { recursive: true });
    cpSync(bundle, tmp, { recursive: true });
    for (const t of list.traces) cpSync(t.file, join(tmp, 'traces', t.name));
    writeFileSync(join(tmp, 'traces', 'index.json'), indexJson(list));
    if (existsSync(out)) rmdirSync(out); // empty (checked above)
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const err = e as NodeJS.ErrnoException;
    if (e instanceof MigreplayError) throw e;
    if (err.code === 'ENOSPC') fail('write-failed', `${outDir}: write failed (${describe(err)})`, EXIT_RUN_FAILED);
    fail('write-failed', `${outDir}: cannot write (${describe(err)})`);
  }
  return list.traces.map((t) => t.name);
}

export const exploreCommand = {
  command: 'explore [trace]',
  describe: 'the in-browser explorer: serve it on 127.0.0.1, or write it to a directory (--out)',
  builder: (y: Argv) =>
    y
      .positional('trace', { type: 'string', describe: 'trace to open first (Arrow IPC); the shipped traces are offered too' })
      .option('port', { type: 'number', describe: 'port on 127.0.0.1 (default 8765; 0: any free port)' })
      .option('out', { type: 'string', describe: 'write the static bundle (page, kernel, traces) to DIR instead of serving it' }),
  async handler(argv: any) {
    if (argv.out !== undefined && argv.port !== undefined) fail('usage', '--port and --out exclude each other: serve, or write the bundle');
    if (argv.port !== undefined && !(Number.isInteger(argv.port) && argv.port >= 0 && argv.port < 65536)) {
      fail('usage', `--port: '${argv.port}' is not a port number (0 … 65535)`);
    }
    if (argv.out !== undefined) {
      const names = writeExplorer(argv.out, { trace: argv.trace });
      process.stdout.write(`wrote the explorer to ${argv.out} with ${names.length} trace(s): ${names.join(', ')}; serve that directory over HTTP (a file:// page cannot start its worker)\n`);
      return;
    }
    const s = await startExplorer({ trace: argv.trace, port: argv.port ?? 8765 });
    process.stdout.write(`migreplay explorer: ${s.url} (Ctrl-C to stop)\n`);
    await new Promise<never>(() => {}); // serve until interrupted
  },
};
