/* Virtual pages → dense page numbers that behave like a guest's page frames.
 *
 * A process's address space is sparse (heap, mmap areas and stack lie terabytes
 * apart), but a trace needs page numbers < mem_pages, and mem_pages should be the
 * memory a migration would copy. So each virtual page that holds memory gets a
 * number, as a guest page gets a frame:
 *   - a page gets a number the first time a scan sees it (resident at the start, or
 *     written); the lowest free number, so runs of new pages get runs of numbers;
 *   - when its memory goes away — the page is unmapped, or dropped (MADV_DONTNEED,
 *     not resident and not swapped) — its number is freed, and a page appearing
 *     later reuses it, as a guest reuses a freed frame.
 * Without the reuse, programs that keep mapping memory at new addresses (V8, most
 * allocators) would count every address they ever touched: several times their
 * real size. The highest number ever in use + 1 is the high-water mark.
 *
 * Several processes (a command and its children) share one number space: each has
 * its own map (pagenum_new/pagenum_use), the numbers and the free list are common,
 * so their pages get distinct numbers and a process's freed numbers go to the next.
 *
 * A map is a hash of 512-page chunks (2 MiB of address space), each an array of
 * numbers + 1 (0 = none); free numbers are a bitmap. Assignments are batched into
 * NUMB records (u64 first vpn, u32 first page, u32 count, u32 pid, u32 0) for the
 * --page-map file.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define CHUNK_SHIFT 9
#define CHUNK_PAGES (1u << CHUNK_SHIFT)
#define MAX_PAGES (1ULL << 30) /* the trace format's mem_pages limit */

struct chunk {
  uint64_t key;  /* chunk id + 1; 0 = empty slot (keys are never removed) */
  uint32_t *num; /* NULL once every page of the chunk has been released */
  uint32_t used; /* pages of the chunk holding a number */
};

struct pagenum_map {
  struct chunk *tab;
  uint64_t tab_cap, tab_used;
  uint32_t pid;
};
static struct pagenum_map single, *cur = &single; /* the map in use */
#define tab (cur->tab)
#define tab_cap (cur->tab_cap)
#define tab_used (cur->tab_used)
static uint64_t next_page, high_water; /* numbers ever handed out since the reset; max of that */
static uint64_t *freebits;             /* free numbers below next_page */
static uint64_t free_words, nfree, free_hint;

struct extent {
  uint64_t vpn;
  uint32_t page, count, pid;
};
static struct extent *ext;
static size_t ext_cap, ext_n;

static uint64_t hash64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static void oom(void) { failf(EXIT_FAILED, FAIL_FAILED, "out of memory for the page-number map"); }

static void tab_grow(void) {
  uint64_t cap = tab_cap ? tab_cap * 2 : 1024;
  struct chunk *t = calloc(cap, sizeof *t);
  if (!t) oom();
  for (uint64_t i = 0; i < tab_cap; i++) {
    if (!tab[i].key) continue;
    uint64_t h = hash64(tab[i].key) & (cap - 1);
    while (t[h].key) h = (h + 1) & (cap - 1);
    t[h] = tab[i];
  }
  free(tab);
  tab = t;
  tab_cap = cap;
}

static struct chunk *chunk_of(uint64_t vpn, int create) {
  uint64_t key = (vpn >> CHUNK_SHIFT) + 1;
  if (!tab_cap || (create && (tab_used + 1) * 2 > tab_cap)) {
    if (!create && !tab_cap) return NULL;
    if (create) tab_grow();
  }
  uint64_t h = hash64(key) & (tab_cap - 1);
  while (tab[h].key && tab[h].key != key) h = (h + 1) & (tab_cap - 1);
  struct chunk *c = &tab[h];
  if (!c->key) {
    if (!create) return NULL;
    c->key = key;
    tab_used++;
  }
  if (!c->num && create && !(c->num = calloc(CHUNK_PAGES, sizeof *c->num))) oom();
  return c;
}

static void note_assignment(uint64_t vpn, uint32_t page) {
  if (ext_n) {
    struct extent *e = &ext[ext_n - 1];
    if (e->pid == cur->pid && e->vpn + e->count == vpn && (uint64_t)e->page + e->count == page) {
      e->count++;
      return;
    }
  }
  if (ext_n == ext_cap) {
    ext_cap = ext_cap ? ext_cap * 2 : 1024;
    ext = realloc(ext, ext_cap * sizeof *ext);
    if (!ext) oom();
  }
  ext[ext_n++] = (struct extent){vpn, page, 1, cur->pid};
}

/* The lowest free number, or a new one. */
static uint32_t alloc_number(void) {
  if (nfree) {
    for (uint64_t w = free_hint >> 6; w < free_words; w++) {
      if (!freebits[w]) continue;
      uint64_t n = w * 64 + (uint64_t)__builtin_ctzll(freebits[w]);
      freebits[w] &= freebits[w] - 1;
      nfree--;
      free_hint = n + 1;
      return (uint32_t)n;
    }
  }
  if (next_page >= MAX_PAGES)
    failf(EXIT_FAILED, FAIL_FAILED, "the target holds more than %llu pages, the trace format's limit", (unsigned long long)MAX_PAGES);
  uint32_t page = (uint32_t)next_page++;
  if (next_page > high_water) high_water = next_page;
  return page;
}

