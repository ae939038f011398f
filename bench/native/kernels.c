// The migreplay kernels in C: the native yardstick for the wasm kernel.
//
// Same operations, same memory layout and same data as assembly/index.ts and the
// cases of bench/kernel.mjs: bitmaps are u64 words LSB-first padded to 16 bytes,
// counters one saturating u8 per bitmap bit, lists u32 page numbers. Written as
// plain C that gcc -O3 -march=native is free to vectorize: the comparison is
// "what a C programmer gets from the compiler", not hand-written intrinsics.
// Never part of the product: built and run by bench/run.mjs only.
//
//   gcc -O3 -march=native -o kernels bench/native/kernels.c
//   ./kernels serve          read "<op>\t<pages>\t<seconds>" lines, answer one JSON line each
//   ./kernels list           print the operation names
//
// Each answer: {"op","pages","unit","work","calls","cpuSeconds","wallSeconds","perSecond",
// "perWallSecond","checksum"}. perSecond counts `work` units (list entries or bitmap
// pages) per second of process CPU time, as bench/run.mjs does for wasm and TypeScript.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint8_t u8;

// ---------------------------------------------------------------------------
// Kernels (byte pointers and lengths, as in assembly/index.ts)

static void setBits(u8 *bm, const u32 *list, u32 len) {
  for (u32 i = 0; i < len; i++) bm[list[i] >> 3] |= (u8)(1u << (list[i] & 7));
}

static void setBitsExcept(u8 *bm, const u32 *list, u32 len, const u32 *ex, u32 exLen, u8 *scratch) {
  for (u32 j = 0; j < exLen; j++) scratch[ex[j] >> 3] |= (u8)(1u << (ex[j] & 7));
  for (u32 i = 0; i < len; i++) {
    u32 p = list[i];
    bm[p >> 3] |= (u8)(1u << (p & 7)) & (u8)~scratch[p >> 3];
  }
  for (u32 j = 0; j < exLen; j++) scratch[ex[j] >> 3] = 0;
}

static void or_(u64 *restrict d, const u64 *restrict a, const u64 *restrict b, size_t words) {
  for (size_t i = 0; i < words; i++) d[i] = a[i] | b[i];
}
static void and_(u64 *restrict d, const u64 *restrict a, const u64 *restrict b, size_t words) {
  for (size_t i = 0; i < words; i++) d[i] = a[i] & b[i];
}
static void andNot(u64 *restrict d, const u64 *restrict a, const u64 *restrict b, size_t words) {
  for (size_t i = 0; i < words; i++) d[i] = a[i] & ~b[i];
}

static u32 popcount(const u64 *bm, size_t words) {
  u64 n = 0;
  for (size_t i = 0; i < words; i++) n += (u64)__builtin_popcountll(bm[i]);
  return (u32)n;
}

static u32 popcountAndRange(const u64 *a, const u64 *b, u32 from, u32 to) {
  if (from >= to) return 0;
  u32 first = from >> 6, last = (to - 1) >> 6;
  u64 head = ~0ull << (from & 63), tail = ~0ull >> (63 - ((to - 1) & 63));
  if (first == last) return (u32)__builtin_popcountll(a[first] & b[first] & head & tail);
  u64 n = (u64)__builtin_popcountll(a[first] & b[first] & head);
  for (u32 w = first + 1; w < last; w++) n += (u64)__builtin_popcountll(a[w] & b[w]);
  n += (u64)__builtin_popcountll(a[last] & b[last] & tail);
  return (u32)n;
}

static void writeRange(u64 *bm, u32 from, u32 to, int value) {
  if (from >= to) return;
  u32 first = from >> 6, last = (to - 1) >> 6;
  u64 head = ~0ull << (from & 63), tail = ~0ull >> (63 - ((to - 1) & 63));
  u64 fill = value ? ~0ull : 0;
  if (first == last) {
    u64 m = head & tail;
    bm[first] = (bm[first] & ~m) | (fill & m);
    return;
  }
  bm[first] = (bm[first] & ~head) | (fill & head);
  for (u32 w = first + 1; w < last; w++) bm[w] = fill;
  bm[last] = (bm[last] & ~tail) | (fill & tail);
}

