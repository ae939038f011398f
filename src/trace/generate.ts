// Synthetic workloads: deterministic page-write traces generated epoch by epoch in
// bounded memory (per-epoch work is O(page writes in that epoch); nothing holds the
// whole trace). Each workload names, defaults and documents its parameters
// (docs/workloads.md); `generateTrace` writes one through a TraceWriter. Three
// workloads imitate the papers' experiments (docs/reproductions.md#the-papers): `mail`
// (Charchekhandra, PMTCS 2023), `video-stream` (the IMMP vCPU-limit paper), `hotpages`
// (the page-frequency threshold paper; Ma, Liu & Liu, ICSESS 2010). No Node imports.
import { fail } from '../errors.js';
import { parseDuration, parseRate, parseSize } from '../units.js';
import { Permutation, Rng, sampleDistinct, Zipf } from './random.js';
import { MAX_MEM_PAGES } from './schema.js';
import { TraceWriter, type TraceHeader, type TraceWriterOptions } from './write.js';

// ---------------------------------------------------------------------------------
// Parameters

/** How a workload parameter's value is read (units allowed where it makes sense). */
export type GenParamKind =
  | 'size' // bytes: 4KiB, 1MB, 64MiB
  | 'size-or-fraction' // a share of --mem (0.1 or 10%) or a size (64MiB)
  | 'count-rate' // events per second: 20000, 2e4, 20k, 1.5M, optionally with /s
  | 'bitrate' // bytes per second from 4Mbit, 1Gbit, 10MB/s
  | 'duration' // seconds from 50ms, 2s, 1m
  | 'number'
  | 'fraction' // 0…1, or 0…100%
  | 'int'
  | 'boolean'
  | 'choice'
  | 'resolution'; // WxH, or 480p/720p/1080p/2160p

/** One named, defaulted, documented workload parameter. */
export interface GenParamSpec {
  /** Command-line name (kebab-case); the key in GenOptions.values is its camelCase form. */
  name: string;
  kind: GenParamKind;
  /** Default as a user would type it; undefined: unset unless given (the doc says what happens then). */
  default: string | number | boolean | undefined;
  /** One line: what it is, its unit, what real behaviour it stands for. */
  doc: string;
  min?: number;
  max?: number;
  /** Whether the minimum itself is excluded (e.g. rates > 0). */
  minExclusive?: boolean;
  choices?: readonly string[];
}

/** A parameter value after parsing: sizes in bytes, durations in s, rates per s, bitrates in bytes/s. */
export type GenValue = number | string | boolean | undefined;

/** What every workload takes. */
export const COMMON_PARAMS: readonly GenParamSpec[] = [
  { name: 'mem', kind: 'size', default: '1GiB', doc: 'guest memory size (mem_pages = mem / page-size)' },
  { name: 'duration', kind: 'duration', default: '60s', doc: 'trace length (duration_us)' },
  { name: 'interval', kind: 'duration', default: '50ms', doc: 'epoch length: how often the dirty log is read (interval_us)' },
  { name: 'seed', kind: 'int', default: 1, min: 0, max: Number.MAX_SAFE_INTEGER, doc: 'random seed: the same seed and options give a byte-identical trace' },
  { name: 'page-size', kind: 'size', default: 4096, doc: 'page size in bytes' },
  {
    name: 'layout', kind: 'choice', default: 'scatter', choices: ['scatter', 'linear'],
    doc: "where the workload's logical pages sit in guest-physical memory: a seeded permutation (scatter) or in order (linear)",
  },
];

