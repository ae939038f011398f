// What `migreplay validate qemu` needs on the machine, installed into a cache folder
// (default ~/.cache/migreplay/qemu, $MIGREPLAY_QEMU_CACHE), nothing system-wide except,
// when missing, an apt source for bookworm-backports:
//   - QEMU 10 from Debian's bookworm-backports with every package of its dependency
//     closure this machine lacks (what `apt-get install --simulate --no-install-recommends
//     -t bookworm-backports qemu-system-x86` would install: Depends and Pre-Depends only,
//     minus what dpkg has installed at a version that satisfies them), fetched with
//     `apt-get download` and unpacked with `dpkg -x`; QEMU runs with LD_LIBRARY_PATH and
//     QEMU_MODULE_DIR pointing into the cache (qemuEnv), checked with ldd;
//   - busybox-static and a Debian 12 kernel (only its /boot/vmlinuz-*);
//   - the guest: a static dirtier (gcc -static; without a static libc, libc6-dev's
//     closure is fetched into the cache too) and the real programs of the battery
//     (xz, sqlite3, perl with their shared libraries and the dynamic loader; a program
//     missing here is fetched with its closure) in a busybox initramfs, and a tiny exec
//     wrapper that turns transparent huge pages off for the source QEMU.
// docs/validation.md.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { EXIT_RUN_FAILED, MigreplayError } from '../errors.js';
import { DIRTIER_C, GEN_TEXT_PL, GUEST_INIT, GUEST_PROGRAMS, NOTHP_C, PERL_WORK, SQLITE_WORK } from './guest-src.js';

/** Everything a run needs, as paths. */
export interface QemuSetup {
  cacheDir: string;
  /** qemu-system-x86_64 of QEMU 10. */
  qemu: string;
  /** Environment QEMU runs with (LD_LIBRARY_PATH, QEMU_MODULE_DIR into the cache). */
  env: NodeJS.ProcessEnv;
  /** -L folders (firmware). */
  dataDirs: string[];
  kernel: string;
  initrd: string;
  /** Exec wrapper: PR_SET_THP_DISABLE, then exec its arguments. */
  nothp: string;
  /** First line of `qemu-system-x86_64 --version`. */
  qemuVersion: string;
  /** Debian package version of qemu-system-x86 unpacked in the cache ('' for $MIGREPLAY_QEMU). */
  qemuPackage: string;
}

/** A Debian package at one version. */
export interface AptPackage {
  name: string;
  version: string;
  arch: string;
}

/** A package to download: from `apt-get download --print-uris`. */
export interface AptDownload {
  file: string;
  size: number;
}

const BACKPORTS_SOURCE = '/etc/apt/sources.list.d/migreplay-bookworm-backports.sources';
/** What `validate --help` says the first run downloads (measured on a Debian 12 node machine: 26 packages, 87.0 MB). */
export const DOWNLOAD_ESTIMATE = '~90 MB';

function unavailable(message: string): never {
  throw new MigreplayError('capture-unavailable', `validate: ${message}`, EXIT_RUN_FAILED);
}

/**
 * mkdir -p, one level at a time: any failure is one line (Node's recursive mkdirSync
 * spins forever on some paths, e.g. under /proc).
 */