static u32 countMissing(const u64 *bm, const u32 *list, u32 len) {
  u32 n = 0;
  for (u32 i = 0; i < len; i++) n += ((bm[list[i] >> 6] >> (list[i] & 63)) & 1) == 0;
  return n;
}

static inline u32 spreadHash(u32 seed, u32 page) {
  u32 x = (page ^ seed) * 0x9e3779b1u;
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x >> 1;
}

static u32 filterSpread(const u32 *list, u32 len, u32 seed, u32 lo, u32 hi, u32 *out) {
  u32 n = 0;
  for (u32 i = 0; i < len; i++) {
    u32 h = spreadHash(seed, list[i]);
    if (h >= lo && h < hi) out[n++] = list[i];
  }
  return n;
}

static u32 advanceAndNot(const u64 *a, const u64 *b, u32 from, u32 k, u32 pages) {
  if (from >= pages) return pages;
  u32 words = (pages >> 6) + ((pages & 63) != 0);
  u32 w = from >> 6;
  u64 bits = a[w] & ~b[w] & (~0ull << (from & 63));
  for (;;) {
    u32 c = (u32)__builtin_popcountll(bits);
    if (c >= k) {
      for (u32 j = 1; j < k; j++) bits &= bits - 1;
      return (w << 6) + (u32)__builtin_ctzll(bits) + 1;
    }
    k -= c;
    if (++w >= words) return pages;
    bits = a[w] & ~b[w];
  }
}

static u32 collect(const u64 *bm, u32 from, u32 to, u32 *out) {
  if (from >= to) return 0;
  u32 first = from >> 6, last = (to - 1) >> 6;
  u64 tail = ~0ull >> (63 - ((to - 1) & 63));
  u32 n = 0;
  for (u32 w = first; w <= last; w++) {
    u64 bits = bm[w];
    if (w == first) bits &= ~0ull << (from & 63);
    if (w == last) bits &= tail;
    while (bits) {
      out[n++] = (w << 6) + (u32)__builtin_ctzll(bits);
      bits &= bits - 1;
    }
  }
  return n;
}

static void countPages(u8 *ctr, const u32 *list, u32 len) {
  for (u32 i = 0; i < len; i++) {
    u8 c = ctr[list[i]];
    ctr[list[i]] = c + (c != 255);
  }
}

static void countBitmap(u8 *ctr, const u64 *bm, size_t words) {
  // One counter per set bit. (A branch-free 64-counter loop for dense words, which gcc
  // vectorizes, is 4× slower at the bench's density of 1/8; this is the faster C.)
  for (size_t w = 0; w < words; w++) {
    u64 bits = bm[w];
    u8 *c = ctr + (w << 6);
    while (bits) {
      u32 j = (u32)__builtin_ctzll(bits);
      c[j] += c[j] != 255;
      bits &= bits - 1;
    }
  }
}

static void selectAtLeast(const u8 *ctr, u32 threshold, u64 *dst, size_t words) {
  for (size_t w = 0; w < words; w++) {
    const u8 *c = ctr + (w << 6);
    // 0/1 per counter (vectorized), then 8 flags packed into 8 bits per multiply.
    u8 ge[64];
    for (u32 j = 0; j < 64; j++) ge[j] = c[j] >= threshold;
    u64 m = 0;
    for (u32 k = 0; k < 8; k++) {
      u64 x;
      memcpy(&x, ge + 8 * k, 8);
      m |= ((x * 0x0102040810204080ull) >> 56) << (8 * k);
    }
    dst[w] = m;
  }
}

// ---------------------------------------------------------------------------
// The cases of bench/kernel.mjs, on identical data

// mulberry32, as bench/kernel.mjs: r() = next / 2^32.
typedef struct { u32 s; } Rng;
static double rnext(Rng *r) {
  r->s += 0x6d2b79f5u;
  u32 t = r->s;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return (double)(t ^ (t >> 14)) / 4294967296.0;
}

static u32 *scattered(u32 n, u32 count, u32 seed) {
  Rng r = {seed};
  u32 *out = malloc((size_t)count * 4 + 4);
  for (u32 i = 0; i < count; i++) out[i] = (u32)(rnext(&r) * n);
  return out;
}