/** camelCase key of a kebab-case parameter name. */
export function paramKey(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

// ---------------------------------------------------------------------------------
// Workloads

/** Resolved options of one generation run. */
export interface GenOptions {
  workload: string;
  memBytes: number;
  memPages: number;
  pageSize: number;
  intervalUs: number;
  durationUs: number;
  /** Number of epochs: ceil(durationUs / intervalUs). */
  epochs: number;
  seed: number;
  layout: 'scatter' | 'linear';
  /** The workload's own parameters by camelCase key, parsed. */
  values: Record<string, GenValue>;
  /** Parameter names (kebab-case, common ones too) given explicitly rather than defaulted. */
  explicit: ReadonlySet<string>;
  /** `name k=v …` with every parameter: what the trace's `workload` metadata says. */
  text: string;
}

/** Receives one epoch: its start (µs), its pages ascending and distinct, and the comm/immp subsets. */
export type EmitEpoch = (tUs: number, pages: Uint32Array, comm?: Uint32Array, immp?: Uint32Array) => void;

/** A workload generator. */
export interface Workload {
  id: string;
  /** One line for --help. */
  summary: string;
  /** The paper or behaviour it follows. */
  follows: string;
  params: readonly GenParamSpec[];
  /** Defaults of common parameters that differ for this workload (e.g. the paper's VM size). */
  defaults?: Partial<Record<'mem' | 'duration' | 'interval', string>>;
  /** Optional columns it fills. */
  columns?: { comm?: boolean; immp?: boolean };
  /** Cross-parameter checks beyond each parameter's own range; fail('usage', …) on error. */
  check?(o: GenOptions): void;
  /** The trace's `description` metadata for these options. */
  describe(o: GenOptions): string;
  /** Emit every epoch, in order. */
  generate(o: GenOptions, emit: EmitEpoch): void;
}

// ---------------------------------------------------------------------------------
// Epoch assembly

/** A reusable growable list of page numbers for one epoch. */
class PageBuf {
  data = new Uint32Array(4096);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  /** Sort, drop duplicates, and return a view (valid until the next reset). */
  sortedDistinct(): Uint32Array {
    const view = this.data.subarray(0, this.length).sort();
    let n = 0;
    for (let i = 0; i < view.length; i++) if (n === 0 || view[i] !== view[n - 1]) view[n++] = view[i]!;
    return view.subarray(0, n);
  }
}

const enum Tag {
  None = 0,
  Comm = 1,
  Immp = 2,
}

/** A range of logical pages owned by one part of a workload. */
interface Region {
  name: string;
  base: number;
  size: number;
}

/** Logical regions laid out one after the other; they must fit in memory. */
class Layout {
  private next = 0;
  readonly regions: Region[] = [];
  constructor(private readonly o: GenOptions) {}
  /** A region of `pages` pages (0 allowed: an empty region). */
  region(name: string, pages: number): Region {
    const r = { name, base: this.next, size: pages };
    this.next += pages;
    this.regions.push(r);
    return r;
  }
  /** Fail unless every region fits in guest memory. */
  check(): void {
    if (this.next > this.o.memPages) {
      const parts = this.regions.filter((r) => r.size > 0).map((r) => `${r.name} ${r.size}`).join(' + ');
      fail('usage', `${this.o.workload}: its memory regions need ${this.next} pages (${parts}) but --mem holds ${this.o.memPages}`);
    }
  }
  /** Pages left after the regions so far. */
  rest(): number {
    return Math.max(0, this.o.memPages - this.next);
  }
}

/** The pages of one epoch, with their comm/immp tags, placed in guest-physical memory. */
class EpochPages {
  private readonly all = new PageBuf();
  private readonly comm = new PageBuf();
  private readonly immp = new PageBuf();
  private readonly place: (x: number) => number;

  constructor(o: GenOptions) {
    if (o.layout === 'linear') this.place = (x) => x;
    else {
      const perm = new Permutation(o.memPages, o.seed, `layout/${o.workload}`);
      this.place = (x) => perm.map(x);
    }
  }

  /** One write to logical page x. */
  write(x: number, tag: Tag = Tag.None): void {
    const p = this.place(x);
    this.all.push(p);
    if (tag === Tag.Comm) this.comm.push(p);
    else if (tag === Tag.Immp) this.immp.push(p);
  }

  /** Writes to ring slots from, from+1, …, from+count−1 of a region (each slot once at most). */
  ring(r: Region, from: number, count: number, tag: Tag = Tag.None): void {
    if (r.size === 0 || count <= 0) return;
    const n = Math.min(count, r.size);
    let slot = from % r.size;
    for (let i = 0; i < n; i++) {
      this.write(r.base + slot, tag);
      if (++slot === r.size) slot = 0;
    }
  }

  /** `count` writes to uniformly random pages of a region (repeats collapse). */
  random(r: Region, count: number, rng: Rng, tag: Tag = Tag.None): void {
    if (r.size === 0) return;
    for (let i = 0; i < count; i++) this.write(r.base + rng.int(r.size), tag);
  }

  /** Each page of a region written independently with probability p. */
  bernoulli(r: Region, p: number, rng: Rng, tag: Tag = Tag.None): void {
    if (r.size === 0 || p <= 0) return;
    const k = rng.binomial(r.size, p);
    const picked = sampleDistinct(rng, r.size, k);
    for (let i = 0; i < picked.length; i++) this.write(r.base + picked[i]!, tag);
  }

  /** Hand the epoch on and start the next. */
  emit(tUs: number, emit: EmitEpoch): void {
    const pages = this.all.sortedDistinct();
    const comm = this.comm.length ? this.comm.sortedDistinct() : EMPTY;
    const immp = this.immp.length ? this.immp.sortedDistinct() : EMPTY;
    emit(tUs, pages, comm, immp);
    this.all.length = this.comm.length = this.immp.length = 0;
  }
}

const EMPTY = new Uint32Array(0);

/** Run `step` for every epoch [t0, t1) (µs; the last one may be short) and emit what it wrote. */
function eachEpoch(o: GenOptions, emit: EmitEpoch, step: (out: EpochPages, t0: number, t1: number, dtS: number) => void): void {
  const out = new EpochPages(o);
  for (let i = 0; i < o.epochs; i++) {
    const t0 = i * o.intervalUs;
    const t1 = Math.min(t0 + o.intervalUs, o.durationUs);
    step(out, t0, t1, (t1 - t0) / 1e6);
    out.emit(t0, emit);
  }
}

/** Write counts per epoch: Poisson arrivals, or the exact mean with the fraction carried over. */
function arrivals(o: GenOptions, rng: Rng, rate: number): (dtS: number) => number {
  if (o.values.arrivals === 'fixed') {
    let carry = 0;
    return (dtS) => {
      const c = carry + rate * dtS;
      const k = Math.floor(c + 1e-9);
      carry = c - k;
      return k;
    };
  }
  return (dtS) => rng.poisson(rate * dtS);
}

const ARRIVALS: GenParamSpec = {
  name: 'arrivals', kind: 'choice', default: 'poisson', choices: ['poisson', 'fixed'],
  doc: 'writes per epoch: Poisson-distributed around rate × interval, or exactly that mean (fraction carried over)',
};

const RATE = (doc: string, dflt: string | number = 10000): GenParamSpec => ({ name: 'rate', kind: 'count-rate', default: dflt, min: 0, doc });

/** Pages of a byte size, rounded up. */
const pagesOf = (o: GenOptions, bytes: number): number => Math.ceil(bytes / o.pageSize - 1e-9);

const v = <T extends GenValue>(o: GenOptions, name: string): T => o.values[paramKey(name)] as T;

// ---------------------------------------------------------------------------------
// Synthetic workloads

const uniform: Workload = {
  id: 'uniform',
  summary: 'page writes spread uniformly over all of memory at a fixed rate',
  follows: 'synthetic: the memoryless baseline (every page equally likely)',
  params: [RATE('page writes per second over all of memory'), ARRIVALS],
  describe: (o) => `uniform: ${v(o, 'rate')} page writes/s over all ${o.memPages} pages`,
  generate(o, emit) {
    const rng = new Rng(o.seed, 'uniform');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'rate'));
    const all: Region = { name: 'memory', base: 0, size: o.memPages };
    eachEpoch(o, emit, (out, _t0, _t1, dt) => out.random(all, count(dt), rng));
  },
};

