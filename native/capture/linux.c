/* Capturing a Linux process: which pages it writes, epoch by epoch.
 *
 * Two kernel mechanisms, chosen by --mechanism (auto: the first that works here):
 *
 * softdirty     write 4 to /proc/PID/clear_refs, later read bit 55 of each page's
 *               /proc/PID/pagemap entry (needs CONFIG_MEM_SOFT_DIRTY). Reading and
 *               clearing are two steps: a write landing between them is lost.
 * pagemap-scan  userfaultfd asynchronous write-protect (UFFD_FEATURE_WP_ASYNC, Linux
 *               6.7): every writable mapping of the target is registered for
 *               write-protection; a write to a protected page takes a fault the
 *               kernel resolves by itself (no handler thread), leaving the page
 *               "written". One PAGEMAP_SCAN ioctl per epoch with PM_SCAN_WP_MATCHING
 *               returns the written pages and protects them again in the same walk.
 *
 * A userfaultfd belongs to the memory of the process that creates it, so the
 * helper makes the target create one: it stops the target with ptrace, runs a
 * userfaultfd(2) system call in it (at a `syscall` instruction of its vDSO, with
 * the registers saved and restored around it), copies the new descriptor with
 * pidfd_getfd(2), and runs close(2) in the target so its descriptor table is as
 * before. Everything else happens from outside. Each epoch also registers the
 * writable mappings that appeared since the last one; their resident pages count
 * as written in that epoch.
 *
 * ptrace also holds a new command until it has exec'd (so setup happens before it
 * runs), follows later execs (a new program image: a new userfaultfd, page numbers
 * start again), and stops the target at exit, before its memory goes away, for a
 * final scan. With --pid the target is attached and, at the end, released: the
 * userfaultfd is closed (which drops every registration and protection) and ptrace
 * detaches, leaving it running.
 *
 * The processes the target starts are followed (unless --no-children): ptrace
 * attaches each new one as it is forked (PTRACE_O_TRACEFORK/VFORK), before it runs,
 * and it gets its own state (struct proc: descriptors, userfaultfd, page-number map)
 * in the same page-number space, its own exec and exit handling, and a final scan at
 * its exit. A vfork child shares its parent's memory until it execs: it is set up
 * then. The state of the process being worked on sits in the globals below (tpid,
 * pmfd, …); use_proc() swaps it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "capture.h"
#include "uapi.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_userfaultfd
#define SYS_userfaultfd 323
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef SYS_kcmp
#define SYS_kcmp 312
#endif
#define KCMP_VM_ 1 /* KCMP_VM of linux/kcmp.h */

static pid_t tpid;
static int attached;           /* --pid: release the target at the end */
static int mech;
static int pmfd = -1, uffd = -1, clear_fd = -1;
static unsigned page_shift = 12;
static pagebits_t dirty;
static int pending_sig;        /* a signal that arrived while we held the target */
static uint64_t syscall_insn;  /* a `syscall` instruction in the target */
static int follow;             /* follow the processes the target starts */
static uint32_t epoch_flags;   /* EPOCH_* flags gathered since the last epoch */
static uint64_t peak_rss;
static uint64_t baseline_pages;
static int target_alive = 1;
static int exit_status = -1;   /* exit code, or 128 + signal */
static unsigned untracked_mappings;

/* ------------------------------------------------------------------ probes */

/* Soft-dirty works if a page written after clear_refs reads back as soft-dirty.
 * Without CONFIG_MEM_SOFT_DIRTY the clear succeeds but bit 55 never comes back. */
static int probe_softdirty(void) {
  long ps = sysconf(_SC_PAGESIZE);
  volatile char *p = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  p[0] = 1;
  int ok = 0;
  int cfd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  int pfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (cfd >= 0 && pfd >= 0 && write(cfd, "4", 1) == 1) {
    uint64_t before = 0, after = 0;
    off_t off = (off_t)((uintptr_t)p / (uintptr_t)ps) * 8;
    if (pread(pfd, &before, 8, off) == 8) {
      p[0] = 2;
      if (pread(pfd, &after, 8, off) == 8) ok = !((before >> 55) & 1) && ((after >> 55) & 1);
    }
  }
  if (cfd >= 0) close(cfd);
  if (pfd >= 0) close(pfd);
  munmap((void *)p, (size_t)ps);
  return ok;
}

/* The pagemap-scan mechanism, tried end to end on a mapping of our own: register
 * two pages for async write-protect, protect them, write one, and expect a scan to
 * report exactly that one. */
static int probe_pmscan(char *why, size_t whylen) {
  long ps = sysconf(_SC_PAGESIZE);
  int ok = 0, fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
  if (fd < 0) fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    snprintf(why, whylen, "userfaultfd(): %s", strerror(errno));
    return 0;
  }
  int pfd = -1;
  char *p = MAP_FAILED;
  struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
  if (ioctl(fd, UFFDIO_API, &api)) {
    snprintf(why, whylen, "no asynchronous userfaultfd write-protect (UFFD_FEATURE_WP_ASYNC, Linux 6.7): %s", strerror(errno));
    goto out;
  }
  p = mmap(NULL, 2 * (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) goto out;
  p[0] = p[ps] = 1;
  struct uffdio_register reg = {.range = {(uintptr_t)p, 2 * (uint64_t)ps}, .mode = UFFDIO_REGISTER_MODE_WP};
  if (ioctl(fd, UFFDIO_REGISTER, &reg)) {
    snprintf(why, whylen, "UFFDIO_REGISTER (write-protect): %s", strerror(errno));
    goto out;
  }
  pfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pfd < 0) goto out;
  struct page_region v[4];
  struct pm_scan_arg a = {.size = sizeof a, .flags = PM_SCAN_WP_MATCHING, .start = (uintptr_t)p,
                          .end = (uintptr_t)p + 2 * (uint64_t)ps, .vec = (uintptr_t)v, .vec_len = 4,
                          .category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN};
  if (ioctl(pfd, PAGEMAP_SCAN, &a) < 0) {
    snprintf(why, whylen, "no PAGEMAP_SCAN ioctl (Linux 6.7): %s", strerror(errno));
    goto out;
  }
  p[ps] = 2;
  a.walk_end = 0;
  long n = ioctl(pfd, PAGEMAP_SCAN, &a);
  ok = n == 1 && v[0].start == (uintptr_t)p + (uint64_t)ps && v[0].end == (uintptr_t)p + 2 * (uint64_t)ps;
  if (!ok) snprintf(why, whylen, "PAGEMAP_SCAN did not report a page written after write-protection");
