// video-stream (seed 004): an HD MP4 video streaming process as the IMMP (the IMMP vCPU-limit paper).
import { fail } from '../../errors.js';
import { eachEpoch, Layout, pagesOf, Tag, v } from '../epochs.js';
import { Rng } from '../random.js';
import { arrivals, BG_PARAMS, TCPIP_HEADER_BYTES } from './shared.js';
import { parseResolution } from '../../params/index.js';
import type { GenOptions, Workload } from './types.js';

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

export const videoStream: Workload = {
  id: 'video-stream',
  summary: 'an HD MP4 streaming player (the IMMP) decoding frames at a frame rate and buffering the stream at its bitrate (the IMMP vCPU-limit paper)',
  follows: 'the IMMP vCPU-limit paper (limits the vCPU share of the process that intensively modifies memory pages during pre-copy; XenServer 6.5, 1-vCPU Ubuntu 12.04 VM of 490.7 MB, HD video streaming over a 100 Mbit/s LAN; docs/reproductions.md#the-papers)',
  defaults: { mem: '512MiB', duration: '120s' },
  columns: { immp: true },
  params: [
    { name: 'resolution', kind: 'resolution', default: '1280x720', doc: 'video size, WIDTHxHEIGHT or 480p/720p/1080p/2160p (paper: "HD")' },
    { name: 'fps', kind: 'number', default: 25, min: 0, unit: 'frames/s', doc: 'frames decoded per second (0: the player is idle)' },
    { name: 'bitrate', kind: 'rate', default: '4Mbit', min: 0, doc: 'stream bitrate: bytes arriving from the network per second (0: none)' },
    { name: 'decode-buffers', kind: 'int', default: 8, min: 1, unit: 'pictures', doc: 'decoded pictures (YUV 4:2:0) the decoder cycles through: reference frames plus the output queue' },
    { name: 'display-buffers', kind: 'int', default: 0, min: 0, unit: 'pictures', doc: 'RGB32 pictures the player converts each frame into for display (0: none, e.g. hardware overlay)' },
    { name: 'stream-buffer', kind: 'size', default: '8MiB', min: 0, minExclusive: true, doc: "the player's input buffer: compressed stream written round-robin at the bitrate" },
    { name: 'net-buffers', kind: 'size-or-fraction', default: '4MiB', doc: "guest kernel's network receive buffers for the stream (one page per packet, round-robin); not the IMMP's" },
    { name: 'mtu', kind: 'int', default: 1500, min: TCPIP_HEADER_BYTES + 1, unit: 'bytes', doc: 'MTU of the incoming stream: packets per received byte' },
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