const hotcold: Workload = {
  id: 'hotcold',
  summary: 'a hot set that takes a given share of the writes, the rest spread over the cold pages',
  follows: 'synthetic: the two-class writable working set (Clark et al., NSDI 2005) most pre-copy studies assume',
  params: [
    { name: 'hot-size', kind: 'size-or-fraction', default: '10%', doc: 'hot set, e.g. 0.1, 10% or 64MiB' },
    { name: 'hot-share', kind: 'fraction', default: 0.9, doc: 'share of the writes that land in the hot set (0…1 or %)' },
    RATE('page writes per second (hot and cold together)'),
    ARRIVALS,
  ],
  check(o) {
    const hot = pagesOf(o, v(o, 'hot-size'));
    if (hot < 1) fail('usage', '--hot-size: the hot set must hold at least one page');
    if (hot > o.memPages) fail('usage', `--hot-size: ${hot} pages is more than --mem (${o.memPages} pages)`);
    if (hot === o.memPages && v<number>(o, 'hot-share') < 1) fail('usage', '--hot-size: the hot set is all of memory, so --hot-share must be 1 (no cold pages left)');
  },
  describe: (o) => `hotcold: ${v(o, 'rate')} page writes/s, ${v<number>(o, 'hot-share') * 100} % of them to a hot set of ${pagesOf(o, v(o, 'hot-size'))} of ${o.memPages} pages`,
  generate(o, emit) {
    const rng = new Rng(o.seed, 'hotcold');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'rate'));
    const hotPages = pagesOf(o, v(o, 'hot-size'));
    const share = v<number>(o, 'hot-share');
    const hot: Region = { name: 'hot', base: 0, size: hotPages };
    const cold: Region = { name: 'cold', base: hotPages, size: o.memPages - hotPages };
    eachEpoch(o, emit, (out, _t0, _t1, dt) => {
      const n = count(dt);
      for (let i = 0; i < n; i++) {
        const r = rng.next() < share ? hot : cold;
        out.write(r.base + rng.int(r.size));
      }
    });
  },
};

const zipf: Workload = {
  id: 'zipf',
  summary: 'page writes with Zipf-distributed page popularity (rank k written ∝ k^-s); ranks shuffled over memory',
  follows: 'synthetic: the skewed page popularity measured in real guests (a few pages take most writes, a long tail)',
  params: [
    { name: 'zipf-s', kind: 'number', default: 1, min: 0, minExclusive: true, doc: 'Zipf exponent s > 0: larger is more skewed' },
    RATE('page writes per second'),
    ARRIVALS,
  ],
  describe: (o) => `zipf: ${v(o, 'rate')} page writes/s over ${o.memPages} pages, popularity ∝ rank^-${v(o, 'zipf-s')}`,
  generate(o, emit) {
    const rng = new Rng(o.seed, 'zipf');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'rate'));
    const z = new Zipf(o.memPages, v<number>(o, 'zipf-s'));
    eachEpoch(o, emit, (out, _t0, _t1, dt) => {
      const n = count(dt);
      for (let i = 0; i < n; i++) out.write(z.sample(rng) - 1);
    });
  },
};

const phases: Workload = {
  id: 'phases',
  summary: 'a working set that moves to other pages at every phase (program phases)',
  follows: 'synthetic: program phases — the working set shifts, so pages hot in one round go cold in the next',
  params: [
    { name: 'phases', kind: 'int', default: 4, min: 1, doc: 'number of phases over the trace (or give --phase-length)' },
    { name: 'phase-length', kind: 'duration', default: undefined, min: 0, minExclusive: true, doc: 'length of a phase [default: duration / phases]' },
    { name: 'ws-size', kind: 'size-or-fraction', default: '10%', doc: 'working set of a phase' },
    { name: 'overlap', kind: 'fraction', default: 0, max: 0.999, doc: 'share of a working set that the next phase keeps (0: disjoint, wrapping round memory)' },
    RATE('page writes per second, uniform within the current working set'),
    ARRIVALS,
  ],
  check(o) {
    if (o.explicit.has('phases') && o.explicit.has('phase-length')) fail('usage', '--phases and --phase-length: give one or the other');
    const ws = pagesOf(o, v(o, 'ws-size'));
    if (ws < 1) fail('usage', '--ws-size: the working set must hold at least one page');
    if (ws > o.memPages) fail('usage', `--ws-size: ${ws} pages is more than --mem (${o.memPages} pages)`);
  },
  describe(o) {
    const len = phaseLengthUs(o);
    return `phases: ${v(o, 'rate')} page writes/s within a working set of ${pagesOf(o, v(o, 'ws-size'))} pages that moves every ${len / 1e6} s (overlap ${v(o, 'overlap')})`;
  },
  generate(o, emit) {
    const rng = new Rng(o.seed, 'phases');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'rate'));
    const ws = pagesOf(o, v(o, 'ws-size'));
    const step = Math.max(1, Math.round(ws * (1 - v<number>(o, 'overlap'))));
    const lenUs = phaseLengthUs(o);
    eachEpoch(o, emit, (out, t0, _t1, dt) => {
      const phase = Math.floor(t0 / lenUs);
      const base = (phase * step) % o.memPages;
      const n = count(dt);
      for (let i = 0; i < n; i++) out.write((base + rng.int(ws)) % o.memPages);
    });
  },
};