out:
  if (pfd >= 0) close(pfd);
  if (p != MAP_FAILED) munmap(p, 2 * (size_t)ps);
  close(fd);
  return ok;
}

int linux_probe(void) {
  char why[256];
  return (probe_softdirty() ? 1 : 0) | (probe_pmscan(why, sizeof why) ? 2 : 0);
}

/* ------------------------------------------------------------------ ptrace */

static int wait_target(int *st) {
  for (;;) {
    pid_t r = waitpid(tpid, st, __WALL);
    if (r == tpid) return 0;
    if (r < 0 && errno == EINTR) continue;
    return -1;
  }
}

static void note_exit(int st) {
  target_alive = 0;
  exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#if defined(__x86_64__)

/* The address of a `syscall` instruction (0f 05) in the target: its vDSO has one. */
static uint64_t find_syscall_insn(void) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", tpid);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  uint64_t found = 0;
  for (int pass = 0; pass < 2 && !found; pass++) {
    rewind(f);
    while (!found && fgets(line, sizeof line, f)) {
      unsigned long s, e;
      char perm[8];
      if (sscanf(line, "%lx-%lx %7s", &s, &e, perm) != 3 || perm[2] != 'x') continue;
      if (strstr(line, "[vsyscall]")) continue;
      if (pass == 0 && !strstr(line, "[vdso]")) continue;
      size_t len = e - s > (1u << 22) ? (1u << 22) : e - s;
      unsigned char *buf = malloc(len);
      if (!buf) break;
      struct iovec l = {buf, len}, r = {(void *)s, len};
      ssize_t n = process_vm_readv(tpid, &l, 1, &r, 1, 0);
      for (ssize_t i = 0; i + 1 < n; i++)
        if (buf[i] == 0x0f && buf[i + 1] == 0x05) {
          found = s + (uint64_t)i;
          break;
        }
      free(buf);
    }
  }
  fclose(f);
  return found;
}

/* Run one system call in the stopped target and return its result (-errno on
 * failure). Its registers are restored afterwards, so an interrupted system call
 * of its own restarts as if nothing happened. */
static long inject(long nr, long a1, long a2, long a3) {
  struct user_regs_struct saved, r;
  if (ptrace(PTRACE_GETREGS, tpid, 0, &saved)) failf(EXIT_FAILED, FAIL_FAILED, "cannot read the target's registers: %s", strerror(errno));
  r = saved;
  r.rip = syscall_insn;
  r.rax = (unsigned long)nr;
  r.orig_rax = (unsigned long)-1; /* not inside a system call: no restart logic applies */
  r.rdi = (unsigned long)a1;
  r.rsi = (unsigned long)a2;
  r.rdx = (unsigned long)a3;
  r.r10 = r.r8 = r.r9 = 0;
  if (ptrace(PTRACE_SETREGS, tpid, 0, &r)) failf(EXIT_FAILED, FAIL_FAILED, "cannot set the target's registers: %s", strerror(errno));
  for (;;) {
    int st;
    if (ptrace(PTRACE_SINGLESTEP, tpid, 0, 0) || wait_target(&st)) {
      ptrace(PTRACE_SETREGS, tpid, 0, &saved);
      failf(EXIT_FAILED, FAIL_FAILED, "cannot step the target: %s", strerror(errno));
    }
    if (!WIFSTOPPED(st)) {
      note_exit(st);
      failf(EXIT_FAILED, FAIL_FAILED, "the target exited during setup");
    }
    if (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0) break;
    /* A signal arrived first: keep it for when the target runs again. */
    if ((st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP) pending_sig = WSTOPSIG(st);
  }
  if (ptrace(PTRACE_GETREGS, tpid, 0, &r)) failf(EXIT_FAILED, FAIL_FAILED, "cannot read the target's registers: %s", strerror(errno));
  if (ptrace(PTRACE_SETREGS, tpid, 0, &saved)) failf(EXIT_FAILED, FAIL_FAILED, "cannot restore the target's registers: %s", strerror(errno));
  return (long)r.rax;
}
#endif

/* ------------------------------------------------------------------ maps */

typedef struct {
  uint64_t s, e;
} range_t;

static uint64_t (*allmaps)[2];         /* every mapping, in pages, ascending */
static size_t n_allmaps, cap_allmaps;
static range_t *wmaps;                 /* writable mappings, ascending */
static size_t n_wmaps, cap_wmaps;
static range_t *bad;                   /* mappings that could not be registered */
static size_t n_bad, cap_bad;
static range_t failing;                /* the last mapping whose registration failed… */
static int failing_count;              /* …and how many reads in a row it did */
static range_t *unreg;                 /* scan results: ranges not registered */
static size_t n_unreg, cap_unreg;
static uint64_t span_lo, span_hi;      /* all user mappings */
static char *mapsbuf;
static size_t mapscap;

/* ------------------------------------------------------------------ processes */

/* One recorded process (address space). procs[0] is the target. */
struct proc {
  pid_t pid, ppid;
  int pmfd, uffd, clear_fd;
  range_t *bad;
  size_t n_bad, cap_bad;
  range_t failing;
  int failing_count;
  uint64_t syscall_insn;
  int pending_sig;
  struct pagenum_map *map;
  int tracked;  /* its memory is set up (a vfork child is not, until it execs) */
  int failed;   /* it could not be set up: not recorded (its events are passed on) */
  int forked;   /* its memory is its parent's copy (forked, not exec'd yet): its RSS is not added */
  int exited;   /* no more scans; its numbers are freed after the epoch */
  uint64_t writes, first_epoch;
  char comm[17];
};
static struct proc **procs, *cur;
static size_t nprocs, cap_procs;

/* Whether the current process is the target (or no process is set up yet). */
static int is_root(void) { return !cur || cur == procs[0]; }

static void save_cur(void) {
  if (!cur) return;
  cur->pmfd = pmfd, cur->uffd = uffd, cur->clear_fd = clear_fd;
  cur->bad = bad, cur->n_bad = n_bad, cur->cap_bad = cap_bad;
  cur->failing = failing, cur->failing_count = failing_count;
  cur->syscall_insn = syscall_insn, cur->pending_sig = pending_sig;
}

/* Make p the process the scanning and ptrace code works on. */
static void use_proc(struct proc *p) {
  if (p == cur) return;
  save_cur();
  cur = p;
  tpid = p->pid;
  pmfd = p->pmfd, uffd = p->uffd, clear_fd = p->clear_fd;
  bad = p->bad, n_bad = p->n_bad, cap_bad = p->cap_bad;
  failing = p->failing, failing_count = p->failing_count;
  syscall_insn = p->syscall_insn, pending_sig = p->pending_sig;
  pagenum_use(p->map);
}

static void read_comm(struct proc *p) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/comm", p->pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, p->comm, sizeof p->comm - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) {
    strcpy(p->comm, "?");
    return;
  }
  p->comm[n] = 0;
  for (ssize_t i = 0; i < n; i++)
    if (p->comm[i] == '\n' || p->comm[i] == ',') p->comm[i] = i == n - 1 && p->comm[i] == '\n' ? 0 : '?';
}

