// Issue 3's acceptance: on each seed workload, every algorithm gives identical results
// under the wasm kernel and the TypeScript reference (small, fast versions of each).
import { describe, expect, it } from 'vitest';
import { algorithms } from '../src/algorithms/index.js';
import { replay } from '../src/run/replay.js';
import { createKernel } from '../src/kernel/node.js';
import { generateTrace } from '../src/trace/generate.js';
import { bytesSource, openTrace } from '../src/trace/read.js';

const WORKLOADS: [string, Record<string, string | number>][] = [
  ['hotpages', { mem: '16MiB', duration: '4s' }],
  ['mail', { mem: '32MiB', duration: '4s', users: 8, 'net-buffers': '2MiB', 'bg-size': '4MiB', 'server-ws': '1MiB' }],
  ['video-stream', { mem: '32MiB', duration: '4s', 'stream-buffer': '2MiB', 'net-buffers': '1MiB', 'bg-size': '4MiB' }],
];

describe('wasm and js kernels agree on the seed workloads', () => {
  const [wasm, js] = [createKernel('wasm'), createKernel('js')];
  it.each(WORKLOADS)('%s: every algorithm, byte-identical results', (id, options) => {
    const chunks: Uint8Array[] = [];
    generateTrace(id, { ...options, seed: 5 }, (c) => chunks.push(c.slice()));
    const trace = openTrace(bytesSource(id, Buffer.concat(chunks)));
    const link = { bandwidthBytesPerS: 12.5e6 * 4 };
    for (const a of algorithms) {
      const params = { maxTime: '20s' };
      const own = Object.fromEntries(Object.entries(params).filter(([k]) => a.params.some((p) => p.name === 'max-time') || k !== 'maxTime'));
      const w = replay(trace, a, wasm, link, own);
      const j = replay(trace, a, js, link, own);
      expect(JSON.stringify(j), `${id}: ${a.id}`).toBe(JSON.stringify(w));
    }
  }, 60_000);
});