function phaseLengthUs(o: GenOptions): number {
  const given = v<number | undefined>(o, 'phase-length');
  return given !== undefined ? Math.max(1, Math.round(given * 1e6)) : Math.max(1, o.durationUs / v<number>(o, 'phases'));
}

// ---------------------------------------------------------------------------------
// Seeds 000 and 003: frequently updated ("hot") pages

const hotpages: Workload = {
  id: 'hotpages',
  summary: 'frequently updated pages rewritten many times a second, a warm set, and rare cold writes (Ma, Liu & Liu, ICSESS 2010; the page-frequency threshold paper)',
  follows: 'Ma, Liu & Liu, "Live virtual machine migration based on improved pre-copy approach", IEEE ICSESS 2010, doi:10.1109/ICSESS.2010.5552416 ("frequently updated" bitmap), and the page-frequency threshold paper (pages at or above a dirty-frequency threshold postponed to the last iteration, Xen on CentOS 7); both cited in full in docs/reproductions.md#the-papers',
  params: [
    { name: 'hot-size', kind: 'size-or-fraction', default: '1.5%', doc: 'frequently updated (hot) pages' },
    { name: 'hot-freq', kind: 'count-rate', default: 40, min: 0, doc: 'writes per second to each hot page (each epoch a hot page is dirty with probability 1 − e^(−f·interval))' },
    { name: 'warm-size', kind: 'size-or-fraction', default: '8%', doc: 'occasionally updated (warm) pages' },
    { name: 'warm-freq', kind: 'count-rate', default: 0.5, min: 0, doc: 'writes per second to each warm page' },
    { name: 'cold-rate', kind: 'count-rate', default: 200, min: 0, doc: 'page writes per second spread uniformly over the remaining (cold) pages' },
    ARRIVALS,
  ],
  check(o) {
    const hot = pagesOf(o, v(o, 'hot-size'));
    const warm = pagesOf(o, v(o, 'warm-size'));
    if (hot + warm > o.memPages) fail('usage', `--hot-size + --warm-size: ${hot + warm} pages is more than --mem (${o.memPages} pages)`);
    if (hot + warm === o.memPages && v<number>(o, 'cold-rate') > 0) fail('usage', '--cold-rate: hot and warm sets fill memory, no cold pages are left (set --cold-rate 0)');
  },
  describe(o) {
    const hot = pagesOf(o, v(o, 'hot-size'));
    const warm = pagesOf(o, v(o, 'warm-size'));
    return `hotpages: ${hot} hot pages written ${v(o, 'hot-freq')}×/s each, ${warm} warm pages ${v(o, 'warm-freq')}×/s each, ${v(o, 'cold-rate')} writes/s over the other ${o.memPages - hot - warm} pages (the page-frequency threshold paper; Ma, Liu & Liu, ICSESS 2010)`;
  },
  generate(o, emit) {
    const rng = new Rng(o.seed, 'hotpages');
    const hotPages = pagesOf(o, v(o, 'hot-size'));
    const warmPages = pagesOf(o, v(o, 'warm-size'));
    const hot: Region = { name: 'hot', base: 0, size: hotPages };
    const warm: Region = { name: 'warm', base: hotPages, size: warmPages };
    const cold: Region = { name: 'cold', base: hotPages + warmPages, size: o.memPages - hotPages - warmPages };
    const fHot = v<number>(o, 'hot-freq');
    const fWarm = v<number>(o, 'warm-freq');
    const count = arrivals(o, rng.fork('count'), v<number>(o, 'cold-rate'));
    const rHot = rng.fork('hot');
    const rWarm = rng.fork('warm');
    eachEpoch(o, emit, (out, _t0, _t1, dt) => {
      out.bernoulli(hot, -Math.expm1(-fHot * dt), rHot);
      out.bernoulli(warm, -Math.expm1(-fWarm * dt), rWarm);
      out.random(cold, count(dt), rng);
    });
  },
};

// ---------------------------------------------------------------------------------
// Background dirtying shared by the seed workloads

const BG_PARAMS = (size: string, rate: number, what: string): GenParamSpec[] => [
  { name: 'bg-size', kind: 'size-or-fraction', default: size, doc: `background working set: ${what}` },
  { name: 'bg-rate', kind: 'count-rate', default: rate, min: 0, doc: 'background page writes per second, uniform over the background working set (Poisson per epoch)' },
];

// ---------------------------------------------------------------------------------
// Seed 001: mail between two co-resident VMs (XENVMC)

/** Bytes of a MIME mail carrying a file of `fileBytes`: base64 (76-column lines, CRLF) plus headers. */
export function mailWireBytes(fileBytes: number): number {
  const b64 = 4 * Math.ceil(fileBytes / 3);
  return b64 + 2 * Math.ceil(b64 / 76) + MAIL_HEADER_BYTES;
}

/** Headers, MIME boundaries and the SMTP dialogue of one mail, bytes (assumed). */
const MAIL_HEADER_BYTES = 2048;
/** TCP/IP headers per packet (IPv4 20 + TCP 20 + timestamps 12). */
const TCPIP_HEADER_BYTES = 52;

