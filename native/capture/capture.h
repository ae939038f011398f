/* migreplay-capture: the native half of `migreplay capture`.
 *
 * It records which pages a target writes, epoch by epoch, and streams each finished
 * epoch to the TypeScript side (src/capture/) over a pipe, in the binary protocol of
 * docs/capture.md ("Helper protocol"). Sources:
 *   linux.c     a Linux process (--pid N or -- command…): soft-dirty bits, or
 *               userfaultfd asynchronous write-protect + PAGEMAP_SCAN
 *   logdirty.c  a log-dirty bitmap source, read and cleaned every interval:
 *   xen.c       Xen log-dirty mode through libxenctrl (only with Xen's headers)
 *   fakelog.c   bitmaps from a file, to test the log-dirty path without Xen
 * Shared: epoch.c (a page bitmap → one epoch record), pagenum.c (virtual page →
 * dense page number), proto.c (records, messages, the clock).
 */
#ifndef MIGREPLAY_CAPTURE_H
#define MIGREPLAY_CAPTURE_H

#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_PROTOCOL_VERSION 2

/* Exit statuses of the helper (the FAIL record says more). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNAVAILABLE = 3 };

/* FAIL record codes, read by the TypeScript side. */
#define FAIL_USAGE "usage"              /* bad input: no such process, command not found */
#define FAIL_UNAVAILABLE "unavailable"  /* this machine cannot capture: kernel, permissions, build */
#define FAIL_FAILED "failed"            /* the capture started and then failed */

/* ---------------------------------------------------------------- proto.c */
/* Records: 16-byte header (4 ASCII type bytes, u32 flags = 0, u64 payload length,
 * little-endian), then the payload. */
