/* A dirty-log source read from a file, so the log-dirty path (logdirty.c, epoch.c)
 * runs and is tested on machines without Xen (--fake-dirtylog FILE).
 *
 *   pages N            the guest's page count (what xc_domain_getinfo reports)
 *   bits N             the bitmap length (Xen: highest frame + 1); default N = pages
 *   epoch P P-Q …      the bitmap one CLEAN returns: frames P and P…Q inclusive
 *   gone               CLEAN fails as for a domain that went away
 *   # …                a comment
 *
 * Each CLEAN takes the next `epoch` line; the first is the baseline read right after
 * enabling the log, which the trace leaves out. Past the last line CLEAN returns an
 * empty bitmap (an idle guest). With --fake-calls FILE every call is logged there,
 * one word a line (open, enable, clean, disable, close), so tests can check that the
 * log is turned off however the capture ends. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

struct fake {
  const char *file;
  FILE *in, *calls;
  uint64_t pages, nbits;
  uint64_t *words;
  unsigned lineno;
};

static void logcall(struct fake *f, const char *what) {
  if (!f->calls) return;
  fprintf(f->calls, "%s\n", what);
  fflush(f->calls);
}

/* The next meaningful line, or NULL at the end. */
static char *next_line(struct fake *f, char *buf, size_t len) {
  while (fgets(buf, (int)len, f->in)) {
    f->lineno++;
    char *p = buf;
    while (*p == ' ' || *p == '\t') p++;
    char *nl = strchr(p, '\n');
    if (nl) *nl = 0;
    if (*p == 0 || *p == '#') continue;
    return p;
  }
  return NULL;
}

static int fake_open(struct dirtylog *dl, uint64_t *mem_pages, uint64_t *nbits) {
  struct fake *f = dl->st;
  logcall(f, "open");
  char buf[256];
  long pos = ftell(f->in);
  char *line;
  /* header lines, up to the first epoch */
  while ((line = next_line(f, buf, sizeof buf))) {
    unsigned long long v;
    if (sscanf(line, "pages %llu", &v) == 1) f->pages = v;
    else if (sscanf(line, "bits %llu", &v) == 1) f->nbits = v;
    else {
      fseek(f->in, pos, SEEK_SET);
      f->lineno--;
      break;
    }
    pos = ftell(f->in);
  }
  if (!f->pages) failf(EXIT_USAGE, FAIL_USAGE, "%s: no 'pages N' line", f->file);
  if (!f->nbits) f->nbits = f->pages;
  f->words = calloc((f->nbits + 63) / 64, sizeof *f->words);
  if (!f->words) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
  *mem_pages = f->pages;
  *nbits = f->nbits;
  return 0;
}

static int fake_enable(struct dirtylog *dl) {
  logcall(dl->st, "enable");
  return 0;
}

static int fake_clean(struct dirtylog *dl, uint64_t **words) {
  struct fake *f = dl->st;
  logcall(f, "clean");
  memset(f->words, 0, (f->nbits + 63) / 64 * sizeof *f->words);
  *words = f->words;
  char buf[1 << 16];
  char *line = next_line(f, buf, sizeof buf);
  if (!line) return 0;
  if (!strcmp(line, "gone")) return 1;
  if (strncmp(line, "epoch", 5)) failf(EXIT_USAGE, FAIL_USAGE, "%s: line %u: expected 'epoch …' or 'gone'", f->file, f->lineno);
  for (char *tok = strtok(line + 5, " \t"); tok; tok = strtok(NULL, " \t")) {
    unsigned long long a, b;
    int n = sscanf(tok, "%llu-%llu", &a, &b);
    if (n == 1) b = a;
    if (n < 1 || b < a || b >= f->nbits)
      failf(EXIT_USAGE, FAIL_USAGE, "%s: line %u: '%s' is not a frame or range below %llu", f->file, f->lineno, tok,
            (unsigned long long)f->nbits);
    for (unsigned long long p = a; p <= b; p++) f->words[p >> 6] |= 1ULL << (p & 63);
  }
  return 0;
}

static int fake_disable(struct dirtylog *dl) {
  logcall(dl->st, "disable");
  return 0;
}

static void fake_close(struct dirtylog *dl) {
  struct fake *f = dl->st;
  logcall(f, "close");
  fclose(f->in);
  if (f->calls) fclose(f->calls);
  free(f->words);
  free(f);
  dl->st = NULL;
}

static void fake_describe(struct dirtylog *dl, char *buf, size_t len) {
  struct fake *f = dl->st;
  snprintf(buf, len, "fake_file=%s\nguest_pages=%llu\n", f->file, (unsigned long long)f->pages);
}

int fakelog_init(struct dirtylog *dl, const char *file, const char *calls_file) {
  struct fake *f = calloc(1, sizeof *f);
  if (!f) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
  f->file = file;
  f->in = fopen(file, "re");
  if (!f->in) failf(EXIT_USAGE, FAIL_USAGE, "%s: %s", file, strerror(errno));
  if (calls_file && !(f->calls = fopen(calls_file, "we"))) failf(EXIT_USAGE, FAIL_USAGE, "%s: %s", calls_file, strerror(errno));
  *dl = (struct dirtylog){.source = "fake-logdirty", .st = f, .open = fake_open, .enable = fake_enable,
                          .clean = fake_clean, .disable = fake_disable, .close = fake_close, .describe = fake_describe};
  return 0;
}