interface MailPlan {
  mails: number;
  wire: number;
  cycleS: number;
  rxS: number;
  txS: number;
  overheadS: number;
  startS: number;
  repeat: boolean;
  endS: number;
}

function mailPlan(o: GenOptions): MailPlan {
  const n = v<number>(o, 'users');
  const wire = mailWireBytes(v<number>(o, 'file-size'));
  const bw = v<number>(o, 'comm-bandwidth');
  const rxS = wire / bw;
  const txS = v<boolean>(o, 'fetch') ? wire / bw : 0;
  const overheadS = v<number>(o, 'mail-overhead');
  const cycleS = overheadS + rxS + txS;
  const startS = v<number>(o, 'load-start');
  const repeat = v<boolean>(o, 'repeat');
  const mails = n * n;
  return { mails, wire, cycleS, rxS, txS, overheadS, startS, repeat, endS: repeat ? Infinity : startS + mails * cycleS };
}

const mail: Workload = {
  id: 'mail',
  summary: 'n users mail each other a file (n² mails) from VM2 to the migrated mail server VM1 on the same host (Charchekhandra, PMTCS 2023)',
  follows: 'Charchekhandra, "The XENVMC communication protocol to improve the efficiency of live migration for co-resident virtual machines", PMTCS 2023, doi:10.54216/PMTCS.010103 (cited in full in docs/reproductions.md#the-papers): XENVMC/Advance-XENVMC, Mclient sending n×n mails with 1 MB or 3 MB attachments',
  defaults: { mem: '1GiB', duration: '60s' },
  columns: { comm: true },
  params: [
    { name: 'users', kind: 'int', default: 20, min: 1, doc: "n of the paper's Mclient: n users each mail every user, n² mails (paper: 4, 8, 12, 16, 20)" },
    { name: 'file-size', kind: 'size', default: '1MB', min: 0, doc: 'attached file (paper: 1 MB, 3 MB); sent base64-encoded in a MIME mail' },
    { name: 'mail-overhead', kind: 'duration', default: '50ms', min: 0, doc: 'fixed time per mail: starting mail(1), the SMTP dialogue, queueing' },
    { name: 'comm-bandwidth', kind: 'bitrate', default: '1Gbit', min: 0, minExclusive: true, doc: 'throughput of the netfront–netback path between the two co-resident VMs' },
    { name: 'fetch', kind: 'boolean', default: true, doc: "VM2 also fetches each mail back from VM1 (the paper's program 'sends and receives e-mails'), so the data crosses VM1's network buffers twice" },
    { name: 'repeat', kind: 'boolean', default: false, doc: 'run Mclient again whenever it finishes (a steady load), instead of once' },
    { name: 'load-start', kind: 'duration', default: '0s', min: 0, doc: 'when Mclient starts' },
    { name: 'mtu', kind: 'int', default: 1500, min: TCPIP_HEADER_BYTES + 1, doc: 'MTU: each received packet lands in its own page-sized receive buffer (Xen netfront), so smaller packets dirty more pages' },
    { name: 'net-buffers', kind: 'size-or-fraction', default: '16MiB', doc: "VM1's pages that cycle as network buffers (rx/tx ring slots, skbs, socket buffers): comm_pages are written round-robin here" },
    { name: 'page-cache', kind: 'size-or-fraction', default: '25%', doc: 'page cache holding the mail store and queue: each received mail is written here once (round-robin as the cache recycles)' },
    { name: 'server-ws', kind: 'size-or-fraction', default: '8MiB', doc: "mail server processes' buffers: each received mail makes as many random writes here as it has pages" },
    ...BG_PARAMS('64MiB', 500, 'guest kernel, mail server and other daemons at rest'),
  ],
  check(o) {
    const need = ['net-buffers', 'page-cache', 'server-ws'];
    for (const name of need) if (pagesOf(o, v(o, name)) < 1) fail('usage', `--${name}: must hold at least one page`);
    const p = mailPlan(o);
    if (!(p.cycleS > 0)) fail('usage', '--mail-overhead: a mail must take some time (overhead 0 and an empty file)');
    mailLayout(o).check();
  },
  describe(o) {
    const p = mailPlan(o);
    const end = p.repeat ? 'repeating until the end' : `until ${+p.endS.toFixed(3)} s`;
    return `mail (Charchekhandra, PMTCS 2023): ${v(o, 'users')} users → ${p.mails} mails with a ${v(o, 'file-size')} B file (${p.wire} B on the wire) from VM2 to VM1${v(o, 'fetch') ? ' and fetched back' : ''}, one every ${+(p.cycleS * 1000).toFixed(3)} ms from ${p.startS} s ${end}; comm_pages: VM1 network buffers`;
  },
  generate(o, emit) {
    const rng = new Rng(o.seed, 'mail');
    const L = mailLayout(o);
    const p = mailPlan(o);
    const bgCount = arrivals(o, rng.fork('bg-count'), v<number>(o, 'bg-rate'));
    const rSrv = rng.fork('server');
    const perPage = pagesOf(o, p.wire);
    const rxPackets = Math.ceil(p.wire / (v<number>(o, 'mtu') - TCPIP_HEADER_BYTES));
    const txPages = p.txS > 0 ? perPage : 0;
    // Cumulative count of a per-mail quantity done by time t: whole mails plus the
    // share of the current mail's phase [offset, offset + len) that has elapsed.
    const done = (tS: number, offset: number, len: number, perMail: number): number => {
      const x = tS - p.startS;
      if (x <= 0) return 0;
      const m = Math.floor(x / p.cycleS);
      if (!p.repeat && m >= p.mails) return p.mails * perMail;
      const within = x - m * p.cycleS;
      const frac = len > 0 ? Math.min(1, Math.max(0, (within - offset) / len)) : within >= offset ? 1 : 0;
      return m * perMail + Math.floor(frac * perMail + 1e-9);
    };
    const rxAt = (t: number, per: number) => done(t, p.overheadS, p.rxS, per);
    const txAt = (t: number) => done(t, p.overheadS + p.rxS, p.txS, txPages);
    eachEpoch(o, emit, (out, t0us, t1us, dt) => {
      const t0 = t0us / 1e6;
      const t1 = t1us / 1e6;
      out.random(L.bg, bgCount(dt), rng);
      // Network buffers: received packets, then the pages sent back when VM2 fetches the mail.
      const c0 = rxAt(t0, rxPackets) + txAt(t0);
      const c1 = rxAt(t1, rxPackets) + txAt(t1);
      out.ring(L.net, c0, c1 - c0, Tag.Comm);
      // The mail store (queue file, mailbox) in the page cache, written as the mail arrives.
      const s0 = rxAt(t0, perPage);
      const s1 = rxAt(t1, perPage);
      out.ring(L.cache, s0, s1 - s0);
      // The server processes' buffers the message passes through.
      out.random(L.server, s1 - s0, rSrv);
    });
  },
};

