// Sources of the guest and of the THP wrapper, built by install.ts. The dirtier and
// /init follow ../shared/tools/qemumig/ (dirtier.c, guest-init): allocate M MiB, fill it
// with non-zero data, then every T µs write one byte in each of H random pages of a
// hot set of S pages, dropping missed ticks (so CPU throttling lowers its rate).

/** dirtier.c: usage dirtier M_MiB S_hotpages H_pages_per_tick T_tick_us. */
export const DIRTIER_C = `// dirtier: allocate M MiB, fill with non-zero data, then forever write one byte
// into H random pages chosen from a hot set of S pages, every T microseconds.
// usage: dirtier M_MiB S_hotpages H_pages_per_tick T_tick_us
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
static uint64_t rng = 88172645463325252ULL;
static inline uint64_t xs(void){ rng ^= rng<<13; rng ^= rng>>7; rng ^= rng<<17; return rng; }
static double now(void){ struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec + t.tv_nsec*1e-9; }
int main(int argc, char **argv){
  long M = argc>1? atol(argv[1]) : 64;
  long S = argc>2? atol(argv[2]) : 1024;
  long H = argc>3? atol(argv[3]) : 1;
  long T = argc>4? atol(argv[4]) : 1000;
  size_t PG = 4096, n = (size_t)M<<20, npages = n/PG;
  if (S > (long)npages) S = npages;
  unsigned char *buf = mmap(NULL, n, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE, -1, 0);
  if (buf == MAP_FAILED){ perror("mmap"); return 1; }
  mlock(buf, n);
  for (size_t i = 0; i < n; i += 8) *(uint64_t*)(buf+i) = xs();   // non-zero, non-duplicate
  printf("dirtier: M=%ld MiB pages=%zu hot=%ld H=%ld per %ld us (%.1f pages/ms)\\n", M, npages, S, H, T, H*1000.0/T);
  fflush(stdout);
  struct timespec next; clock_gettime(CLOCK_MONOTONIC, &next);
  uint64_t writes = 0, ticks = 0, wl = 0, tk = 0; double t0 = now(), tl = t0; unsigned char c = 1;
  for (;;){
    for (long h = 0; h < H; h++){ size_t p = xs() % (uint64_t)S; buf[p*PG + (xs() & (PG-1))] = c++; }
    writes += H; ticks++;
    next.tv_nsec += T*1000; while (next.tv_nsec >= 1000000000){ next.tv_nsec -= 1000000000; next.tv_sec++; }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    double t = now();
    // if we fell behind by more than one tick (e.g. vCPU throttled), drop missed ticks:
    // the dirty rate then depends on CPU availability, like a real CPU-bound writer.
    struct timespec cur; clock_gettime(CLOCK_MONOTONIC, &cur);
    if ((cur.tv_sec - next.tv_sec)*1000000000LL + (cur.tv_nsec - next.tv_nsec) > T*1000LL) next = cur;
    if (t - tl >= 1.0){
      printf("dirtier: t=%.1f writes=%llu rate_1s=%.2f writes/ms ticks_1s=%llu\\n", t-t0, (unsigned long long)writes, (writes-wl)/((t-tl)*1000), (unsigned long long)(ticks-tk));
      wl = writes; tk = ticks;
      fflush(stdout); tl = t;
    }
  }
}
`;

/** Programs of Debian copied into the initramfs with their libraries: [binary name, Debian package]. */
export const GUEST_PROGRAMS: readonly [string, string][] = [
  ['xz', 'xz-utils'],
  ['sqlite3', 'sqlite3'],
  ['perl', 'perl-base'],
];

/** The sqlite workload, one pass (run in a loop on a database in the guest's tmpfs). */
export const SQLITE_WORK = `PRAGMA journal_mode=OFF;
PRAGMA cache_size=-8000;
DROP TABLE IF EXISTS t;
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL);
WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 60000)
INSERT INTO t SELECT i, hex(randomblob(48)), random() FROM r;
CREATE INDEX tb ON t(b);
UPDATE t SET c = c / 2 WHERE a % 3 = 0;
`;

/** The perl workload: build a big hash, sort its keys, forever. */
export const PERL_WORK = `srand(7);
my $n = 0;
while (1) {
  my %h;
  for my $i (1 .. 30000) { $h{int(rand(1e9))} = "v$i" x 4; }
  my @k = sort { $a <=> $b } keys %h;
  $n++;
  print "work: perl pass $n\n";
}
`;

/** The xz workload's data: ~12 MB of text from random words (deterministic). */
export const GEN_TEXT_PL = `srand(1);
my @w = map { join '', map { chr(97 + int rand 26) } 1 .. (3 + int rand 8) } 1 .. 4000;
my $n = 0;
while ($n < 12e6) { my $l = join ' ', map { $w[rand @w] } 1 .. 12; print "$l\n"; $n += length($l) + 1; }
`;

/**
 * /init of the initramfs: reads wl= (dirtier, xz, sqlite, perl) and dm= ds= dh= dt=
 * (the dirtier's arguments) from the kernel command line, starts the workload in the
 * background, prints WORK_READY once it runs (after its data is made, for xz). The
 * programs are called by their full paths: busybox has applets of the same names.
 */
export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
W=dirtier; M=64; S=1024; H=1; T=1000
for a in $(cat /proc/cmdline); do
  case "$a" in
    wl=*) W=\${a#wl=};; dm=*) M=\${a#dm=};; ds=*) S=\${a#ds=};; dh=*) H=\${a#dh=};; dt=*) T=\${a#dt=};;
  esac
done
echo "init: workload $W"
case "$W" in
  dirtier) /bin/dirtier $M $S $H $T & ;;
  xz) /usr/bin/perl /work/gen-text.pl > /tmp/data; echo "init: data $(wc -c < /tmp/data) bytes"
      (n=0; while true; do /usr/bin/xz -6 -T1 -c /tmp/data > /dev/null; n=$((n+1)); echo "work: xz pass $n"; done) & ;;
  sqlite) (n=0; while true; do /usr/bin/sqlite3 -batch /tmp/t.db < /work/sqlite.sql > /dev/null; n=$((n+1)); echo "work: sqlite pass $n"; done) & ;;
  perl) /usr/bin/perl /work/hash.pl & ;;
  *) echo "init: unknown workload $W";;
esac
echo "WORK_READY"
while true; do sleep 3600; done
`;

/** nothp.c: PR_SET_THP_DISABLE, then exec. */
export const NOTHP_C = `// nothp: turn transparent huge pages off (PR_SET_THP_DISABLE, inherited across exec),
// then exec the command: guest RAM of the source QEMU is then mapped in 4 KiB pages.
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: nothp command [args...]\\n"); return 2; }
  if (prctl(41 /* PR_SET_THP_DISABLE */, 1, 0, 0, 0) != 0) { perror("prctl(PR_SET_THP_DISABLE)"); return 1; }
  execv(argv[1], argv + 1);
  perror(argv[1]);
  return 127;
}
`;
