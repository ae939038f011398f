/* The log-dirty loop: enable the source's dirty log, read-and-clear its bitmap every
 * interval, send each bitmap as an epoch (epoch.c, the code the Linux path uses),
 * and turn the log off at the end — after the duration, on SIGINT/SIGTERM/SIGHUP,
 * or when the guest goes away. Xen (xen.c) and the test source (fakelog.c) plug in
 * through struct dirtylog. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"

static struct dirtylog *active;
static int enabled;

static void cleanup(void) {
  if (!active) return;
  if (enabled && active->disable(active)) debugf("turning the dirty log off failed");
  enabled = 0;
  active->close(active);
  active = NULL;
}

static const char *signame(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "";
}

int run_logdirty(struct dirtylog *dl, const struct capture_opts *o) {
  uint64_t mem_pages = 0, nbits = 0;
  active = dl;
  set_fail_cleanup(cleanup);
  if (dl->open(dl, &mem_pages, &nbits)) failf(EXIT_FAILED, FAIL_FAILED, "cannot open the dirty log");
  if (dl->enable(dl)) failf(EXIT_FAILED, FAIL_FAILED, "cannot enable the dirty log");
  enabled = 1;
  uint64_t *words = NULL;
  /* Pages dirtied before t = 0 are not part of the trace. */
  int r = dl->clean(dl, &words);
  if (r) failf(EXIT_FAILED, FAIL_FAILED, "the first read of the dirty log failed");

  char desc[1024] = "";
  dl->describe(dl, desc, sizeof desc);
  int64_t t0 = mono_ns();
  proto_text("HELO", "version=%d\nsource=%s\npage_size=4096\ninterval_us=%lld\nmode=logdirty\nt0_monotonic_ns=%lld\n"
                     "numbering=frame\nbitmap_pages=%llu\n%s",
             CAPTURE_PROTOCOL_VERSION, dl->source, (long long)o->interval_us, (long long)t0,
             (unsigned long long)nbits, desc);

  const int64_t interval_ns = o->interval_us * 1000;
  const int64_t stop_at = o->duration_us > 0 ? t0 + o->duration_us * 1000 : -1;
  int64_t next = t0 + interval_ns, start_us = 0;
  const char *stopped_by = NULL;
  int stop_signal = 0;
  for (;;) {
    int64_t deadline = stop_at >= 0 && stop_at < next ? stop_at : next;
    int sig = wait_signal_until(deadline);
    int64_t now = mono_ns();
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
      stopped_by = "signal";
      stop_signal = sig;
    } else if (proto_broken()) {
      stopped_by = "reader-gone";
    } else if (stop_at >= 0 && now >= stop_at) {
      stopped_by = "duration";
    } else if (now < next) {
      continue;
    }
    int64_t t = mono_ns();
    r = dl->clean(dl, &words);
    int64_t t1 = mono_ns();
    if (r == 1) {
      stopped_by = "target-exit"; /* the guest is gone: its last writes do not matter */
      enabled = 0;
      break;
    }
    if (r < 0) failf(EXIT_FAILED, FAIL_FAILED, "reading the dirty log failed");
    struct epoch_info ei = {.t_start_us = start_us, .t_end_us = (t - t0) / 1000, .mem_pages = mem_pages,
                            .scan_us = (uint32_t)((t1 - t) / 1000), .flags = stopped_by ? EPOCH_FINAL : 0};
    emit_epoch(words, nbits, &ei, 0);
    mem_pages = ei.mem_pages;
    start_us = ei.t_end_us;
    if (stopped_by) break;
    next += interval_ns;
    if (next < t1 + interval_ns / 4) next = t1 + interval_ns / 4; /* a slow read lengthens the epoch */
  }
  set_fail_cleanup(NULL);
  int off_failed = enabled && dl->disable(dl);
  enabled = 0;
  dl->close(dl);
  active = NULL;
  if (off_failed) notef("turning the dirty log off failed: the guest may still be in log-dirty mode");
  proto_text("DONE", "stopped_by=%s\nsignal=%s\nepochs=%llu\nevents=%llu\nmax_pages=%llu\nscan_us_mean=%llu\nscan_us_max=%llu\n",
             stopped_by, signame(stop_signal), (unsigned long long)totals.epochs, (unsigned long long)totals.events,
             (unsigned long long)totals.max_pages,
             (unsigned long long)(totals.epochs ? totals.scan_us_sum / totals.epochs : 0),
             (unsigned long long)totals.scan_us_max);
  return EXIT_OK;
}