function mailLayout(o: GenOptions) {
  const L = new Layout(o);
  const regions = {
    bg: L.region('background', pagesOf(o, v(o, 'bg-size'))),
    server: L.region('server-ws', pagesOf(o, v(o, 'server-ws'))),
    net: L.region('net-buffers', pagesOf(o, v(o, 'net-buffers'))),
    cache: L.region('page-cache', pagesOf(o, v(o, 'page-cache'))),
  };
  return Object.assign(regions, { check: () => L.check() });
}

// ---------------------------------------------------------------------------------
// Seed 004: an HD MP4 video streaming process as the IMMP

/** Width and height from '1280x720' or '720p'. */
export function parseResolution(what: string, text: string): [number, number] {
  const named: Record<string, [number, number]> = { '480p': [854, 480], '720p': [1280, 720], '1080p': [1920, 1080], '2160p': [3840, 2160] };
  const t = String(text).trim().toLowerCase();
  if (named[t]) return named[t]!;
  const m = /^([0-9]+)x([0-9]+)$/.exec(t);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) return fail('usage', `${what}: cannot read '${text}' (expected WIDTHxHEIGHT, e.g. 1280x720, or 480p/720p/1080p/2160p)`);
  return [Number(m[1]), Number(m[2])];
}

function videoLayout(o: GenOptions) {
  const [w, h] = parseResolution('--resolution', v(o, 'resolution'));
  const framePages = pagesOf(o, w * h * 1.5); // decoded YUV 4:2:0 picture
  const displayPages = pagesOf(o, w * h * 4); // RGB32 picture for display
  const L = new Layout(o);
  const regions = {
    framePages,
    displayPages,
    bg: L.region('background', pagesOf(o, v(o, 'bg-size'))),
    net: L.region('net-buffers', pagesOf(o, v(o, 'net-buffers'))),
    stream: L.region('stream-buffer', pagesOf(o, v(o, 'stream-buffer'))),
    dpb: L.region('decoded-frames', framePages * v<number>(o, 'decode-buffers')),
    display: L.region('display-frames', displayPages * v<number>(o, 'display-buffers')),
  };
  return Object.assign(regions, { check: () => L.check() });
}