void proto_init(int fd);
/* Whether the reader has gone away (a write failed with EPIPE). */
int proto_broken(void);
void proto_record(const char type[4], const void *a, size_t alen, const void *b, size_t blen);
/* A record whose payload is text: key=value lines. */
void proto_text(const char type[4], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A NOTE record: a warning the user should see. */
void notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A FAIL record, the cleanup hook, then exit(status). */
_Noreturn void failf(int status, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Run before exiting on failure (stop or release the target, turn log-dirty off). */
void set_fail_cleanup(void (*fn)(void));
/* While j is set, failf puts its message in msg and jumps to j instead of ending the
 * capture (a child process that cannot be set up is left out, not the capture). */
void set_fail_jump(jmp_buf *j, char *msg, size_t len);
/* Debug lines on stderr when MIGREPLAY_CAPTURE_DEBUG is set. */
void debugf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CLOCK_MONOTONIC in nanoseconds. */
int64_t mono_ns(void);

/* ---------------------------------------------------------------- signals */
/* Signals the main loop waits for (blocked everywhere else): SIGCHLD, SIGINT,
 * SIGTERM, SIGHUP. Set up by main.c before any source runs. */
extern sigset_t wait_set;
/* Wait for one of wait_set until deadline_ns (CLOCK_MONOTONIC; <0 = 100 ms);
 * returns the signal, or 0 on timeout. */
int wait_signal_until(int64_t deadline_ns);

/* ---------------------------------------------------------------- epoch.c */
/* A growable bitmap over page numbers. */
typedef struct {
  uint64_t *w;
  uint64_t nwords;
} pagebits_t;

void pb_reserve(pagebits_t *b, uint64_t nbits);
static inline void pb_set(pagebits_t *b, uint64_t page) { b->w[page >> 6] |= 1ULL << (page & 63); }

#define EPOCH_FINAL 1u       /* the last epoch of the capture */
#define EPOCH_EXEC 2u        /* the target replaced its program image during the epoch */
#define EPOCH_HUGE 4u        /* some written pages were huge pages (reported whole) */

struct epoch_info {
  int64_t t_start_us;  /* epoch start, µs since the trace's t = 0 */
  int64_t t_end_us;    /* epoch end (= the next epoch's start) */
  uint64_t mem_pages;  /* in: the source's memory size; out: raised above the largest page */
  uint32_t scan_us;    /* how long reading the dirty log took */
  uint32_t rss_pages;  /* resident pages of the target at the scan, 0 if unknown */
  uint32_t flags;
};

/* Send the set bits of words[0 … nbits) as one EPOC record (ascending page numbers)
 * and, if clear, zero the words. Returns the number of pages. Shared by every source. */
uint64_t emit_epoch(uint64_t *words, uint64_t nbits, struct epoch_info *ei, int clear);

/* Totals over the emitted epochs (for the DONE record). */
struct epoch_totals {
  uint64_t epochs, events, max_pages, scan_us_sum, scan_us_max;
};
extern struct epoch_totals totals;

/* ---------------------------------------------------------------- pagenum.c */
/* Virtual page → dense page number, like a guest's page frame (docs/capture.md,
 * "Page numbers"): assigned on first sight, freed when the page's memory goes
 * away, reused lowest first. Assignments are reported in NUMB records. One map per
 * process (address space), all drawing on one number space; the calls below act on
 * the map in use. */
struct pagenum_map;
struct pagenum_map *pagenum_new(uint32_t pid);
/* Make m the map in use (NULL: a default map). */
void pagenum_use(struct pagenum_map *m);
/* Free m's numbers (its process is gone) and m itself. */
void pagenum_drop(struct pagenum_map *m);
/* Free every number of the map in use (a new program image), clearing them in `clear`. */
void pagenum_reset(pagebits_t *clear);
/* The page number of vpn, assigning the lowest free one if it has none. */
uint32_t pagenum_get(uint64_t vpn);
/* Free the numbers of the virtual pages [a, b) (their memory went away). */
void pagenum_release(uint64_t a, uint64_t b);
/* Free the numbers of pages outside these mappings ([start, end) in pages, ascending). */
void pagenum_release_unmapped(const uint64_t (*maps)[2], size_t n);
/* Pages holding a number now; the highest number ever in use + 1. */
uint64_t pagenum_live(void);
uint64_t pagenum_high_water(void);
/* Send the assignments made since the last call as one NUMB record. */
void pagenum_flush(void);

/* ---------------------------------------------------------------- sources */
struct capture_opts {
  int64_t interval_us;
  int64_t duration_us;   /* 0: until the target exits or a signal */
  int mechanism;         /* MECH_* */
  int keep_thp;
  pid_t pid;             /* --pid */
  char **argv;           /* -- command… */
  long xen_domid;        /* --xen-domid, -1 if not given */
  const char *fake_log_in;    /* --fake-dirtylog FILE */
  const char *fake_log_trace; /* --fake-calls FILE: the fake source logs its calls here */
  int no_children;       /* --no-children: the target alone, not the processes it starts */
};

enum { MECH_AUTO = 0, MECH_SOFTDIRTY = 1, MECH_PMSCAN = 2 };

int run_linux(const struct capture_opts *o);
/* Which Linux mechanisms this kernel offers (bit 1 soft-dirty, bit 2 pagemap-scan). */
int linux_probe(void);

/* A log-dirty source: memory addressed by frame number, a dirty bitmap read and
 * cleared at once. xen.c and fakelog.c implement it; logdirty.c drives it. */
struct dirtylog {
  const char *source;        /* trace `source` metadata */
  void *st;
  /* Open: the memory size in pages and the bitmap length in bits. */
  int (*open)(struct dirtylog *, uint64_t *mem_pages, uint64_t *nbits);
  int (*enable)(struct dirtylog *);
  /* Copy-and-clear the dirty bitmap: 0 and *words set, 1 when the guest is gone, -1 on error. */
  int (*clean)(struct dirtylog *, uint64_t **words);
  int (*disable)(struct dirtylog *);
  void (*close)(struct dirtylog *);
  /* HELO lines describing the target (key=value\n…). */
  void (*describe)(struct dirtylog *, char *buf, size_t len);
};

int run_logdirty(struct dirtylog *dl, const struct capture_opts *o);
int fakelog_init(struct dirtylog *dl, const char *file, const char *calls_file);
int xen_init(struct dirtylog *dl, long domid); /* xen.c; fails "unavailable" without Xen support */

#endif
