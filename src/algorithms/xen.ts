// xen — the legacy Xen save loop, tools/libxc/xc_domain_save.c (Xen 3.x–4.x):
//   #define DEF_MAX_ITERS   29   /* limit us to 30 times round loop */
//   #define DEF_MAX_FACTOR   3   /* never send more than 3x p2m_size */
//   MAX_BATCH_SIZE 1024 (xg_save_restore.h)
// Each live pass walks the pfns in ascending order in batches of up to 1024 pages to
// send; before each batch it PEEKs the dirty log into to_skip, and a page of to_send
// already re-dirtied in this pass is skipped (skip_this_iter++) — the dirty log holds
// it, so the next pass sends it. After the pass:
//   if ((iter >= max_iters) || (sent_this_iter+skip_this_iter < 50) ||
//       (total_sent > p2m_size*max_factor)) last_iter = 1;
// then CLEAN makes the dirty log the next to_send. The last pass skips nothing.
// (RATE_IS_MAX() is defined 0 without ADAPTIVE_SAVE, so its clause is dead.)
import { DIRTY, SEND, type Engine } from '../engine/engine.js';
import { runPrecopy, sendDirtied } from '../engine/precopy.js';
import type { Algorithm } from './types.js';

/** One live pass in Xen's batches, skipping pages re-dirtied before their batch. */
function sendWithSkips(e: Engine, batchPages: number): { sent: number; skipped: number } {
  const k = e.kernel;
  let sent = 0;
  let skipped = 0;
  for (let n = 0; n < e.memPages; ) {
    e.runTo(e.now); // PEEK: DIRTY now holds every page dirtied so far in this pass
    const end = k.advanceAndNot(SEND, DIRTY, n, batchPages);
    const skip = k.popcountAndRange(SEND, DIRTY, n, end);
    const batch = k.popcountAndRange(SEND, SEND, n, end) - skip;
    skipped += skip;
    sent += batch;
    e.send(batch);
    n = end;
  }
  return { sent, skipped };
}

export const xen: Algorithm = {
  id: 'xen',
  family: 'precopy',
  source: 'Xen tools/libxc/xc_domain_save.c (legacy save loop, Xen 3.x–4.x)',
  summary: 'Xen pre-copy: ≤ 29 live rounds, stop when sent+skipped < 50 or sent > 3×memory; skips re-dirtied pages per 1024-page batch',
  params: [
    { name: 'max-iters', kind: 'int', default: 29, min: 1, unit: 'rounds', doc: 'live rounds at most (DEF_MAX_ITERS)' },
    { name: 'max-factor', kind: 'number', default: 3, min: 0, unit: '× memory', doc: 'end the live phase once total sent > max-factor × memory (DEF_MAX_FACTOR)' },
    { name: 'min-sent', kind: 'int', default: 50, min: 0, unit: 'pages', doc: 'end the live phase when a round sent + skipped fewer pages' },
    { name: 'batch-pages', kind: 'int', default: 1024, min: 1, unit: 'pages', doc: 'pages per batch; the dirty log is peeked before each (MAX_BATCH_SIZE)' },
  ],
  run(e, p) {
    const maxIters = p.maxIters as number;
    const maxFactor = p.maxFactor as number;
    const minSent = p.minSent as number;
    const batchPages = p.batchPages as number;
    return runPrecopy(e, 'xen', p, {
      sendRound: (eng) => sendWithSkips(eng, batchPages),
      afterRound(eng, round) {
        if (round.index + 1 >= maxIters) return { stop: 'max-iterations' };
        if (round.pagesSent + round.pagesSkipped < minSent) return { stop: 'sent-plus-skipped-below-min' };
        if (eng.pagesSent > eng.memPages * maxFactor) return { stop: 'sent-over-max-factor' };
        sendDirtied(eng);
        return {};
      },
    });
  },
};