const videoStream: Workload = {
  id: 'video-stream',
  summary: 'an HD MP4 streaming player (the IMMP) decoding frames at a frame rate and buffering the stream at its bitrate (the IMMP vCPU-limit paper)',
  follows: 'the IMMP vCPU-limit paper (limits the vCPU share of the process that intensively modifies memory pages during pre-copy; XenServer 6.5, 1-vCPU Ubuntu 12.04 VM of 490.7 MB, HD video streaming over a 100 Mbit/s LAN; docs/reproductions.md#the-papers)',
  defaults: { mem: '512MiB', duration: '120s' },
  columns: { immp: true },
  params: [
    { name: 'resolution', kind: 'resolution', default: '1280x720', doc: 'video size, WIDTHxHEIGHT or 480p/720p/1080p/2160p (paper: "HD")' },
    { name: 'fps', kind: 'number', default: 25, min: 0, doc: 'frames decoded per second (0: the player is idle)' },
    { name: 'bitrate', kind: 'bitrate', default: '4Mbit', min: 0, doc: 'stream bitrate: bytes arriving from the network per second (0: none)' },
    { name: 'decode-buffers', kind: 'int', default: 8, min: 1, doc: 'decoded pictures (YUV 4:2:0) the decoder cycles through: reference frames plus the output queue' },
    { name: 'display-buffers', kind: 'int', default: 0, min: 0, doc: 'RGB32 pictures the player converts each frame into for display (0: none, e.g. hardware overlay)' },
    { name: 'stream-buffer', kind: 'size', default: '8MiB', min: 0, minExclusive: true, doc: "the player's input buffer: compressed stream written round-robin at the bitrate" },
    { name: 'net-buffers', kind: 'size-or-fraction', default: '4MiB', doc: "guest kernel's network receive buffers for the stream (one page per packet, round-robin); not the IMMP's" },
    { name: 'mtu', kind: 'int', default: 1500, min: TCPIP_HEADER_BYTES + 1, doc: 'MTU of the incoming stream: packets per received byte' },
    ...BG_PARAMS('32MiB', 300, 'guest kernel and daemons, not the player'),
  ],
  check(o) {
    parseResolution('--resolution', v(o, 'resolution'));
    if (pagesOf(o, v(o, 'net-buffers')) < 1) fail('usage', '--net-buffers: must hold at least one page');
    videoLayout(o).check();
  },
  describe(o) {
    const L = videoLayout(o);
    return `video-stream (the IMMP vCPU-limit paper): ${v(o, 'resolution')} at ${v(o, 'fps')} fps, ${(v<number>(o, 'bitrate') * 8) / 1e6} Mbit/s; immp_pages: the player's ${v(o, 'decode-buffers')} decoded pictures of ${L.framePages} pages, ${v(o, 'display-buffers')} display pictures of ${L.displayPages} pages and a ${L.stream.size}-page stream buffer; background ${v(o, 'bg-rate')} writes/s over ${L.bg.size} pages plus network buffers`;
  },
  generate(o, emit) {
    const rng = new Rng(o.seed, 'video-stream');
    const L = videoLayout(o);
    const fps = v<number>(o, 'fps');
    const bitrate = v<number>(o, 'bitrate');
    const payload = v<number>(o, 'mtu') - TCPIP_HEADER_BYTES;
    const dpbCount = v<number>(o, 'decode-buffers');
    const dispCount = v<number>(o, 'display-buffers');
    const bgCount = arrivals(o, rng.fork('bg-count'), v<number>(o, 'bg-rate'));
    const framesBy = (tUs: number) => Math.ceil((tUs * fps) / 1e6 - 1e-9); // frames k with k/fps < t
    eachEpoch(o, emit, (out, t0, t1, dt) => {
      out.random(L.bg, bgCount(dt), rng);
      const b0 = (t0 / 1e6) * bitrate;
      const b1 = (t1 / 1e6) * bitrate;
      // Kernel receive buffers: one page per packet.
      const k0 = Math.floor(b0 / payload);
      out.ring(L.net, k0, Math.floor(b1 / payload) - k0);
      // The player's stream buffer: every page the epoch's bytes touch.
      if (b1 > b0) {
        const p0 = Math.floor(b0 / o.pageSize);
        out.ring(L.stream, p0, Math.ceil(b1 / o.pageSize) - p0, Tag.Immp);
      }
      // Each decoded frame fills the next decoded picture, then the next display picture.
      const f0 = framesBy(t0);
      const f1 = framesBy(t1);
      for (let f = f0; f < Math.min(f1, f0 + dpbCount); f++) out.ring(L.dpb, (f % dpbCount) * L.framePages, L.framePages, Tag.Immp);
      for (let f = f0; f < Math.min(f1, f0 + dispCount); f++) out.ring(L.display, (f % dispCount) * L.displayPages, L.displayPages, Tag.Immp);
    });
  },
};

// ---------------------------------------------------------------------------------
// Registry, option resolution, trace writing

/** Every workload `migreplay gen` knows, by id. */
export const workloads: readonly Workload[] = [uniform, hotcold, zipf, phases, hotpages, mail, videoStream];

/** The workload with this id, or undefined. */
export function findWorkload(id: string): Workload | undefined {
  return workloads.find((w) => w.id === id);
}

/** The default of a common parameter for a workload. */
export function commonDefault(w: Workload, spec: GenParamSpec): GenParamSpec['default'] {
  return (w.defaults as Record<string, string> | undefined)?.[spec.name] ?? spec.default;
}

function parseCount(what: string, raw: string | number): number {
  if (typeof raw === 'number') return raw;
  const m = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmg]?)\s*(?:\/s)?$/i.exec(String(raw).trim());
  if (!m) return fail('bad-unit', `${what}: cannot read '${raw}' (expected a count per second, e.g. 20000, 2e4, 20k)`);
  return Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6, g: 1e9 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

function parseNumber(what: string, raw: string | number): number {
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if ((typeof raw === 'string' && raw.trim() === '') || !Number.isFinite(value)) fail('usage', `${what}: '${raw}' is not a number`);
  return value;
}

/** One parameter's value from what the user gave. */
export function parseGenParam(spec: GenParamSpec, raw: string | number | boolean, memBytes: number): GenValue {
  const what = `--${spec.name}`;
  let value: number;
  switch (spec.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const t = String(raw).trim().toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(t)) return true;
      if (['false', 'no', '0', 'off'].includes(t)) return false;
      return fail('usage', `${what}: '${raw}' is not true or false`);
    }
    case 'choice': {
      const t = String(raw);
      if (!spec.choices!.includes(t)) fail('usage', `${what}: '${t}' is not one of ${spec.choices!.join(', ')}`);
      return t;
    }
    case 'resolution': {
      const [w, h] = parseResolution(what, String(raw));
      return `${w}x${h}`;
    }
    case 'size': value = parseSize(what, raw as string | number); break;
    case 'size-or-fraction': {
      const t = String(raw).trim();
      if (t.endsWith('%')) value = (parseNumber(what, t.slice(0, -1)) / 100) * memBytes;
      else if (/^[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?$/i.test(t) && Number(t) <= 1) value = Number(t) * memBytes;
      else value = parseSize(what, raw as string | number);
      if (!(value > 0)) fail('usage', `${what}: '${raw}' must be above 0`);
      if (value > memBytes) fail('usage', `${what}: '${raw}' is more than --mem`);
      return value;
    }
    case 'count-rate': value = parseCount(what, raw as string | number); break;
    case 'bitrate': value = parseRate(what, raw as string | number); break;
    case 'duration': value = parseDuration(what, raw as string | number); break;
    case 'fraction': {
      const t = String(raw).trim();
      value = t.endsWith('%') ? parseNumber(what, t.slice(0, -1)) / 100 : parseNumber(what, raw as string | number);
      if (value < 0 || value > 1) fail('usage', `${what}: '${raw}' is not between 0 and 1 (or 0 % and 100 %)`);
      break;
    }
    case 'int':
    case 'number':
      value = parseNumber(what, raw as string | number);
      if (spec.kind === 'int' && !Number.isSafeInteger(value)) fail('usage', `${what}: '${raw}' is not a whole number`);
      break;
  }
  if (!Number.isFinite(value)) fail('usage', `${what}: '${raw}' is out of range`);
  if (spec.min !== undefined && (value < spec.min || (spec.minExclusive && value === spec.min))) {
    fail('usage', `${what}: '${raw}' must be ${spec.minExclusive ? 'above' : 'at least'} ${spec.min}`);
  }
  if (spec.max !== undefined && value > spec.max) fail('usage', `${what}: '${raw}' must be at most ${spec.max}`);
  return value;
}