static pid_t read_ppid(pid_t pid) {
  char path[64], b[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, b, sizeof b - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) return 0;
  b[n] = 0;
  char *rp = strrchr(b, ')'); /* the command name may hold spaces and parentheses */
  int ppid = 0;
  if (rp && sscanf(rp + 1, " %*c %d", &ppid) != 1) ppid = 0;
  return ppid;
}

static struct proc *add_proc(pid_t pid) {
  if (nprocs == cap_procs) {
    cap_procs = cap_procs ? cap_procs * 2 : 16;
    procs = realloc(procs, cap_procs * sizeof *procs);
    if (!procs) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
  }
  struct proc *p = calloc(1, sizeof *p);
  if (!p) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
  p->pid = pid;
  p->ppid = read_ppid(pid);
  p->pmfd = p->uffd = p->clear_fd = -1;
  p->map = pagenum_new((uint32_t)pid);
  p->first_epoch = totals.epochs;
  read_comm(p);
  procs[nprocs++] = p;
  return p;
}

static struct proc *find_proc(pid_t pid) {
  for (size_t i = nprocs; i-- > 0;) /* the newest first: a pid reused later is the live one */
    if (procs[i]->pid == pid) return procs[i];
  return NULL;
}

/* A PROC record: a process recorded, its state now. */
static void proc_record(const struct proc *p, const char *event) {
  proto_text("PROC", "pid=%d\nppid=%d\ncomm=%s\nevent=%s\nwrites=%llu\nfirst_epoch=%llu\n", p->pid, p->ppid, p->comm, event,
             (unsigned long long)p->writes, (unsigned long long)p->first_epoch);
}

/* Another recorded process whose memory pid shares (a vfork child), or 0; -1 when
 * that cannot be known (no kcmp(2)): the child is then recorded from its exec. */
static pid_t shares_memory(pid_t pid) {
  static int kcmp_ok = -1;
  if (kcmp_ok < 0) {
    kcmp_ok = syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM_, 0, 0) == 0;
    if (!kcmp_ok) notef("kcmp(2) is unavailable (%s): child processes are recorded from their exec on (one that forks and does not exec is not)", strerror(errno));
  }
  if (!kcmp_ok) return -1;
  for (size_t i = 0; i < nprocs; i++) {
    struct proc *q = procs[i];
    if (q->pid == pid || !q->tracked || q->exited) continue;
    if (syscall(SYS_kcmp, pid, q->pid, KCMP_VM_, 0, 0) == 0) return q->pid;
  }
  return 0;
}

static void push_range(range_t **a, size_t *n, size_t *cap, uint64_t s, uint64_t e) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 256;
    *a = realloc(*a, *cap * sizeof **a);
    if (!*a) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
  }
  (*a)[(*n)++] = (range_t){s, e};
}

/* Read /proc/PID/maps: the writable mappings and the span of all of them. -1 if the
 * target is gone. */
static int read_maps(void) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", tpid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  for (;;) {
    if (len + 65536 > mapscap) {
      mapscap = (mapscap + 65536) * 2;
      mapsbuf = realloc(mapsbuf, mapscap);
      if (!mapsbuf) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
    }
    ssize_t n = read(fd, mapsbuf + len, mapscap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  mapsbuf[len] = 0;
  if (len == 0) return -1; /* a zombie has no mappings */
  n_wmaps = n_allmaps = 0;
  span_lo = ~0ULL;
  span_hi = 0;
  for (char *p = mapsbuf; *p;) {
    char *nl = strchr(p, '\n');
    unsigned long s, e;
    char perm[8];
    if (sscanf(p, "%lx-%lx %7s", &s, &e, perm) == 3 && s < 0xffff800000000000UL) {
      if (s < span_lo) span_lo = s;
      if (e > span_hi) span_hi = e;
      if (perm[1] == 'w') push_range(&wmaps, &n_wmaps, &cap_wmaps, s, e);
      if (n_allmaps == cap_allmaps) {
        cap_allmaps = cap_allmaps ? cap_allmaps * 2 : 256;
        allmaps = realloc(allmaps, cap_allmaps * sizeof *allmaps);
        if (!allmaps) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
      }
      allmaps[n_allmaps][0] = s >> page_shift;
      allmaps[n_allmaps][1] = e >> page_shift;
      n_allmaps++;
    }
    if (!nl) break;
    p = nl + 1;
  }
  return 0;
}

static uint64_t read_rss(void) {
  char path[64], b[256];
  snprintf(path, sizeof path, "/proc/%d/statm", tpid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, b, sizeof b - 1);
  close(fd);
  if (n <= 0) return 0;
  b[n] = 0;
  unsigned long size, rss;
  if (sscanf(b, "%lu %lu", &size, &rss) != 2) return 0;
  return rss;
}

/* ------------------------------------------------------------------ marking */

/* Pages [a, b) (virtual page numbers) were found written, or resident at setup:
 * number them, and mark them in this epoch's bitmap if they count as writes. */
static int number_baseline = 1; /* 0: a forked child's memory, its parent's copy-on-write: numbered as it is written */

static void mark_pages(uint64_t a, uint64_t b, int report) {
  if (!report && !number_baseline) return;
  for (uint64_t v = a; v < b; v++) {
    uint32_t n = pagenum_get(v);
    if (!report) {
      if (is_root()) baseline_pages++;
      continue;
    }
    pb_reserve(&dirty, (uint64_t)n + 1);
    if (cur && !((dirty.w[n >> 6] >> (n & 63)) & 1)) cur->writes++;
    pb_set(&dirty, n);
  }
}

/* ------------------------------------------------------------------ pagemap-scan */

#define VEC_LEN 4096
static struct page_region vec[VEC_LEN];

/* Written pages: not write-protected, in a registered mapping, resident or swapped,
 * and not the shared zero page (a read of a page never written maps it). */
#define WRITTEN_MASK (PAGE_IS_WRITTEN | PAGE_IS_WPALLOWED | PAGE_IS_PFNZERO)
#define WRITTEN_INVERTED PAGE_IS_PFNZERO
#define WRITTEN_ANYOF (PAGE_IS_PRESENT | PAGE_IS_SWAPPED)