static u32 *ascending(u32 n, double p, u32 seed, u32 *len) {
  Rng r = {seed};
  u32 *out = malloc((size_t)n * 4 + 4);
  u32 k = 0;
  for (u32 i = 0; i < n; i++)
    if (rnext(&r) < p) out[k++] = i;
  *len = k;
  return out;
}

typedef struct {
  u32 n;
  size_t bytes, words;
  u8 *mem; // bitmaps A, B, D, S, scratch, then counters
  u64 *bm[5];
  u8 *ctr;
  u32 *scatter, *list, *except, *out;
  u32 scatterLen, listLen, exceptLen;
  u32 half;
} State;

static State st;

static void setup(u32 n) {
  if (st.n == n) return;
  if (st.mem) {
    free(st.mem);
    free(st.scatter);
    free(st.list);
    free(st.except);
    free(st.out);
  }
  memset(&st, 0, sizeof st);
  st.n = n;
  st.bytes = (size_t)((((size_t)n + 63) / 64 + 1) / 2) * 16;
  st.words = st.bytes / 8;
  st.mem = aligned_alloc(64, st.bytes * 5 + st.bytes * 8 + 64);
  memset(st.mem, 0, st.bytes * 5 + st.bytes * 8 + 64);
  for (int i = 0; i < 5; i++) st.bm[i] = (u64 *)(st.mem + (size_t)i * st.bytes);
  st.ctr = st.mem + 5 * st.bytes;
  st.scatterLen = n >> 3;
  st.scatter = scattered(n, st.scatterLen, 1);
  st.list = ascending(n, 1.0 / 8, 2, &st.listLen);
  st.except = ascending(n, 1.0 / 16, 3, &st.exceptLen);
  st.out = malloc((size_t)n * 4 + 4);
  u64 *A = st.bm[0], *B = st.bm[1], *S = st.bm[3];
  setBits((u8 *)A, st.scatter, st.scatterLen);
  u32 *bList = scattered(n, n >> 3, 4);
  setBits((u8 *)B, bList, n >> 3);
  free(bList);
  countBitmap(st.ctr, A, st.words);
  countBitmap(st.ctr, A, st.words);
  countBitmap(st.ctr, B, st.words);
  andNot(S, A, B, st.words);
  u32 c = popcount(S, st.words) / 2;
  st.half = c > 0 ? c : 1;
}

#define A_ st.bm[0]
#define B_ st.bm[1]
#define D_ st.bm[2]
#define SCR st.bm[4]

typedef struct {
  const char *op;
  const char *unit;
  double (*work)(void);
  u64 (*run)(void);
} Case;

static double wScatter(void) { return st.scatterLen; }
static double wList(void) { return st.listLen; }
static double wN(void) { return st.n; }
static double wN8(void) { return st.n - 8.0; }
static double wHalf(void) { return st.n / 2.0; }

static u64 rSetScattered(void) { setBits((u8 *)D_, st.scatter, st.scatterLen); return 0; }
static u64 rSetAscending(void) { setBits((u8 *)D_, st.list, st.listLen); return 0; }
static u64 rSetExcept(void) { setBitsExcept((u8 *)D_, st.list, st.listLen, st.except, st.exceptLen, (u8 *)SCR); return 0; }
static u64 rOr(void) { or_(D_, A_, B_, st.words); return 0; }
static u64 rAnd(void) { and_(D_, A_, B_, st.words); return 0; }
static u64 rAndNot(void) { andNot(D_, A_, B_, st.words); return 0; }
static u64 rPopcount(void) { return popcount(A_, st.words); }
static u64 rPopcountAndRange(void) { return popcountAndRange(A_, B_, 3, st.n - 5); }
static u64 rAdvance(void) { return advanceAndNot(A_, B_, 0, st.half, st.n); }
static u64 rCollect(void) { return collect(A_, 0, st.n, st.out); }
static u64 rSetRange(void) { writeRange(D_, 3, st.n - 5, 1); return 0; }
static u64 rClearRange(void) { writeRange(D_, 3, st.n - 5, 0); return 0; }
static u64 rCountMissing(void) { return countMissing(A_, st.scatter, st.scatterLen); }
static u64 rFilterSpread(void) {
  return filterSpread(st.list, st.listLen, 0x9e3779b9u, 0, (u32)(0.3 * 2147483648.0), st.out);
}
static u64 rCountPages(void) { countPages(st.ctr, st.scatter, st.scatterLen); return 0; }
static u64 rCountBitmap(void) { countBitmap(st.ctr, A_, st.words); return 0; }
static u64 rSelect(void) { selectAtLeast(st.ctr, 2, D_, st.words); return 0; }

