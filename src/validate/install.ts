// What `migreplay validate qemu` needs on the machine, installed into a cache folder
// (default ~/.cache/migreplay/qemu, $MIGREPLAY_QEMU_CACHE): QEMU 10 from Debian's
// bookworm-backports, a Debian 12 kernel and busybox-static, each fetched with
// `apt-get download` and unpacked with `dpkg -x` (nothing is installed system-wide
// except, when missing, an apt source for bookworm-backports); then the guest: a
// static dirtier (gcc -static) in a busybox initramfs, and a tiny exec wrapper that
// turns transparent huge pages off for the source QEMU. docs/validation.md.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { EXIT_RUN_FAILED, MigreplayError } from '../errors.js';
import { DIRTIER_C, GUEST_INIT, NOTHP_C } from './guest-src.js';

/** Everything a run needs, as paths. */
export interface QemuSetup {
  cacheDir: string;
  /** qemu-system-x86_64 of QEMU 10. */
  qemu: string;
  /** -L folders (firmware). */
  dataDirs: string[];
  kernel: string;
  initrd: string;
  /** Exec wrapper: PR_SET_THP_DISABLE, then exec its arguments. */
  nothp: string;
  qemuVersion: string;
}

const BACKPORTS_SOURCE = '/etc/apt/sources.list.d/migreplay-bookworm-backports.sources';

function unavailable(message: string): never {
  throw new MigreplayError('capture-unavailable', `validate: ${message}`, EXIT_RUN_FAILED);
}

/** The cache folder. */
export function cacheDir(): string {
  return process.env.MIGREPLAY_QEMU_CACHE ?? path.join(os.homedir(), '.cache', 'migreplay', 'qemu');
}