/* One PAGEMAP_SCAN walk over [s, e), resumed where a full result vector stopped it.
 * With `out`, matching ranges are collected; otherwise they are marked. */
static int pm_scan(uint64_t s, uint64_t e, uint64_t flags, uint64_t mask, uint64_t inverted, uint64_t anyof, int report,
                   range_t **out, size_t *nout, size_t *capout) {
  while (s < e) {
    struct pm_scan_arg a = {.size = sizeof a, .flags = flags, .start = s, .end = e, .vec = (uintptr_t)vec,
                            .vec_len = VEC_LEN, .category_inverted = inverted, .category_mask = mask,
                            .category_anyof_mask = anyof, .return_mask = PAGE_IS_WRITTEN | PAGE_IS_WPALLOWED | PAGE_IS_HUGE};
    long r = ioctl(pmfd, PAGEMAP_SCAN, &a);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    for (long i = 0; i < r; i++) {
      if (out) {
        push_range(out, nout, capout, vec[i].start, vec[i].end);
        continue;
      }
      if (vec[i].categories & PAGE_IS_HUGE) epoch_flags |= EPOCH_HUGE;
      mark_pages(vec[i].start >> page_shift, vec[i].end >> page_shift, report);
    }
    if (r < VEC_LEN || a.walk_end <= s || a.walk_end >= e) break;
    s = a.walk_end;
  }
  return 0;
}

static int is_bad(uint64_t s, uint64_t e) {
  for (size_t i = 0; i < n_bad; i++)
    if (bad[i].s == s && bad[i].e == e) return 1;
  return 0;
}

/* Register the writable mappings that are not registered yet (new since the last
 * epoch, or all of them at setup), and take their resident pages: written in this
 * epoch when `report`, the starting state otherwise. */
static int register_new(int report) {
  n_unreg = 0;
  if (pm_scan(span_lo, span_hi, 0, PAGE_IS_WPALLOWED, PAGE_IS_WPALLOWED, 0, 0, &unreg, &n_unreg, &cap_unreg) < 0) return -1;
  size_t j = 0;
  for (size_t i = 0; i < n_wmaps; i++) {
    uint64_t s = wmaps[i].s, e = wmaps[i].e;
    while (j < n_unreg && unreg[j].e <= s) j++;
    if (j >= n_unreg || unreg[j].s >= e || is_bad(s, e)) continue;
    struct uffdio_register reg = {.range = {s, e - s}, .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
      int err = errno;
      if (err == ENOMEM || err == ENOENT) continue; /* unmapped meanwhile */
      /* EINVAL also comes from a mapping that changed since /proc/PID/maps was read
       * (a heap trimmed meanwhile): try again at the next reads, give up after 3. */
      if (failing.s == s && failing.e == e) failing_count++;
      else {
        failing = (range_t){s, e};
        failing_count = 1;
      }
      if (failing_count < 3) continue;
      push_range(&bad, &n_bad, &cap_bad, s, e);
      untracked_mappings++;
      if (untracked_mappings <= 5)
        notef("writable mapping %llx-%llx (%llu pages) cannot be tracked (%s); writes to it are not recorded",
              (unsigned long long)s, (unsigned long long)e, (unsigned long long)((e - s) >> page_shift), strerror(err));
      continue;
    }
    if (pm_scan(s, e, PM_SCAN_WP_MATCHING, WRITTEN_MASK, WRITTEN_INVERTED, WRITTEN_ANYOF, report, NULL, NULL, NULL) < 0) return -1;
    debugf("registered %llx-%llx", (unsigned long long)s, (unsigned long long)e);
  }
  return 0;
}

static range_t *gone;
static size_t n_gone, cap_gone;

/* Free the page numbers of memory that went away since the last scan: pages no
 * longer mapped, and pages neither resident nor swapped (MADV_DONTNEED, …). */
static int release_gone(void) {
  pagenum_release_unmapped((const uint64_t(*)[2])allmaps, n_allmaps);
  if (!pagenum_live()) return 0;
  n_gone = 0;
  if (mech == MECH_PMSCAN) {
    if (pm_scan(span_lo, span_hi, 0, PAGE_IS_PRESENT | PAGE_IS_SWAPPED, PAGE_IS_PRESENT | PAGE_IS_SWAPPED, 0, 0, &gone, &n_gone,
                &cap_gone) < 0)
      return -1;
    for (size_t i = 0; i < n_gone; i++) pagenum_release(gone[i].s >> page_shift, gone[i].e >> page_shift);
  }
  return 0;
}

static int scan_pmscan(int report) {
  if (read_maps() < 0) return -1;
  if (report && release_gone() < 0) return -1;
  if (pm_scan(span_lo, span_hi, PM_SCAN_WP_MATCHING, WRITTEN_MASK, WRITTEN_INVERTED, WRITTEN_ANYOF, report, NULL, NULL, NULL) < 0)
    return -1;
  return register_new(report);
}

static void setup_pmscan(int report) {
#if defined(__x86_64__)
  if (uffd >= 0) close(uffd);
  if (pmfd >= 0) close(pmfd);
  uffd = pmfd = -1;
  syscall_insn = find_syscall_insn();
  if (!syscall_insn) failf(EXIT_FAILED, FAIL_FAILED, "no syscall instruction found in process %d", tpid);
  long tfd = inject(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY, 0, 0);
  if (tfd == -EINVAL) tfd = inject(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK, 0, 0);
  if (tfd < 0)
    failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "userfaultfd() inside process %d failed: %s", tpid, strerror((int)-tfd));
  int pidfd = (int)syscall(SYS_pidfd_open, tpid, 0);
  if (pidfd >= 0) {
    uffd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)tfd, 0);
    close(pidfd);
  }
  int err = errno;
  long closed = inject(SYS_close, tfd, 0, 0);
  if (uffd < 0) failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "cannot take the userfaultfd from process %d (pidfd_getfd: %s)", tpid, strerror(err));
  if (closed) notef("could not close the helper's descriptor %ld in process %d", tfd, tpid);
  struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
  if (ioctl(uffd, UFFDIO_API, &api))
    failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "asynchronous userfaultfd write-protect unavailable: %s", strerror(errno));
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/pagemap", tpid);
  pmfd = open(path, O_RDONLY | O_CLOEXEC);
  if (pmfd < 0) failf(EXIT_FAILED, FAIL_FAILED, "cannot open %s: %s", path, strerror(errno));
  n_bad = 0;
  if (scan_pmscan(report) < 0) failf(EXIT_FAILED, FAIL_FAILED, "first scan of process %d failed: %s", tpid, strerror(errno));