static const Case CASES[] = {
    {"setBits (scattered)", "entries", wScatter, rSetScattered},
    {"setBits (ascending)", "entries", wList, rSetAscending},
    {"setBitsExcept", "entries", wList, rSetExcept},
    {"or", "pages", wN, rOr},
    {"and", "pages", wN, rAnd},
    {"andNot", "pages", wN, rAndNot},
    {"popcount", "pages", wN, rPopcount},
    {"popcountAndRange", "pages", wN8, rPopcountAndRange},
    {"advanceAndNot", "pages", wHalf, rAdvance},
    {"collect", "pages", wN, rCollect},
    {"setRange", "pages", wN8, rSetRange},
    {"clearRange", "pages", wN8, rClearRange},
    {"countMissing", "entries", wScatter, rCountMissing},
    {"filterSpread", "entries", wList, rFilterSpread},
    {"countPages", "entries", wScatter, rCountPages},
    {"countBitmap", "pages", wN, rCountBitmap},
    {"selectAtLeast", "pages", wN, rSelect},
};
#define NCASES (sizeof CASES / sizeof CASES[0])

static double clockSeconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Same loop as timeIt() in bench/kernel.mjs (double the batch while under 1/8 of the
// time), but on the process's CPU time, as bench/run.mjs measures the wasm and
// TypeScript kernels: on a loaded machine, time spent descheduled counts for neither.
static void timeIt(const Case *c, double seconds, u64 *calls, double *cpu, double *wall, u64 *sum) {
  u64 n = 0, s = 0, batch = 1;
  double c0 = clockSeconds(CLOCK_PROCESS_CPUTIME_ID), w0 = clockSeconds(CLOCK_MONOTONIC), e = 0;
  while (e < seconds) {
    for (u64 i = 0; i < batch; i++) s += c->run();
    n += batch;
    e = clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (e < seconds / 8) batch *= 2;
  }
  *calls = n;
  *cpu = e;
  *wall = clockSeconds(CLOCK_MONOTONIC) - w0;
  *sum = s;
}

static const Case *findCase(const char *op) {
  for (size_t i = 0; i < NCASES; i++)
    if (strcmp(CASES[i].op, op) == 0) return &CASES[i];
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "list") == 0) {
    for (size_t i = 0; i < NCASES; i++) printf("%s\n", CASES[i].op);
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "serve") != 0) {
    fprintf(stderr, "usage: kernels serve|list\n");
    return 2;
  }
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = 0;
    char *op = strtok(line, "\t");
    char *ns = strtok(NULL, "\t");
    char *ss = strtok(NULL, "\t");
    if (!op || !ns || !ss) {
      printf("{\"error\":\"bad request\"}\n");
      fflush(stdout);
      continue;
    }
    const Case *c = findCase(op);
    if (!c) {
      printf("{\"error\":\"unknown op\"}\n");
      fflush(stdout);
      continue;
    }
    u32 n = (u32)strtoul(ns, NULL, 10);
    double seconds = atof(ss);
    setup(n);
    u64 calls, sum;
    double cpu, wall;
    timeIt(c, seconds, &calls, &cpu, &wall, &sum);
    // Fold in the resulting state, as bench/kernel.mjs does.
    u64 check = sum + popcount(D_, st.words) + st.ctr[n >> 1];
    printf("{\"op\":\"%s\",\"pages\":%u,\"unit\":\"%s\",\"work\":%.0f,\"calls\":%llu,\"cpuSeconds\":%.6f,\"wallSeconds\":%.6f,"
           "\"perSecond\":%.0f,\"perWallSecond\":%.0f,\"checksum\":%llu}\n",
           c->op, n, c->unit, c->work(), (unsigned long long)calls, cpu, wall, c->work() * calls / cpu, c->work() * calls / wall,
           (unsigned long long)check);
    fflush(stdout);
  }
  return 0;
}