static void free_number(uint32_t n) {
  uint64_t w = (uint64_t)n >> 6;
  if (w >= free_words) {
    uint64_t words = free_words ? free_words : 1024;
    while (words <= w) words *= 2;
    uint64_t *f = realloc(freebits, words * sizeof *f);
    if (!f) oom();
    memset(f + free_words, 0, (words - free_words) * sizeof *f);
    freebits = f;
    free_words = words;
  }
  freebits[w] |= 1ULL << (n & 63);
  nfree++;
  if (n < free_hint) free_hint = n;
}

/* Free every number of the current map, clearing them in `clear` if given. */
static void release_all(pagebits_t *clear) {
  for (uint64_t i = 0; i < tab_cap; i++) {
    struct chunk *c = &tab[i];
    if (c->num) {
      for (uint32_t k = 0; k < CHUNK_PAGES && c->used; k++) {
        if (!c->num[k]) continue;
        uint32_t n = c->num[k] - 1;
        if (clear && ((uint64_t)n >> 6) < clear->nwords) clear->w[n >> 6] &= ~(1ULL << (n & 63));
        free_number(n);
        c->used--;
      }
      free(c->num);
    }
  }
  free(tab);
  tab = NULL;
  tab_cap = tab_used = 0;
}

void pagenum_reset(pagebits_t *clear) {
  pagenum_flush();
  release_all(clear);
}

struct pagenum_map *pagenum_new(uint32_t pid) {
  struct pagenum_map *m = calloc(1, sizeof *m);
  if (!m) oom();
  m->pid = pid;
  return m;
}

void pagenum_use(struct pagenum_map *m) { cur = m ? m : &single; }

void pagenum_drop(struct pagenum_map *m) {
  if (!m) return;
  struct pagenum_map *was = cur;
  pagenum_flush();
  cur = m;
  release_all(NULL);
  cur = was == m ? &single : was;
  free(m);
}

uint32_t pagenum_get(uint64_t vpn) {
  struct chunk *c = chunk_of(vpn, 1);
  uint32_t *slot = &c->num[vpn & (CHUNK_PAGES - 1)];
  if (*slot) return *slot - 1;
  uint32_t page = alloc_number();
  *slot = page + 1;
  c->used++;
  note_assignment(vpn, page);
  return page;
}

/* Free the numbers of the pages [a, b) of one chunk. */
static void release_in_chunk(struct chunk *c, uint64_t a, uint64_t b) {
  if (!c || !c->num || !c->used) return;
  for (uint64_t v = a; v < b; v++) {
    uint32_t *slot = &c->num[v & (CHUNK_PAGES - 1)];
    if (!*slot) continue;
    free_number(*slot - 1);
    *slot = 0;
    if (--c->used == 0) break;
  }
  if (!c->used) {
    free(c->num);
    c->num = NULL;
  }
}

void pagenum_release(uint64_t a, uint64_t b) {
  if (!tab_cap) return;
  while (a < b) {
    uint64_t chunk_end = ((a >> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;
    uint64_t e = b < chunk_end ? b : chunk_end;
    release_in_chunk(chunk_of(a, 0), a, e);
    a = e;
  }
}

void pagenum_release_unmapped(const uint64_t (*maps)[2], size_t n) {
  for (uint64_t i = 0; i < tab_cap; i++) {
    struct chunk *c = &tab[i];
    if (!c->key || !c->num || !c->used) continue;
    uint64_t a = (c->key - 1) << CHUNK_SHIFT, b = a + CHUNK_PAGES;
    /* the first mapping ending after a (maps are ascending, in pages) */
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (maps[mid][1] <= a) lo = mid + 1;
      else hi = mid;
    }
    uint64_t at = a;
    for (size_t k = lo; k < n && at < b && c->num; k++) {
      if (maps[k][0] >= b) break;
      if (maps[k][0] > at) release_in_chunk(c, at, maps[k][0]);
      if (maps[k][1] > at) at = maps[k][1];
    }
    if (at < b && c->num) release_in_chunk(c, at, b);
  }
}

uint64_t pagenum_live(void) { return next_page - nfree; }
uint64_t pagenum_high_water(void) { return high_water; }

void pagenum_flush(void) {
  if (!ext_n) return;
  unsigned char *buf = calloc(ext_n, 24);
  if (!buf) oom();
  for (size_t i = 0; i < ext_n; i++) {
    unsigned char *p = buf + i * 24;
    for (int k = 0; k < 8; k++) p[k] = (unsigned char)(ext[i].vpn >> (8 * k));
    for (int k = 0; k < 4; k++) p[8 + k] = (unsigned char)(ext[i].page >> (8 * k));
    for (int k = 0; k < 4; k++) p[12 + k] = (unsigned char)(ext[i].count >> (8 * k));
    for (int k = 0; k < 4; k++) p[16 + k] = (unsigned char)(ext[i].pid >> (8 * k));
  }
  proto_record("NUMB", buf, ext_n * 24, NULL, 0);
  free(buf);
  ext_n = 0;
}