#else
  (void)report;
  failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "the pagemap-scan mechanism is implemented for x86-64 only");
#endif
}

/* ------------------------------------------------------------------ soft-dirty */

static uint64_t *pmbuf;
#define PMBUF_PAGES 65536

static int clear_softdirty(void) {
  return pwrite(clear_fd, "4", 1, 0) == 1 ? 0 : -1;
}

/* Read each writable mapping's pagemap entries: soft-dirty (bit 55) and resident
 * (63) or swapped (62) is a written page; at setup every resident page is taken
 * as the starting state. Then clear the bits for the next epoch. */
static int scan_softdirty(int report) {
  if (read_maps() < 0) return -1;
  if (report) pagenum_release_unmapped((const uint64_t(*)[2])allmaps, n_allmaps);
  if (!pmbuf && !(pmbuf = malloc(PMBUF_PAGES * sizeof *pmbuf))) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
  for (size_t i = 0; i < n_wmaps; i++) {
    uint64_t a = wmaps[i].s >> page_shift, b = wmaps[i].e >> page_shift;
    while (a < b) {
      uint64_t n = b - a > PMBUF_PAGES ? PMBUF_PAGES : b - a;
      ssize_t got = pread(pmfd, pmbuf, n * 8, (off_t)(a * 8));
      if (got < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      if (got == 0) break;
      n = (uint64_t)got / 8;
      uint64_t run = 0; /* start + 1 of a run of pages with no memory, 0 if none */
      for (uint64_t k = 0; k < n; k++) {
        uint64_t ent = pmbuf[k];
        int resident = (ent >> 63) & 1 || (ent >> 62) & 1;
        if (!resident) {
          if (!run) run = a + k + 1;
          continue;
        }
        if (run) {
          pagenum_release(run - 1, a + k); /* memory gone (MADV_DONTNEED, …): its numbers are free */
          run = 0;
        }
        if (!report || ((ent >> 55) & 1)) mark_pages(a + k, a + k + 1, report);
      }
      if (run) pagenum_release(run - 1, a + n);
      a += n;
    }
  }
  return clear_softdirty();
}

static void setup_softdirty(int report) {
  char path[64];
  if (pmfd >= 0) close(pmfd);
  if (clear_fd >= 0) close(clear_fd);
  snprintf(path, sizeof path, "/proc/%d/pagemap", tpid);
  pmfd = open(path, O_RDONLY | O_CLOEXEC);
  if (pmfd < 0) failf(EXIT_FAILED, FAIL_FAILED, "cannot open %s: %s", path, strerror(errno));
  snprintf(path, sizeof path, "/proc/%d/clear_refs", tpid);
  clear_fd = open(path, O_WRONLY | O_CLOEXEC);
  if (clear_fd < 0) failf(EXIT_FAILED, FAIL_FAILED, "cannot open %s: %s", path, strerror(errno));
  if (scan_softdirty(report) < 0) failf(EXIT_FAILED, FAIL_FAILED, "first scan of process %d failed: %s", tpid, strerror(errno));
}

/* ------------------------------------------------------------------ epochs */

static int64_t t0_ns;
static int64_t epoch_start_us;
static int final_done;

static int scan(int report) { return mech == MECH_PMSCAN ? scan_pmscan(report) : scan_softdirty(report); }

static void setup(int report) {
  if (mech == MECH_PMSCAN) setup_pmscan(report);
  else setup_softdirty(report);
}

/* Free the numbers of the processes that exited (after the epoch that lists their
 * last writes), so that other processes can reuse them. */
static void drop_exited(void) {
  for (size_t i = 0; i < nprocs; i++) {
    struct proc *p = procs[i];
    if (!p->exited || !p->map) continue;
    if (cur == p) use_proc(procs[0]);
    pagenum_drop(p->map);
    p->map = NULL;
    pagenum_use(cur->map);
  }
}

/* End the current epoch now: scan every recorded process, and send what was found.
 * -1 if the target is gone. */
static int end_epoch(uint32_t flags) {
  int64_t t = mono_ns();
  uint64_t rss = 0;
  for (size_t i = 0; i < nprocs; i++) {
    struct proc *p = procs[i];
    if (!p->tracked || p->exited) continue;
    use_proc(p);
    if (scan(1) < 0) {
      debugf("scan of %d failed: %s", p->pid, strerror(errno));
      if (i == 0) return -1;
      continue; /* a child exiting: its exit comes next */
    }
    if (!p->forked) rss += read_rss(); /* a forked copy's pages are its parent's until written: numbered then */
  }
  use_proc(procs[0]);
  int64_t t1 = mono_ns();
  if (rss > peak_rss) peak_rss = rss;
  uint64_t hw = pagenum_high_water();
  struct epoch_info ei = {
      .t_start_us = epoch_start_us,
      .t_end_us = (t - t0_ns) / 1000,
      .mem_pages = hw > peak_rss ? hw : peak_rss,
      .scan_us = (uint32_t)((t1 - t) / 1000),
      .rss_pages = (uint32_t)rss,
      .flags = flags | epoch_flags,
  };
  epoch_flags = 0;
  emit_epoch(dirty.w, dirty.nwords * 64, &ei, 1);
  drop_exited();
  epoch_start_us = ei.t_end_us;
  if (flags & EPOCH_FINAL) final_done = 1;
  return 0;
}

static void final_epoch(void) {
  if (!final_done && target_alive) {
    if (end_epoch(EPOCH_FINAL) < 0) notef("the last epoch was lost: process %d could not be scanned at the end", tpid);
    final_done = 1;
  }
}

/* ------------------------------------------------------------------ start and end */

static void release_target(void) {
  if (uffd >= 0) close(uffd); /* drops every registration and write-protection */
  uffd = -1;
  if (pmfd >= 0) close(pmfd);
  pmfd = -1;
  if (clear_fd >= 0) close(clear_fd);
  clear_fd = -1;
}

/* Leave the current process running: stop it in a ptrace stop, then detach. */
static void detach_target(void) {
  release_target();
  if (is_root() ? !target_alive : cur->exited) return;
  if (ptrace(PTRACE_INTERRUPT, tpid, 0, 0)) return; /* gone, or not stopped: the kernel detaches at our exit */
  for (;;) {
    int st;
    if (wait_target(&st)) return;
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      if (is_root()) note_exit(st);
      return;
    }
    if (!WIFSTOPPED(st)) continue;
    int ev = st >> 16, sig = WSTOPSIG(st);
    /* A signal-delivery stop passes its signal on as we detach. */
    int deliver = ev == 0 ? sig : 0;
    if (pending_sig && !deliver) deliver = pending_sig;
    pending_sig = 0;
    if (ev == PTRACE_EVENT_EXIT) deliver = 0;
    ptrace(PTRACE_DETACH, tpid, 0, deliver);
    return;
  }
}