/** Given values: by kebab-case name or camelCase key; undefined means not given. */
export type GenGiven = Record<string, string | number | boolean | undefined>;

/** Check and resolve a workload's options (common ones too) from what was given. */
export function resolveOptions(workload: Workload | string, given: GenGiven = {}): GenOptions {
  const w = typeof workload === 'string' ? findWorkload(workload) : workload;
  if (!w) return fail('usage', `gen: unknown workload '${workload}' (known: ${workloads.map((x) => x.id).join(', ')})`);
  const explicit = new Set<string>();
  const rawOf = (spec: GenParamSpec, dflt: GenParamSpec['default']) => {
    const raw = given[spec.name] ?? given[paramKey(spec.name)];
    if (raw !== undefined) explicit.add(spec.name);
    return raw ?? dflt;
  };
  const known = new Set([...COMMON_PARAMS, ...w.params].flatMap((p) => [p.name, paramKey(p.name)]));
  for (const [k, val] of Object.entries(given)) {
    if (val !== undefined && !known.has(k)) fail('usage', `gen ${w.id}: unknown option '${k}' (its options: ${w.params.map((p) => p.name).join(', ') || 'none'})`);
  }
  const textParts: string[] = [w.id];
  const common: Record<string, GenValue> = {};
  for (const spec of COMMON_PARAMS) {
    const raw = rawOf(spec, commonDefault(w, spec))!;
    common[spec.name] = parseGenParam(spec, raw, 0);
    textParts.push(`${spec.name}=${raw}`);
  }
  const memBytes = common.mem as number;
  const pageSize = common['page-size'] as number;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) fail('usage', `--page-size: '${pageSize}' is not a whole number of bytes ≥ 1`);
  const memPages = Math.floor(memBytes / pageSize);
  if (memPages < 1) fail('usage', `--mem: ${memBytes} B is less than one page of ${pageSize} B`);
  if (memPages > MAX_MEM_PAGES) fail('usage', `--mem: ${memPages} pages is beyond what a replay can hold (at most ${MAX_MEM_PAGES})`);
  const intervalUs = Math.round((common.interval as number) * 1e6);
  if (intervalUs < 1) fail('usage', '--interval: must be at least 1 µs');
  const durationUs = Math.round((common.duration as number) * 1e6);
  if (durationUs < 1) fail('usage', '--duration: must be at least 1 µs');
  const values: Record<string, GenValue> = {};
  for (const spec of w.params) {
    const raw = rawOf(spec, spec.default);
    values[paramKey(spec.name)] = raw === undefined ? undefined : parseGenParam(spec, raw, memPages * pageSize);
    if (raw !== undefined) textParts.push(`${spec.name}=${raw}`);
  }
  const o: GenOptions = {
    workload: w.id, memBytes, memPages, pageSize, intervalUs, durationUs,
    epochs: Math.ceil(durationUs / intervalUs),
    seed: common.seed as number,
    layout: common.layout as 'scatter' | 'linear',
    values, explicit, text: textParts.join(' '),
  };
  w.check?.(o);
  return o;
}

/** The trace header a generation run writes. */
export function generatedHeader(w: Workload, o: GenOptions): TraceHeader {
  return {
    memPages: o.memPages,
    pageSize: o.pageSize,
    intervalUs: o.intervalUs,
    durationUs: o.durationUs,
    source: 'synthetic',
    workload: o.text,
    description: w.describe(o),
    extra: { generator: 'migreplay gen' },
    hasComm: Boolean(w.columns?.comm),
    hasImmp: Boolean(w.columns?.immp),
  };
}

/** What a generation run wrote. */
export interface GenResult {
  options: GenOptions;
  header: TraceHeader;
  epochs: number;
  /** Page writes: the sum of pages per epoch. */
  events: number;
}

/**
 * Generate a workload's trace into a byte sink (Arrow IPC file form by default).
 * ZSTD compression needs enableZstdEncoder() to have been awaited first.
 */
export function generateTrace(id: string | Workload, options: GenGiven, sink: (chunk: Uint8Array) => void, writerOptions: TraceWriterOptions = {}): GenResult {
  const w = typeof id === 'string' ? findWorkload(id) : id;
  if (!w) return fail('usage', `gen: unknown workload '${id}' (known: ${workloads.map((x) => x.id).join(', ')})`);
  const o = resolveOptions(w, options);
  const header = generatedHeader(w, o);
  const writer = new TraceWriter(sink, header, writerOptions);
  const comm = header.hasComm;
  const immp = header.hasImmp;
  w.generate(o, (t, pages, c, i) => writer.epoch(t, pages, comm ? c : undefined, immp ? i : undefined));
  writer.close();
  return { options: o, header, epochs: writer.epochs, events: writer.events };
}
