// mail (seed 001): mail between two co-resident VMs (XENVMC; Charchekhandra, PMTCS 2023).
import { fail } from '../../errors.js';
import { eachEpoch, Layout, pagesOf, Tag, v } from '../epochs.js';
import { Rng } from '../random.js';
import { arrivals, BG_PARAMS, TCPIP_HEADER_BYTES } from './shared.js';
import type { GenOptions, Workload } from './types.js';

/** Bytes of a MIME mail carrying a file of `fileBytes`: base64 (76-column lines, CRLF) plus headers. */
export function mailWireBytes(fileBytes: number): number {
  const b64 = 4 * Math.ceil(fileBytes / 3);
  return b64 + 2 * Math.ceil(b64 / 76) + MAIL_HEADER_BYTES;
}

/** Headers, MIME boundaries and the SMTP dialogue of one mail, bytes (assumed). */
const MAIL_HEADER_BYTES = 2048;

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

export const mail: Workload = {
  id: 'mail',
  summary: 'n users mail each other a file (n² mails) from VM2 to the migrated mail server VM1 on the same host (Charchekhandra, PMTCS 2023)',
  follows: 'Charchekhandra, "The XENVMC communication protocol to improve the efficiency of live migration for co-resident virtual machines", PMTCS 2023, doi:10.54216/PMTCS.010103 (cited in full in docs/reproductions.md#the-papers): XENVMC/Advance-XENVMC, Mclient sending n×n mails with 1 MB or 3 MB attachments',
  defaults: { mem: '1GiB', duration: '60s' },
  columns: { comm: true },
  params: [
    { name: 'users', kind: 'int', default: 20, min: 1, unit: 'users', doc: "n of the paper's Mclient: n users each mail every user, n² mails (paper: 4, 8, 12, 16, 20)" },
    { name: 'file-size', kind: 'size', default: '1MB', min: 0, doc: 'attached file (paper: 1 MB, 3 MB); sent base64-encoded in a MIME mail' },
    { name: 'mail-overhead', kind: 'duration', default: '50ms', min: 0, doc: 'fixed time per mail: starting mail(1), the SMTP dialogue, queueing' },
    { name: 'comm-bandwidth', kind: 'rate', default: '1Gbit', min: 0, minExclusive: true, doc: 'throughput of the netfront–netback path between the two co-resident VMs' },
    { name: 'fetch', kind: 'boolean', default: true, doc: "VM2 also fetches each mail back from VM1 (the paper's program 'sends and receives e-mails'), so the data crosses VM1's network buffers twice" },
    { name: 'repeat', kind: 'boolean', default: false, doc: 'run Mclient again whenever it finishes (a steady load), instead of once' },
    { name: 'load-start', kind: 'duration', default: '0s', min: 0, doc: 'when Mclient starts' },
    { name: 'mtu', kind: 'int', default: 1500, min: TCPIP_HEADER_BYTES + 1, unit: 'bytes', doc: 'MTU: each received packet lands in its own page-sized receive buffer (Xen netfront), so smaller packets dirty more pages' },
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