/* Release every process but the target: their descriptors closed, ptrace detached. */
static void release_children(void) {
  for (size_t i = 1; i < nprocs; i++) {
    use_proc(procs[i]);
    detach_target();
    procs[i]->exited = 1;
  }
  if (nprocs) use_proc(procs[0]);
}

static void cleanup_on_fail(void) {
  if (nprocs) release_children();
  if (attached) detach_target();
  else if (tpid > 0 && target_alive) kill(tpid, SIGKILL);
}

/* ptrace options: the target's exec and exit, and with `follow` the processes it
 * forks. Its children get no PTRACE_O_EXITKILL: a helper that dies leaves them running. */
static long trace_opts(int child) {
  long o = PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT;
  if (follow) o |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
  if (!child && !attached) o |= PTRACE_O_EXITKILL;
  return o;
}

static void spawn(char **argv, int keep_thp) {
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC)) failf(EXIT_FAILED, FAIL_FAILED, "pipe: %s", strerror(errno));
  tpid = fork();
  if (tpid < 0) failf(EXIT_FAILED, FAIL_FAILED, "fork: %s", strerror(errno));
  if (tpid == 0) {
    close(errpipe[0]);
    if (!keep_thp) prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0); /* kept across execve: true 4 KiB pages */
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    raise(SIGSTOP); /* until the helper has seized us */
    execvp(argv[0], argv);
    int e = errno;
    if (write(errpipe[1], &e, sizeof e) < 0) _exit(127);
    _exit(127);
  }
  close(errpipe[1]);
  int st;
  if (waitpid(tpid, &st, WUNTRACED) != tpid || !WIFSTOPPED(st)) failf(EXIT_FAILED, FAIL_FAILED, "the command did not start");
  if (ptrace(PTRACE_SEIZE, tpid, 0, trace_opts(0)))
    failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "cannot trace the command (ptrace: %s)", strerror(errno));
  kill(tpid, SIGCONT);
  for (;;) {
    if (wait_target(&st)) failf(EXIT_FAILED, FAIL_FAILED, "waitpid: %s", strerror(errno));
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      note_exit(st);
      int e = 0;
      if (read(errpipe[0], &e, sizeof e) == (ssize_t)sizeof e)
        failf(EXIT_USAGE, FAIL_USAGE, "cannot run '%s': %s", argv[0], strerror(e));
      failf(EXIT_FAILED, FAIL_FAILED, "the command ended before it started (status %d)", exit_status);
    }
    if (!WIFSTOPPED(st)) continue;
    int ev = st >> 16, sig = WSTOPSIG(st);
    if (ev == PTRACE_EVENT_EXEC) break;
    if (ev == PTRACE_EVENT_STOP || ev) ptrace(PTRACE_CONT, tpid, 0, 0);
    else ptrace(PTRACE_CONT, tpid, 0, (sig == SIGSTOP || sig == SIGCONT) ? 0 : sig);
  }
  close(errpipe[0]);
  /* Step out of execve, so the registers are at an ordinary user-mode instruction. */
  if (ptrace(PTRACE_SINGLESTEP, tpid, 0, 0) || wait_target(&st) || !WIFSTOPPED(st))
    failf(EXIT_FAILED, FAIL_FAILED, "the command stopped unexpectedly after exec");
}

static void attach(pid_t pid) {
  tpid = pid;
  attached = 1;
  if (kill(pid, 0) && errno == ESRCH) failf(EXIT_USAGE, FAIL_USAGE, "no process %d", pid);
  if (ptrace(PTRACE_SEIZE, pid, 0, trace_opts(0))) {
    int e = errno;
    if (e == ESRCH) failf(EXIT_USAGE, FAIL_USAGE, "no process %d", pid);
    failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "cannot attach to process %d (ptrace: %s; needs root or CAP_SYS_PTRACE, and no other tracer)",
          pid, strerror(e));
  }
  if (ptrace(PTRACE_INTERRUPT, pid, 0, 0)) failf(EXIT_FAILED, FAIL_FAILED, "cannot stop process %d: %s", pid, strerror(errno));
  for (;;) {
    int st;
    if (wait_target(&st)) failf(EXIT_FAILED, FAIL_FAILED, "waitpid: %s", strerror(errno));
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      note_exit(st);
      failf(EXIT_USAGE, FAIL_USAGE, "process %d exited", pid);
    }
    if (!WIFSTOPPED(st)) continue;
    if ((st >> 16) == 0) pending_sig = WSTOPSIG(st); /* its signal is delivered when it runs again */
    break;
  }
}

static const char *mech_name(int m) { return m == MECH_SOFTDIRTY ? "softdirty" : "pagemap-scan"; }

static int choose_mechanism(int wanted) {
  char why[256] = "";
  if (wanted == MECH_SOFTDIRTY) {
    if (probe_softdirty()) return MECH_SOFTDIRTY;
    failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "this kernel has no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY); try --mechanism pagemap-scan");
  }
  if (wanted == MECH_PMSCAN) {
    if (probe_pmscan(why, sizeof why)) return MECH_PMSCAN;
    failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "pagemap-scan capture is unavailable on this kernel: %s", why);
  }
  if (probe_softdirty()) return MECH_SOFTDIRTY;
  if (probe_pmscan(why, sizeof why)) return MECH_PMSCAN;
  failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE,
        "this kernel can record neither soft-dirty bits (no CONFIG_MEM_SOFT_DIRTY) nor write-protected pages (%s)", why);
}

/* ------------------------------------------------------------------ main loop */

static const char *signame(int sig) {
  switch (sig) {
  case SIGINT: return "SIGINT";
  case SIGTERM: return "SIGTERM";
  case SIGHUP: return "SIGHUP";
  default: return "signal";
  }
}

/* Step a process out of execve, so its registers are at an ordinary user-mode
 * instruction. 0, or -1 if it is gone (st holds its status). */
static int step_out_of_exec(int *st) {
  if (ptrace(PTRACE_SINGLESTEP, tpid, 0, 0) || wait_target(st)) return -1;
  if (!WIFSTOPPED(*st)) return -1;
  if ((*st >> 16) == 0 && WSTOPSIG(*st) != SIGTRAP) pending_sig = WSTOPSIG(*st);
  return 0;
}

