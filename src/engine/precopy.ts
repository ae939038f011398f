// The pre-copy round loop every pre-copy algorithm shares: round 0 sends every page,
// each later live round sends what the policy put in SEND, and when the policy names
// a stop reason the guest is paused and the rest (DIRTY ∪ DEFER by default) is sent.
import type { Bitmap } from '../kernel/types.js';
import { DEFER, DIRTY, SEND, TMP, type Engine } from './engine.js';
import type { ReplayResult, RoundRecord } from './types.js';

/** What a pre-copy algorithm decides after a live round. */
export type RoundDecision =
  /** Go on: SEND holds the next round's pages; `deferred` of the pages due were held back for the final round. */
  | { stop?: undefined; deferred?: number }
  /** End the live phase for this reason. */
  | { stop: string };

/** The rules of one pre-copy algorithm over the shared loop. */
export interface PrecopyPolicy {
  /** Send the pages of SEND during live round `index`; default: all of them back to back. */
  sendRound?(e: Engine, index: number): { sent: number; skipped: number };
  /** After live round `round`: stop, or fill SEND for the next round. */
  afterRound(e: Engine, round: RoundRecord): RoundDecision;
  /** Pages the stop-and-copy round sends; default |DIRTY ∪ DEFER|. */
  finalPages?(e: Engine): number;
  /** Replace stop-and-copy (hybrid switches to post-copy here). */
  switchover?(e: Engine, stopReason: string): ReplayResult;
}

/** Send every page of SEND in one go. */
export function sendAll(e: Engine): { sent: number; skipped: number } {
  const n = e.kernel.popcount(SEND);
  e.send(n);
  return { sent: n, skipped: 0 };
}

/** The textbook next round: send what was dirtied during this one. */
export function sendDirtied(e: Engine): void {
  e.kernel.copy(SEND, DIRTY);
}

/** Run the pre-copy loop under `policy` and return the result. */
export function runPrecopy(e: Engine, algorithm: string, params: Record<string, number | string | boolean>, policy: PrecopyPolicy): ReplayResult {
  const k = e.kernel;
  k.fill(SEND);
  let deferred = 0;
  for (let index = 0; ; index++) {
    e.beginRound();
    const { sent, skipped } = policy.sendRound ? policy.sendRound(e, index) : sendAll(e);
    const round = e.endRound(sent, skipped, deferred);
    const decision = policy.afterRound(e, round);
    if (decision.stop !== undefined) {
      if (policy.switchover) return policy.switchover(e, decision.stop);
      let final: number;
      if (policy.finalPages) final = policy.finalPages(e);
      else {
        k.or(TMP, DIRTY, DEFER);
        final = k.popcount(TMP);
      }
      return e.stopAndCopy(algorithm, params, final, decision.stop);
    }
    deferred = decision.deferred ?? 0;
  }
}

/** Hold back the dirtied pages that are in `hot` for the final round: DEFER |= DIRTY ∩ hot, SEND = DIRTY ∖ DEFER; returns how many were due but held. */
export function deferHot(e: Engine, hot: Bitmap): number {
  const k = e.kernel;
  k.and(TMP, DIRTY, hot);
  k.or(DEFER, DEFER, TMP);
  k.andNot(SEND, DIRTY, DEFER);
  k.and(TMP, DIRTY, DEFER);
  return k.popcount(TMP);
}

/** The pre-copy stop rule of the XENVMC paper (Charchekhandra, PMTCS 2023, §6) over what the next round would send: fewer than stopBytes, or maxIters live rounds done. */
export function stopRule(e: Engine, round: RoundRecord, maxIters: number, stopBytes: number): string | undefined {
  if (e.kernel.popcount(SEND) * e.pageSize < stopBytes) return 'dirty-below-stop-bytes';
  if (round.index + 1 >= maxIters) return 'max-iterations';
  return undefined;
}
