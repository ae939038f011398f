/* A dirty bitmap → one epoch record. Every source ends here: the Linux path marks
 * the page numbers it found written in a bitmap, a log-dirty source hands over the
 * bitmap it read; either way the record lists each page once, ascending. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "capture.h"

struct epoch_totals totals;

void pb_reserve(pagebits_t *b, uint64_t nbits) {
  uint64_t need = (nbits + 63) / 64;
  if (need <= b->nwords) return;
  uint64_t n = b->nwords ? b->nwords : 1024;
  while (n < need) n *= 2;
  uint64_t *w = realloc(b->w, n * sizeof *w);
  if (!w) failf(EXIT_FAILED, FAIL_FAILED, "out of memory for a %llu-page bitmap", (unsigned long long)nbits);
  memset(w + b->nwords, 0, (n - b->nwords) * sizeof *w);
  b->w = w;
  b->nwords = n;
}

static uint32_t *list;
static uint64_t list_cap;

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t emit_epoch(uint64_t *words, uint64_t nbits, struct epoch_info *ei, int clear) {
  uint64_t n = 0, nwords = (nbits + 63) / 64;
  for (uint64_t i = 0; i < nwords; i++) {
    uint64_t x = words[i];
    if (i == nwords - 1 && (nbits & 63)) x &= (1ULL << (nbits & 63)) - 1; /* bits past the end do not exist */
    if (!x) continue;
    if (clear) words[i] = 0;
    while (x) {
      if (n == list_cap) {
        list_cap = list_cap ? list_cap * 2 : 65536;
        list = realloc(list, list_cap * sizeof *list);
        if (!list) failf(EXIT_FAILED, FAIL_FAILED, "out of memory for an epoch of %llu pages", (unsigned long long)n);
      }
      list[n++] = (uint32_t)(i * 64 + (uint64_t)__builtin_ctzll(x));
      x &= x - 1;
    }
  }
  if (n && (uint64_t)list[n - 1] + 1 > ei->mem_pages) ei->mem_pages = (uint64_t)list[n - 1] + 1;
  /* An epoch lasts at least 1 µs, so epoch starts strictly increase. */
  if (ei->t_end_us <= ei->t_start_us) ei->t_end_us = ei->t_start_us + 1;

  pagenum_flush(); /* the numbers this epoch uses are described before it */
  unsigned char head[40];
  put64(head, (uint64_t)ei->t_start_us);
  put64(head + 8, (uint64_t)ei->t_end_us);
  put64(head + 16, ei->mem_pages);
  put32(head + 24, (uint32_t)n);
  put32(head + 28, ei->scan_us);
  put32(head + 32, ei->rss_pages);
  put32(head + 36, ei->flags);
  proto_record("EPOC", head, sizeof head, list, n * sizeof *list);

  totals.epochs++;
  totals.events += n;
  if (n > totals.max_pages) totals.max_pages = n;
  totals.scan_us_sum += ei->scan_us;
  if (ei->scan_us > totals.scan_us_max) totals.scan_us_max = ei->scan_us;
  return n;
}