/* Set up the current process (a child): 0, or -1 when it cannot be recorded (a
 * note says why; its numbers and marks are dropped, its events passed on from now). */
static int setup_child(int report) {
  static jmp_buf jb;
  static char why[512];
  struct proc *p = cur;
  if (setjmp(jb)) {
    set_fail_jump(NULL, NULL, 0);
    use_proc(p);
    release_target();
    pagenum_reset(&dirty);
    p->tracked = 0;
    p->failed = 1;
    notef("process %d (%s) under the target cannot be recorded: %s", p->pid, p->comm, why);
    if (t0_ns) proc_record(p, "unrecorded"); /* before the HELO: sent after it */
    return -1;
  }
  set_fail_jump(&jb, why, sizeof why);
  setup(report);
  set_fail_jump(NULL, NULL, 0);
  p->tracked = 1;
  return 0;
}

/* A ptrace event of a process other than the target: a new child (its first stop),
 * its exec, its exit. `active`: the capture is recording (not ending). */
static void child_event(pid_t pid, int st, int active) {
  struct proc *p = find_proc(pid);
  if (p && p->exited) p = NULL; /* an exited process's pid, reused */
  if (WIFEXITED(st) || WIFSIGNALED(st)) {
    if (p && !p->exited) {
      use_proc(p);
      release_target();
      p->exited = 1;
      if (!p->failed) proc_record(p, "exit");
      use_proc(procs[0]);
    }
    return;
  }
  if (!WIFSTOPPED(st)) return;
  int ev = st >> 16, sig = WSTOPSIG(st);
  if (!p) {
    /* A process forked under the target, stopped before it runs. */
    if (!active) { /* started as the capture ends: let it go (no PTRACE_O_EXITKILL inherited from the target) */
      ptrace(PTRACE_DETACH, pid, 0, 0);
      return;
    }
    p = add_proc(pid);
    use_proc(p);
    ptrace(PTRACE_SETOPTIONS, pid, 0, trace_opts(1));
    proc_record(p, "start");
    if (!shares_memory(pid)) { /* its memory is its parent's, shared copy-on-write: not written, not its own yet */
      number_baseline = 0;
      setup_child(0);
      number_baseline = 1;
      p->forked = 1;
    }
    ptrace(PTRACE_CONT, pid, 0, pending_sig);
    pending_sig = 0;
    use_proc(procs[0]);
    return;
  }
  use_proc(p);
  int deliver = 0;
  if (ev == PTRACE_EVENT_EXIT) {
    if (active && p->tracked && scan(1) < 0) debugf("last scan of %d failed: %s", pid, strerror(errno)); /* its memory is still there */
    release_target();
    p->exited = 1;
    if (!p->failed) proc_record(p, "exit");
  } else if (ev == PTRACE_EVENT_EXEC) {
    if (active && !p->failed) {
      int st2 = 0;
      if (step_out_of_exec(&st2) < 0) {
        release_target();
        p->exited = 1;
        if (!p->failed) proc_record(p, "exit");
        use_proc(procs[0]);
        return;
      }
      pagenum_reset(&dirty);
      p->forked = 0;
      read_comm(p);
      if (setup_child(1) == 0) proc_record(p, "exec"); /* a new program image: its resident pages were written by exec */
    }
    deliver = pending_sig;
    pending_sig = 0;
  } else if (ev == PTRACE_EVENT_STOP) {
    if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
      ptrace(PTRACE_LISTEN, pid, 0, 0);
      use_proc(procs[0]);
      return;
    }
  } else if (!ev) {
    deliver = sig; /* an ordinary signal: deliver it */
  }
  ptrace(PTRACE_CONT, pid, 0, deliver);
  use_proc(procs[0]);
}

/* Attach and record the descendants of pid not recorded yet: with --pid, those
 * already running (report 0: their memory is their starting state); at each epoch,
 * those forked by a thread other than a process's main one, which ptrace does not
 * report (report 1: their resident pages count as written, as a new mapping's do). */
static void adopt_descendants(pid_t pid, int report) {
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char cpath[160];
    snprintf(cpath, sizeof cpath, "/proc/%d/task/%.32s/children", pid, de->d_name);
    FILE *f = fopen(cpath, "re");
    if (!f) continue;
    int c;
    while (fscanf(f, "%d", &c) == 1) {
      if (find_proc(c) || ptrace(PTRACE_SEIZE, c, 0, trace_opts(1))) continue;
      if (ptrace(PTRACE_INTERRUPT, c, 0, 0)) continue;
      int st, sig = 0;
      pid_t r;
      while ((r = waitpid(c, &st, __WALL)) < 0 && errno == EINTR) {}
      if (r != c || !WIFSTOPPED(st)) continue;
      if ((st >> 16) == 0) sig = WSTOPSIG(st); /* delivered when it runs again */
      struct proc *p = add_proc(c);
      use_proc(p);
      pending_sig = sig;
      if (!shares_memory(c)) setup_child(report);
      if (t0_ns && !p->failed) proc_record(p, "start"); /* before the HELO: sent after it */
      ptrace(PTRACE_CONT, c, 0, pending_sig);
      pending_sig = 0;
      use_proc(procs[0]);
      adopt_descendants(c, report);
    }
    fclose(f);
  }
  closedir(d);
}

