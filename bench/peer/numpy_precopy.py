#!/usr/bin/env python3
"""The numpy peer of `migreplay replay T --algo precopy --within-epoch start`: the same
model (docs/model.md, src/algorithms/precopy.ts) over the same arrays, as a researcher
would write it with numpy in an afternoon. The arrays are the trace's t_us, global page
offsets and page numbers, exported once by bench/wrapping.mjs as raw little-endian
files (numpy reads them straight from disk: no Arrow decoding, in the peer's favour).

    python3 bench/peer/numpy_precopy.py DIR BANDWIDTH_BYTES_PER_S [MAX_ITERS] [STOP_BYTES]

Prints one JSON line: pagesSent, totalTimeS, downtimeMs, iterations, stopReason.
"""
import json
import sys

import numpy as np


def main():
    folder, bw = sys.argv[1], float(sys.argv[2])
    max_iters = int(sys.argv[3]) if len(sys.argv) > 3 else 29
    stop_bytes = float(sys.argv[4]) if len(sys.argv) > 4 else 256 * 1024
    meta = json.load(open(f"{folder}/meta.json"))
    mem_pages, page_size, period = meta["memPages"], meta["pageSize"], meta["durationUs"]
    t = np.fromfile(f"{folder}/t_us.bin", dtype="<i8")
    off = np.fromfile(f"{folder}/offsets.bin", dtype="<i8")
    pages = np.fromfile(f"{folder}/pages.bin", dtype="<u4")
    every = None  # the pages a whole pass writes, computed on the first whole pass

    def mark(dirty, lo, hi):
        # The writes of every epoch whose (unwrapped) start lies in [lo, hi).
        nonlocal every
        k = int(lo // period)
        while k * period < hi:
            base = k * period
            i0 = np.searchsorted(t, lo - base, side="left") if lo > base else 0
            i1 = np.searchsorted(t, hi - base, side="left")
            if i0 == 0 and i1 == len(t):
                if every is None:
                    every = np.unique(pages)
                dirty[every] = True
            elif i1 > i0:
                dirty[pages[off[i0]:off[i1]]] = True
            k += 1

    dirty = np.zeros(mem_pages, dtype=bool)
    now = 0.0
    sent = 0
    send = mem_pages  # round 0 sends every page
    rounds = 0
    while True:
        dirty[:] = False
        start = now
        now = now + (send * page_size * 1e6) / bw
        sent += send
        mark(dirty, start, now)
        rounds += 1
        send = int(np.count_nonzero(dirty))
        if send * page_size < stop_bytes:
            reason = "dirty-below-stop-bytes"
            break
        if rounds >= max_iters:
            reason = "max-iterations"
            break
    final = send  # stop-and-copy: what the last round dirtied
    pause = (final * page_size * 1e6) / bw
    now += pause
    sent += final
    print(json.dumps({"pagesSent": sent, "totalTimeS": now / 1e6, "downtimeMs": pause / 1e3, "iterations": rounds, "stopReason": reason}))


if __name__ == "__main__":
    main()