export function makeDirs(dir: string, what: string): void {
  const abs = path.resolve(dir);
  const parts = abs.split(path.sep).filter(Boolean);
  let at: string = path.sep;
  for (const p of parts) {
    at = path.join(at, p);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(at);
    } catch {
      /* missing: create it */
    }
    if (st) {
      if (!st.isDirectory()) unavailable(`cannot create ${what} ${abs}: ${at} is not a folder`);
      continue;
    }
    try {
      fs.mkdirSync(at);
    } catch (e) {
      unavailable(`cannot create ${what} ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
}

/** The cache folder. */
export function cacheDir(): string {
  return process.env.MIGREPLAY_QEMU_CACHE ?? path.join(os.homedir(), '.cache', 'migreplay', 'qemu');
}

/**
 * The one line to show of a failed tool's output: apt's first `E:` line, else the last
 * line that is not empty, without apt's 'E: ' prefix, at most 300 characters.
 */
export function oneLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const e = lines.find((l) => /^E: /.test(l));
  const line = (e ?? lines[lines.length - 1] ?? '(no output)').replace(/^E: /, '');
  return line.length > 300 ? `${line.slice(0, 297)}…` : line;
}

/** How a tool is run: spawnSync, replaceable in tests. */
export type Runner = (cmd: string, args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }) => { status: number | null; stdout: string; stderr: string; error?: Error };

export const spawnRunner: Runner = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env, encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error } : {}) };
};

/** Run a tool; any failure is one line (exit 1). */
export function runTool(runner: Runner, cmd: string, args: string[], what: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = runner(cmd, args, opts);
  if (r.error) unavailable(`${what}: cannot run ${cmd} (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
  if (r.status !== 0) unavailable(`${what} failed: ${oneLine(`${r.stderr}\n${r.stdout}`)}`);
  return r.stdout;
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** apt without the sandbox user (the cache may be in root's home) and without a terminal. */
const APT_OPTS = ['-o', 'APT::Sandbox::User=root', '-q'];

/**
 * The packages `apt-get install --simulate` would install (its `Inst` lines): the
 * dependency closure of what was asked for, minus what dpkg has installed at a version
 * that satisfies it; a package installed at too old a version is listed at the new one.
 */
export function parseSimulatedInstall(text: string): AptPackage[] {
  const out: AptPackage[] = [];
  for (const line of text.split('\n')) {
    // Inst name [installed version] (version release… [arch]) [other]
    const m = /^Inst (\S+)(?: \[[^\]]*\])? \((\S+) .*\[([^\]]+)\]\)/.exec(line);
    if (m) out.push({ name: m[1]!, version: m[2]!, arch: m[3]! });
  }
  return out;
}

/** Files and sizes (apt's Size field) from `apt-get download --print-uris`. */
export function parsePrintUris(text: string): AptDownload[] {
  const out: AptDownload[] = [];
  for (const line of text.split('\n')) {
    const m = /^'[^']+' (\S+) (\d+) /.exec(line);
    if (m) out.push({ file: m[1]!, size: Number(m[2]) });
  }
  return out;
}

/** Libraries ldd could not find ("libfoo.so.1 => not found"). */
export function missingLibraries(lddText: string): string[] {
  const out: string[] = [];
  for (const line of lddText.split('\n')) {
    const m = /^\s*(\S+) => not found/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** Shared libraries ldd resolved, and the dynamic loader: absolute paths. */
export function lddPaths(lddText: string): string[] {
  const out: string[] = [];
  for (const line of lddText.split('\n')) {
    const m = /=> (\/\S+) \(0x/.exec(line) ?? /^\s*(\/\S+) \(0x/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/**
 * The closure apt would install for these targets (names or name/release), with -t
 * release when given: Depends and Pre-Depends, recursively, minus what dpkg has installed
 * at a version that satisfies them (apt's own resolver decides; aptOptions e.g.
 * -o Dir::State::status=FILE to ask about another machine's installed packages).
 */
export function aptClosure(runner: Runner, targets: string[], release?: string, aptOptions: string[] = []): AptPackage[] {
  const args = ['install', '--simulate', '--no-install-recommends', ...APT_OPTS, ...aptOptions, ...(release ? ['-t', release] : []), ...targets];
  const text = runTool(runner, 'apt-get', args, `apt-get install --simulate ${targets.join(' ')}`);
  return parseSimulatedInstall(text);
}

const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Download these packages into debsDir (sizes printed first); returns the .deb paths. */
export function aptDownload(runner: Runner, pkgs: AptPackage[], debsDir: string, what: string, log: (s: string) => void): string[] {
  if (pkgs.length === 0) return [];
  const specs = pkgs.map((p) => `${p.name}=${p.version}`);
  const uris = parsePrintUris(runTool(runner, 'apt-get', ['download', '--print-uris', ...APT_OPTS, ...specs], 'apt-get download --print-uris', { cwd: debsDir }));
  const size = uris.reduce((a, u) => a + u.size, 0);
  log(`${what}: downloading ${pkgs.length} package${pkgs.length === 1 ? '' : 's'}, ${MB(size)} (apt-get download into ${debsDir})`);
  runTool(runner, 'apt-get', ['download', ...APT_OPTS, ...specs], 'apt-get download', { cwd: debsDir });
  const files = uris.map((u) => path.join(debsDir, u.file));
  for (const f of files) if (!fs.existsSync(f)) unavailable(`apt-get download did not write ${f}`);
  return files;
}

function aptSourcesText(): string {
  let text = '';
  let parts: string[] = [];
  try {
    parts = fs.readdirSync('/etc/apt/sources.list.d').map((n) => `/etc/apt/sources.list.d/${n}`);
  } catch {
    /* none */
  }
  for (const f of ['/etc/apt/sources.list', ...parts]) {
    if (!/\.(list|sources)$/.test(f)) continue;
    try {
      text += fs.readFileSync(f, 'utf8') + '\n';
    } catch {
      /* unreadable: ignore */
    }
  }
  return text;
}

const isRoot = () => process.getuid?.() === 0;

/** Make sure apt knows bookworm (package lists present) and bookworm-backports (adds a source and updates only that source). */
function ensureAptLists(runner: Runner, log: (s: string) => void): void {
  if (!/\bbookworm\b/.test(aptSourcesText())) unavailable('this is not Debian 12 (bookworm): QEMU 10 is fetched from bookworm-backports; install QEMU ≥ 8 and set MIGREPLAY_QEMU to its qemu-system-x86_64');
  // A machine whose package lists were never fetched (a fresh container) knows no candidate.
  if (!/Candidate: (?!\(none\))/.test(runTool(runner, 'apt-cache', ['policy', 'busybox-static'], 'apt-cache policy'))) {
    if (!isRoot()) unavailable('apt has no package lists (run apt-get update as root)');
    log('apt has no package lists: apt-get update');
    runTool(runner, 'apt-get', ['update', ...APT_OPTS], 'apt-get update');
  }
  if (/bookworm-backports/.test(runTool(runner, 'apt-cache', ['policy', 'qemu-system-x86'], 'apt-cache policy'))) return;
  if (!isRoot()) unavailable(`apt lacks bookworm-backports and adding it needs root: add ${BACKPORTS_SOURCE} (deb.debian.org/debian bookworm-backports main) and run apt-get update`);
  log(`adding ${BACKPORTS_SOURCE} and updating that source`);
  fs.writeFileSync(BACKPORTS_SOURCE, 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');
  runTool(runner, 'apt-get', ['update', ...APT_OPTS, '-o', `Dir::Etc::sourcelist=${BACKPORTS_SOURCE}`, '-o', 'Dir::Etc::sourceparts=-', '-o', 'APT::Get::List-Cleanup=0'], 'apt-get update (bookworm-backports)');
  if (!/bookworm-backports/.test(runTool(runner, 'apt-cache', ['policy', 'qemu-system-x86'], 'apt-cache policy'))) unavailable('bookworm-backports has no qemu-system-x86 after apt-get update');
}

/** The kernel image package linux-image-amd64 of bookworm (not backports) depends on. */
export function kernelPackage(dependsText: string): string | undefined {
  return /Depends: (linux-image-6\.1\.\S+-amd64)/.exec(dependsText)?.[1];
}

/** Stamp written after a complete install: the packages unpacked. */
interface Stamp {
  qemuPackage: string;
  packages: string[];
  at: string;
}

/** Fetch and unpack QEMU 10 with its missing dependencies, the kernel and busybox-static into the cache (once). */
function ensurePackages(dir: string, runner: Runner, log: (s: string) => void): Stamp {
  const root = path.join(dir, 'root');
  const stampFile = path.join(root, '.complete');
  try {
    return JSON.parse(fs.readFileSync(stampFile, 'utf8')) as Stamp;
  } catch {
    /* not installed yet */
  }
  if (!have('apt-get') || !have('dpkg')) unavailable('needs apt-get and dpkg (Debian 12) to fetch QEMU 10 and a guest kernel');
  ensureAptLists(runner, log);
  const closure = aptClosure(runner, ['qemu-system-x86', 'busybox-static'], 'bookworm-backports');
  const qemuPkg = closure.find((p) => p.name === 'qemu-system-x86');
  if (!qemuPkg || !/^1:(\d+)\./.test(qemuPkg.version) || Number(/^1:(\d+)\./.exec(qemuPkg.version)![1]) < 10) {
    unavailable(qemuPkg ? `bookworm-backports offers qemu-system-x86 ${qemuPkg.version}, not 10.x` : 'apt would not install qemu-system-x86 (is it installed system-wide? set MIGREPLAY_QEMU to its qemu-system-x86_64)');
  }
  const kpkg = kernelPackage(runTool(runner, 'apt-cache', ['depends', 'linux-image-amd64/bookworm'], 'apt-cache depends linux-image-amd64'));
  if (!kpkg) unavailable('cannot find the Debian 12 kernel package (linux-image-6.1.*-amd64) in apt');
  const kver = /Version: (\S+)/.exec(runTool(runner, 'apt-cache', ['show', '--no-all-versions', kpkg], 'apt-cache show'))?.[1];
  if (!kver) unavailable(`apt-cache show ${kpkg}: no version`);
  const debs = path.join(dir, 'debs');
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(debs, { recursive: true });
  fs.mkdirSync(root, { recursive: true });
  // The kernel alone (its own dependencies are for installing it, not for booting it with -kernel).
  const all = [...closure, { name: kpkg, version: kver, arch: 'amd64' }];
  const files = aptDownload(runner, all, debs, `qemu-system-x86 ${qemuPkg.version} and the ${closure.length - 2} packages of its dependencies this machine lacks, busybox-static, ${kpkg}`, log);
  log(`unpacking ${files.length} packages into ${root}`);
  for (const f of files) {
    if (path.basename(f).startsWith('linux-image-')) {
      // Only /boot (the modules are ~400 MB unpacked and the guest needs none).
      const boot = path.join(root, 'boot');
      fs.mkdirSync(boot, { recursive: true });
      runTool(runner, 'sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./boot/vmlinuz-*"', 'sh', f, root], `unpacking the kernel from ${path.basename(f)}`);
    } else {
      runTool(runner, 'dpkg', ['-x', f, root], `dpkg -x ${path.basename(f)}`);
    }
  }
  const stamp: Stamp = { qemuPackage: qemuPkg.version, packages: all.map((p) => `${p.name}=${p.version}`), at: new Date().toISOString() };
  // The .debs are not needed once unpacked.
  for (const f of files) fs.rmSync(f, { force: true });
  fs.writeFileSync(stampFile, JSON.stringify(stamp, null, 1) + '\n');
  return stamp;
}

/** Folders of the cache that hold shared libraries (for LD_LIBRARY_PATH). */
export function libraryDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    if (ents.some((e) => !e.isDirectory() && /\.so(\.|$)/.test(e.name)) && !/\/qemu$/.test(d)) out.push(d);
    if (depth > 0) for (const e of ents) if (e.isDirectory()) walk(path.join(d, e.name), depth - 1);
  };
  for (const base of ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib', 'usr/lib']) walk(path.join(root, base), base.includes('x86_64') ? 1 : 0);
  return [...new Set(out)];
}

/** The environment a binary of the cache runs with. */
export function qemuEnv(root: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dirs = libraryDirs(root);
  const ld = [...dirs, ...(base.LD_LIBRARY_PATH ? [base.LD_LIBRARY_PATH] : [])].join(':');
  const mod = path.join(root, 'usr', 'lib', 'x86_64-linux-gnu', 'qemu');
  return { ...base, ...(ld ? { LD_LIBRARY_PATH: ld } : {}), ...(fs.existsSync(mod) ? { QEMU_MODULE_DIR: mod } : {}) };
}

/** ldd of the binary (and of QEMU's modules) under env: one line naming what is missing. */
function checkLibraries(runner: Runner, files: string[], env: NodeJS.ProcessEnv): void {
  for (const f of files) {
    const r = runner('ldd', [f], { env });
    if (r.error) return; // no ldd: QEMU's own start below still proves it runs
    const missing = missingLibraries(r.stdout + r.stderr);
    if (missing.length) unavailable(`${f} lacks ${missing.join(', ')} (not in the cache ${cacheDir()} nor installed); delete the cache to fetch again`);
  }
}

// newc cpio: 110-byte ASCII header, name, NUL, padded to 4; data padded to 4.
function cpioEntry(name: string, mode: number, data: Uint8Array, ino: number): Buffer {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const nameBytes = Buffer.from(name + '\0');
  const header = '070701' + [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0].map(hex).join('');
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  const head = Buffer.concat([Buffer.from(header), nameBytes]);
  return Buffer.concat([head, pad(head.length), Buffer.from(data), pad(data.length)]);
}

/** A gzip'd newc initramfs from [name, mode, contents] entries (parent folders are added). */
export function makeInitramfs(entries: [string, number, Uint8Array][]): Buffer {
  const seen = new Set<string>();
  const all: [string, number, Uint8Array][] = [];
  for (const e of entries) {
    const parts = e[0].split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!seen.has(d)) {
        seen.add(d);
        all.push([d, 0o40755, new Uint8Array(0)]);
      }
    }
    if ((e[1] & 0o170000) === 0o40000) {
      if (seen.has(e[0])) continue;
      seen.add(e[0]);
    }
    all.push(e);
  }
  const parts = all.map(([n, m, d], i) => cpioEntry(n, m, d, i + 1));
  parts.push(cpioEntry('TRAILER!!!', 0, new Uint8Array(0), 0));
  return gzipSync(Buffer.concat(parts));
}

/** gcc flags for a static link: none when the system's static libc works, else libc6-dev's closure fetched into the cache. */
function staticFlags(dir: string, build: string, runner: Runner, log: (s: string) => void): string[] {
  const probe = path.join(build, 'probe.c');
  fs.writeFileSync(probe, '#include <stdio.h>\nint main(void){puts("ok");return 0;}\n');
  const tryFlags = (flags: string[]) => runner('gcc', ['-O2', '-static', ...flags, '-o', path.join(build, 'probe'), probe]).status === 0;
  if (process.env.MIGREPLAY_FORCE_CACHED_LIBC !== '1' && tryFlags([])) return [];
  const root = path.join(dir, 'libc-dev');
  const flags = ['-nostdinc', '-isystem', `${root}/usr/include/x86_64-linux-gnu`, '-isystem', `${root}/usr/include`, '-B', `${root}/usr/lib/x86_64-linux-gnu/`, '-L', `${root}/usr/lib/x86_64-linux-gnu`];
  // gcc's own headers (stddef.h …) come from gcc's folder: keep them with -nostdinc.
  const gccInc = runner('gcc', ['-print-file-name=include']).stdout.trim();
  if (gccInc) flags.push('-isystem', gccInc);
  if (!fs.existsSync(path.join(root, '.complete'))) {
    if (!have('apt-get')) unavailable('gcc -static fails (no static libc: Debian libc6-dev) and there is no apt-get to fetch it');
    log('gcc -static has no static libc here: fetching libc6-dev into the cache');
    const debs = path.join(dir, 'debs');
    fs.mkdirSync(debs, { recursive: true });
    let pkgs = aptClosure(runner, ['libc6-dev']);
    if (pkgs.length === 0 || process.env.MIGREPLAY_FORCE_CACHED_LIBC === '1') {
      // Installed but broken, or forced: take libc6-dev and its headers' packages as they are.
      const names = ['libc6-dev', 'linux-libc-dev', 'libcrypt-dev'];
      pkgs = names.map((n) => ({ name: n, version: /Version: (\S+)/.exec(runTool(runner, 'apt-cache', ['show', '--no-all-versions', n], 'apt-cache show'))?.[1] ?? '', arch: 'amd64' }));
    }
    const files = aptDownload(runner, pkgs, debs, 'libc6-dev (static libc)', log);
    for (const f of files) runTool(runner, 'dpkg', ['-x', f, root], `dpkg -x ${path.basename(f)}`);
    for (const f of files) fs.rmSync(f, { force: true });
    fs.writeFileSync(path.join(root, '.complete'), new Date().toISOString() + '\n');
  }
  if (!tryFlags(flags)) unavailable(`gcc -static fails even with libc6-dev from the cache (${root})`);
  return flags;
}

/** A program for the guest: its binary (system or cache), shared libraries and loader, as initramfs entries. */
function guestProgram(dir: string, name: string, pkg: string, runner: Runner, log: (s: string) => void): [string, number, Uint8Array][] {
  const progRoot = path.join(dir, 'programs');
  let bin = ['/usr/bin', '/bin'].map((d) => path.join(d, name)).find((f) => fs.existsSync(f));
  let env: NodeJS.ProcessEnv = process.env;
  if (!bin || process.env.MIGREPLAY_FORCE_CACHED_PROGRAMS === '1') {
    const cached = path.join(progRoot, 'usr', 'bin', name);
    if (!fs.existsSync(cached)) {
      if (!have('apt-get')) unavailable(`the guest needs ${name} (Debian package ${pkg}): not installed and no apt-get`);
      const debs = path.join(dir, 'debs');
      fs.mkdirSync(debs, { recursive: true });
      let pkgs = aptClosure(runner, [pkg]);
      if (!pkgs.some((p) => p.name === pkg)) {
        const v = /Version: (\S+)/.exec(runTool(runner, 'apt-cache', ['show', '--no-all-versions', pkg], 'apt-cache show'))?.[1] ?? '';
        pkgs = [...pkgs, { name: pkg, version: v, arch: 'amd64' }];
      }
      const files = aptDownload(runner, pkgs, debs, `${pkg} for the guest`, log);
      for (const f of files) runTool(runner, 'dpkg', ['-x', f, progRoot], `dpkg -x ${path.basename(f)}`);
      for (const f of files) fs.rmSync(f, { force: true });
    }
    bin = cached;
    env = qemuEnv(progRoot);
  }
  const ldd = runTool(runner, 'ldd', [bin], `ldd ${bin}`, { env });
  const missing = missingLibraries(ldd);
  if (missing.length) unavailable(`the guest's ${name} lacks ${missing.join(', ')}`);
  const entries: [string, number, Uint8Array][] = [[`usr/bin/${name}`, 0o100755, fs.readFileSync(bin)]];
  for (const lib of lddPaths(ldd)) {
    // Where the guest's loader looks: the cache's libraries go to the system path they mirror.
    const at = lib.startsWith(progRoot + '/') ? lib.slice(progRoot.length) : lib;
    entries.push([at.replace(/^\//, ''), 0o100755, fs.readFileSync(fs.realpathSync(lib))]);
  }
  return entries;
}

function ensureGuest(dir: string, root: string, runner: Runner, log: (s: string) => void): { initrd: string; nothp: string } {
  const build = path.join(dir, 'build');
  fs.mkdirSync(build, { recursive: true });
  const initrd = path.join(build, 'initrd.gz');
  const nothp = path.join(build, 'nothp');
  const srcStamp = path.join(build, 'sources');
  const sources = [DIRTIER_C, GUEST_INIT, NOTHP_C, SQLITE_WORK, PERL_WORK, GEN_TEXT_PL, JSON.stringify(GUEST_PROGRAMS)].join('\0');
  if (fs.existsSync(initrd) && fs.existsSync(nothp) && fs.existsSync(srcStamp) && fs.readFileSync(srcStamp, 'utf8') === sources) return { initrd, nothp };
  if (!have('gcc')) unavailable('needs gcc (Debian: gcc) to build the guest dirtier; migreplay capture needs it too');
  log('building the guest: dirtier (gcc -static), busybox, xz, sqlite3, perl in an initramfs');
  fs.writeFileSync(path.join(build, 'dirtier.c'), DIRTIER_C);
  fs.writeFileSync(path.join(build, 'nothp.c'), NOTHP_C);
  const flags = staticFlags(dir, build, runner, log);
  runTool(runner, 'gcc', ['-O2', '-static', ...flags, '-o', path.join(build, 'dirtier'), path.join(build, 'dirtier.c')], 'gcc -static dirtier.c');
  runTool(runner, 'gcc', ['-O2', '-o', nothp, path.join(build, 'nothp.c')], 'gcc nothp.c');
  const busybox = path.join(root, 'bin', 'busybox');
  if (!fs.existsSync(busybox)) unavailable(`no ${busybox} (busybox-static did not unpack)`);
  const programs = GUEST_PROGRAMS.flatMap(([name, pkg]) => guestProgram(dir, name, pkg, runner, log));
  const dirs: [string, number, Uint8Array][] = ['bin', 'proc', 'sys', 'dev', 'tmp', 'work'].map((d) => [d, 0o40755, new Uint8Array(0)]);
  const img = makeInitramfs([
    ...dirs,
    ['bin/busybox', 0o100755, fs.readFileSync(busybox)],
    ['bin/dirtier', 0o100755, fs.readFileSync(path.join(build, 'dirtier'))],
    ...programs,
    ['work/sqlite.sql', 0o100644, Buffer.from(SQLITE_WORK)],
    ['work/hash.pl', 0o100644, Buffer.from(PERL_WORK)],
    ['work/gen-text.pl', 0o100644, Buffer.from(GEN_TEXT_PL)],
    ['init', 0o100755, Buffer.from(GUEST_INIT)],
  ]);
  fs.writeFileSync(initrd, img);
  fs.writeFileSync(srcStamp, sources);
  return { initrd, nothp };
}

function qemuRuns(runner: Runner, qemu: string, env: NodeJS.ProcessEnv, dataDirs: string[]): string {
  const r = runner(qemu, ['--version'], { env });
  if (r.error) unavailable(`cannot run ${qemu} (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
  if (r.status !== 0) unavailable(`${qemu} does not run: ${oneLine(r.stderr + '\n' + r.stdout)}`);
  const version = r.stdout.split('\n')[0]!.trim();
  const m = /version (\d+)\./.exec(version);
  if (!m || Number(m[1]) < 8) unavailable(`${version || qemu}: need QEMU ≥ 8 (7.2 loses dirty pages under TCG)`);
  // QEMU really starts a machine: TCG, the firmware found, then quit at once.
  const q = runner('sh', ['-c', 'printf \'{"execute":"qmp_capabilities"}\\n{"execute":"quit"}\\n\' | "$@"', 'sh', qemu, '-accel', 'tcg', '-M', 'pc', '-m', '64M', '-nodefaults', '-display', 'none', '-S', ...dataDirs.flatMap((d) => ['-L', d]), '-qmp', 'stdio'], { env });
  if (q.status !== 0) unavailable(`${qemu} does not start a TCG machine: ${oneLine(q.stderr + '\n' + q.stdout)}`);
  return version;
}

/** Install (once) and return everything a run needs. $MIGREPLAY_QEMU overrides the QEMU binary. */
export function ensureSetup(log: (s: string) => void = () => {}, runner: Runner = spawnRunner): QemuSetup {
  if (process.platform !== 'linux' || process.arch !== 'x64') unavailable('needs Linux on x86-64');
  const dir = cacheDir();
  makeDirs(dir, 'the cache folder');
  const stamp = ensurePackages(dir, runner, log);
  const root = path.join(dir, 'root');
  const own = process.env.MIGREPLAY_QEMU === undefined;
  const qemu = process.env.MIGREPLAY_QEMU ?? path.join(root, 'usr', 'bin', 'qemu-system-x86_64');
  const env = own ? qemuEnv(root) : process.env;
  let kernels: string[] = [];
  try {
    kernels = fs.readdirSync(path.join(root, 'boot')).filter((f) => f.startsWith('vmlinuz-')).sort();
  } catch {
    /* none */
  }
  if (kernels.length === 0) unavailable(`no guest kernel in ${path.join(root, 'boot')}; delete ${root} to fetch again`);
  const { initrd, nothp } = ensureGuest(dir, root, runner, log);
  if (own) checkLibraries(runner, [qemu], env);
  const dataDirs = [path.join(root, 'usr', 'share', 'qemu'), path.join(root, 'usr', 'share', 'seabios')];
  const qemuVersion = qemuRuns(runner, qemu, env, dataDirs);
  return {
    cacheDir: dir,
    qemu,
    env,
    dataDirs,
    kernel: path.join(root, 'boot', kernels[kernels.length - 1]!),
    initrd,
    nothp,
    qemuVersion,
    qemuPackage: own ? `qemu-system-x86 ${stamp.qemuPackage}` : '',
  };
}