int run_linux(const struct capture_opts *o) {
  page_shift = (unsigned)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
  mech = choose_mechanism(o->mechanism);
  set_fail_cleanup(cleanup_on_fail);
  follow = !o->no_children;
  if (o->pid > 0) attach(o->pid);
  else spawn(o->argv, o->keep_thp);
  struct proc *root = add_proc(tpid);
  use_proc(root);
  setup(0);
  root->tracked = 1;
  if (attached && follow) adopt_descendants(tpid, 0);

  struct utsname u;
  uname(&u);
  t0_ns = mono_ns();
  proto_text("HELO",
             "version=%d\nsource=%s\npage_size=%ld\ninterval_us=%lld\npid=%d\nmode=%s\nt0_monotonic_ns=%lld\n"
             "kernel=%s\narch=%s\nnumbering=first-touch\nthp_disabled=%d\nbaseline_pages=%llu\n",
             CAPTURE_PROTOCOL_VERSION, mech_name(mech), sysconf(_SC_PAGESIZE), (long long)o->interval_us, tpid,
             attached ? "attach" : "command", (long long)t0_ns, u.release, u.machine, !attached && !o->keep_thp,
             (unsigned long long)baseline_pages);
  for (size_t i = 0; i < nprocs; i++) proc_record(procs[i], procs[i]->failed ? "unrecorded" : "start");
  if (ptrace(PTRACE_CONT, tpid, 0, pending_sig)) failf(EXIT_FAILED, FAIL_FAILED, "cannot resume process %d: %s", tpid, strerror(errno));
  pending_sig = 0;

  const int64_t interval_ns = o->interval_us * 1000;
  int64_t next = t0_ns + interval_ns;
  const int64_t stop_at = o->duration_us > 0 ? t0_ns + o->duration_us * 1000 : -1;
  const char *stopped_by = NULL;
  int stop_signal = 0;
  int draining = 0;        /* command mode: the target was told to stop */
  int64_t kill_at = -1;
  int64_t first_signal_at = 0;
  int done = 0;

  while (!done) {
    int64_t deadline = draining ? kill_at : next;
    if (!draining && stop_at >= 0 && stop_at < deadline) deadline = stop_at;
    int sig = wait_signal_until(deadline);
    int stop_now = 0;
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
      if (!stopped_by) {
        stopped_by = "signal";
        stop_signal = sig;
        stop_now = 1;
        first_signal_at = mono_ns();
      } else if (draining && first_signal_at && mono_ns() - first_signal_at > 1000000000LL) {
        /* Asked again, a second later: the command will not stop. (Ctrl-C reaches us
         * twice at once, from the terminal and forwarded by migreplay: not that.) */
        kill(tpid, SIGKILL);
      }
    }
    if (!stopped_by && proto_broken()) {
      stopped_by = "reader-gone";
      stop_now = 1;
    }
    /* ptrace events */
    for (;;) {
      int st;
      pid_t r = waitpid(follow ? -1 : tpid, &st, WNOHANG | __WALL);
      if (r <= 0) break;
      if (r != root->pid) {
        child_event(r, st, !draining && !stopped_by);
        continue;
      }
      if (WIFEXITED(st) || WIFSIGNALED(st)) {
        note_exit(st);
        if (!stopped_by) stopped_by = "target-exit";
        done = 1;
        break;
      }
      if (!WIFSTOPPED(st)) continue;
      int ev = st >> 16, ssig = WSTOPSIG(st);
      if (ev == PTRACE_EVENT_EXIT) {
        if (!stopped_by) stopped_by = "target-exit";
        if (!draining) final_epoch(); /* its memory is still there: one last scan */
        draining = 1;
        if (kill_at < 0) kill_at = mono_ns() + 3000000000LL;
        ptrace(PTRACE_CONT, tpid, 0, 0);
      } else if (ev == PTRACE_EVENT_EXEC) {
        if (!draining && !stopped_by) {
          int st2 = 0;
          if (ptrace(PTRACE_SINGLESTEP, tpid, 0, 0) || wait_target(&st2))
            failf(EXIT_FAILED, FAIL_FAILED, "lost process %d after exec: %s", tpid, strerror(errno));
          if (!WIFSTOPPED(st2)) {
            note_exit(st2);
            if (!stopped_by) stopped_by = "target-exit";
            done = 1;
            break;
          }
          if ((st2 >> 16) == 0 && WSTOPSIG(st2) != SIGTRAP) pending_sig = WSTOPSIG(st2);
          /* A new program image: the old one's memory is gone, page numbers start again. */
          pagenum_reset(&dirty);
          setup(1);        /* its resident pages were written by exec */
          read_comm(root);
          proc_record(root, "exec");
          epoch_flags |= EPOCH_EXEC;
        }
        ptrace(PTRACE_CONT, tpid, 0, pending_sig);
        pending_sig = 0;
      } else if (ev == PTRACE_EVENT_STOP) {
        if (ssig == SIGSTOP || ssig == SIGTSTP || ssig == SIGTTIN || ssig == SIGTTOU) ptrace(PTRACE_LISTEN, tpid, 0, 0);
        else ptrace(PTRACE_CONT, tpid, 0, 0);
      } else if (ev) {
        ptrace(PTRACE_CONT, tpid, 0, 0);
      } else {
        ptrace(PTRACE_CONT, tpid, 0, ssig); /* an ordinary signal: deliver it */
      }
    }
    if (done) break;
    int64_t now = mono_ns();
    if (!stopped_by && stop_at >= 0 && now >= stop_at) {
      stopped_by = "duration";
      stop_now = 1;
    }
    if (stop_now && !draining) {
      final_epoch();
      if (attached) {
        detach_target();
        done = 1;
        break;
      }
      kill(tpid, SIGTERM);
      draining = 1;
      kill_at = mono_ns() + 3000000000LL;
      continue;
    }
    if (draining) {
      if (kill_at >= 0 && now >= kill_at) {
        kill(tpid, SIGKILL);
        kill_at = now + 3000000000LL;
      }
      continue;
    }
    if (now >= next) {
      if (follow) /* children that ptrace did not report */
        for (size_t i = 0, n = nprocs; i < n; i++)
          if (!procs[i]->exited && !procs[i]->failed) adopt_descendants(procs[i]->pid, 1);
      if (end_epoch(0) < 0) {
        /* The target is exiting: its exit event or status comes next. */
        next = now + interval_ns;
        continue;
      }
      int64_t after = mono_ns();
      next += interval_ns;
      if (next < after + interval_ns / 4) next = after + interval_ns / 4; /* a slow scan lengthens the epoch */
    }
  }
  release_children();
  release_target();
  for (size_t i = 0; i < nprocs; i++)
    if (!procs[i]->failed) proc_record(procs[i], "end");

  char extra[128] = "";
  if (attached) snprintf(extra, sizeof extra, "target_running=%d\n", target_alive && kill(tpid, 0) == 0);
  else if (exit_status >= 0) snprintf(extra, sizeof extra, "exit_status=%d\n", exit_status);
  proto_text("DONE",
             "stopped_by=%s\nsignal=%s\n%sepochs=%llu\nevents=%llu\nmax_pages=%llu\nscan_us_mean=%llu\nscan_us_max=%llu\n"
             "numbered_pages=%llu\nnumbered_high_water=%llu\npeak_rss_pages=%llu\nuntracked_mappings=%u\nfinal_epoch=%d\n",
             stopped_by ? stopped_by : "target-exit", stop_signal ? signame(stop_signal) : "", extra,
             (unsigned long long)totals.epochs, (unsigned long long)totals.events, (unsigned long long)totals.max_pages,
             (unsigned long long)(totals.epochs ? totals.scan_us_sum / totals.epochs : 0),
             (unsigned long long)totals.scan_us_max, (unsigned long long)pagenum_live(), (unsigned long long)pagenum_high_water(),
             (unsigned long long)peak_rss, untracked_mappings, final_done);
  return EXIT_OK;
}
