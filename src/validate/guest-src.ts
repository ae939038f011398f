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

/** /init of the initramfs: reads dm= ds= dh= dt= from the kernel command line. */
export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
M=64; S=1024; H=1; T=1000
for a in $(cat /proc/cmdline); do
  case "$a" in
    dm=*) M=\${a#dm=};; ds=*) S=\${a#ds=};; dh=*) H=\${a#dh=};; dt=*) T=\${a#dt=};;
  esac
done
echo "init: starting dirtier $M $S $H $T"
/bin/dirtier $M $S $H $T &
echo "DIRTIER_STARTED"
while true; do /bin/busybox sleep 3600; done
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