function run(cmd: string, args: string[], what: string, cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) unavailable(`${what}: cannot run ${cmd} (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
  if (r.status !== 0) unavailable(`${what}: ${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]}`);
  return r.stdout;
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function aptSourcesText(): string {
  let text = '';
  for (const f of ['/etc/apt/sources.list', ...(() => {
    try {
      return fs.readdirSync('/etc/apt/sources.list.d').map((n) => `/etc/apt/sources.list.d/${n}`);
    } catch {
      return [];
    }
  })()]) {
    if (!/\.(list|sources)$/.test(f)) continue;
    try {
      text += fs.readFileSync(f, 'utf8') + '\n';
    } catch {
      /* unreadable: ignore */
    }
  }
  return text;
}

/** Make sure apt knows bookworm-backports (adds a source and updates only that source). */
function ensureBackports(log: (s: string) => void): void {
  const policy = run('apt-cache', ['policy', 'qemu-system-x86'], 'apt');
  if (/bookworm-backports/.test(policy)) return;
  if (!/\bbookworm\b/.test(aptSourcesText())) unavailable('this is not Debian 12 (bookworm): QEMU 10 is fetched from bookworm-backports; install QEMU ≥ 8 and set MIGREPLAY_QEMU to its qemu-system-x86_64');
  if (process.getuid?.() !== 0) unavailable(`apt lacks bookworm-backports and adding it needs root: add ${BACKPORTS_SOURCE} (deb.debian.org/debian bookworm-backports main) and run apt-get update`);
  log(`adding ${BACKPORTS_SOURCE} and updating that source`);
  fs.writeFileSync(BACKPORTS_SOURCE, 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');
  run('apt-get', ['update', '-o', `Dir::Etc::sourcelist=${BACKPORTS_SOURCE}`, '-o', 'Dir::Etc::sourceparts=-', '-o', 'APT::Get::List-Cleanup=0'], 'apt-get update (bookworm-backports)');
}

/** The kernel image package linux-image-amd64 of bookworm (not backports) depends on. */
function kernelPackage(): string {
  const out = run('apt-cache', ['depends', 'linux-image-amd64/bookworm'], 'apt-cache depends');
  const m = /Depends: (linux-image-6\.1\.\S+-amd64)/.exec(out);
  if (!m) unavailable('cannot find the Debian 12 kernel package (linux-image-6.1.*-amd64) in apt');
  return m[1]!;
}

/** Fetch and unpack QEMU 10, the kernel and busybox-static into the cache (once). */
function ensurePackages(dir: string, log: (s: string) => void): void {
  const root = path.join(dir, 'root');
  const stamp = path.join(root, '.complete');
  if (fs.existsSync(stamp)) return;
  if (!have('apt-get') || !have('dpkg')) unavailable('needs apt-get and dpkg (Debian 12) to fetch QEMU 10 and a guest kernel');
  ensureBackports(log);
  const debs = path.join(dir, 'debs');
  fs.mkdirSync(debs, { recursive: true });
  const pkgs = ['qemu-system-x86/bookworm-backports', 'qemu-system-data/bookworm-backports', 'seabios', 'busybox-static', kernelPackage()];
  log(`apt-get download ${pkgs.join(' ')}`);
  run('apt-get', ['download', ...pkgs], 'apt-get download', debs);
  fs.mkdirSync(root, { recursive: true });
  for (const f of fs.readdirSync(debs)) if (f.endsWith('.deb')) run('dpkg', ['-x', path.join(debs, f), root], `dpkg -x ${f}`);
  fs.writeFileSync(stamp, new Date().toISOString() + '\n');
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

/** A gzip'd newc initramfs from [name, mode, contents] entries. */
export function makeInitramfs(entries: [string, number, Uint8Array][]): Buffer {
  const parts = entries.map(([n, m, d], i) => cpioEntry(n, m, d, i + 1));
  parts.push(cpioEntry('TRAILER!!!', 0, new Uint8Array(0), 0));
  return gzipSync(Buffer.concat(parts));
}

function ensureGuest(dir: string, root: string, log: (s: string) => void): { initrd: string; nothp: string } {
  const build = path.join(dir, 'build');
  fs.mkdirSync(build, { recursive: true });
  const initrd = path.join(build, 'initrd.gz');
  const nothp = path.join(build, 'nothp');
  const srcStamp = path.join(build, 'sources');
  const sources = DIRTIER_C + GUEST_INIT + NOTHP_C;
  if (fs.existsSync(initrd) && fs.existsSync(nothp) && fs.existsSync(srcStamp) && fs.readFileSync(srcStamp, 'utf8') === sources) return { initrd, nothp };
  if (!have('gcc')) unavailable('needs gcc (with a static libc: Debian libc6-dev) to build the guest dirtier');
  log('building the guest: dirtier (gcc -static) + busybox initramfs');
  fs.writeFileSync(path.join(build, 'dirtier.c'), DIRTIER_C);
  fs.writeFileSync(path.join(build, 'nothp.c'), NOTHP_C);
  run('gcc', ['-O2', '-static', '-o', path.join(build, 'dirtier'), path.join(build, 'dirtier.c')], 'gcc -static dirtier.c');
  run('gcc', ['-O2', '-o', nothp, path.join(build, 'nothp.c')], 'gcc nothp.c');
  const busybox = path.join(root, 'bin', 'busybox');
  if (!fs.existsSync(busybox)) unavailable(`no ${busybox} (busybox-static did not unpack)`);
  const dirs: [string, number, Uint8Array][] = ['bin', 'proc', 'sys', 'dev'].map((d) => [d, 0o40755, new Uint8Array(0)]);
  const img = makeInitramfs([
    ...dirs,
    ['bin/busybox', 0o100755, fs.readFileSync(busybox)],
    ['bin/dirtier', 0o100755, fs.readFileSync(path.join(build, 'dirtier'))],
    ['init', 0o100755, Buffer.from(GUEST_INIT)],
  ]);
  fs.writeFileSync(initrd, img);
  fs.writeFileSync(srcStamp, sources);
  return { initrd, nothp };
}

/** Install (once) and return everything a run needs. $MIGREPLAY_QEMU overrides the QEMU binary. */
export function ensureSetup(log: (s: string) => void = () => {}): QemuSetup {
  if (process.platform !== 'linux' || process.arch !== 'x64') unavailable('needs Linux on x86-64');
  const dir = cacheDir();
  fs.mkdirSync(dir, { recursive: true });
  ensurePackages(dir, log);
  const root = path.join(dir, 'root');
  const qemu = process.env.MIGREPLAY_QEMU ?? path.join(root, 'usr', 'bin', 'qemu-system-x86_64');
  const kernels = fs.readdirSync(path.join(root, 'boot')).filter((f) => f.startsWith('vmlinuz-')).sort();
  if (kernels.length === 0) unavailable(`no guest kernel in ${path.join(root, 'boot')}`);
  const { initrd, nothp } = ensureGuest(dir, root, log);
  let qemuVersion = '';
  try {
    qemuVersion = execFileSync(qemu, ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch (e) {
    unavailable(`${qemu} does not run: ${(e as Error).message.split('\n')[0]}`);
  }
  const m = /version (\d+)\./.exec(qemuVersion);
  if (!m || Number(m[1]) < 8) unavailable(`${qemuVersion || qemu}: need QEMU ≥ 8 (7.2 loses dirty pages under TCG)`);
  return {
    cacheDir: dir,
    qemu,
    dataDirs: [path.join(root, 'usr', 'share', 'qemu'), path.join(root, 'usr', 'share', 'seabios')],
    kernel: path.join(root, 'boot', kernels[kernels.length - 1]!),
    initrd,
    nothp,
    qemuVersion,
  };
}
