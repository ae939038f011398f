/* Xen guests, from dom0: log-dirty mode through libxenctrl.
 *
 * Enable log-dirty mode for the domain (XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY), then
 * each interval copy-and-clear its dirty bitmap (XEN_DOMCTL_SHADOW_OP_CLEAN), one bit
 * per guest frame, and turn log-dirty mode off at the end (XEN_DOMCTL_SHADOW_OP_OFF).
 * Page numbers are guest frame numbers; the bitmap covers frames 0 … max_gpfn
 * (xc_domain_maximum_gpfn); mem_pages starts at the domain's page count from
 * xc_domain_getinfo and is raised above any higher frame that gets dirtied.
 *
 * Built only where Xen's headers are (HAVE_XEN, set by scripts/build-capture.sh),
 * and COMPILE-TESTED ONLY: no Xen host was available to run it. The loop around it
 * (logdirty.c) and the bitmap → epoch code (epoch.c) are the ones the tests run with
 * the fake source.
 *
 * libxenctrl changed names over time: Xen ≥ 4.16 has xc_logdirty_control() for the
 * bitmap operations (older ones take the bitmap in xc_shadow_control()), Xen ≥ 4.18
 * replaces xc_domain_getinfo() by xc_domain_getinfo_single(). The build script
 * detects which exist (HAVE_XC_LOGDIRTY_CONTROL, HAVE_XC_DOMAIN_GETINFO_SINGLE). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#ifdef HAVE_XEN
#include <xenctrl.h>

struct xen {
  xc_interface *xch;
  uint32_t domid;
  uint64_t p2m_size;    /* bitmap length in bits: max gpfn + 1 */
  uint64_t tot_pages;
  uint64_t max_memkb;
  int hvm;
  int nr_bitmap_pages;
  xc_hypercall_buffer_t hbuf;
};

/* libxenctrl's messages go to the debug trace, not the terminal; the last error is
 * kept for the one-line failure. */
static char last_error[512];

static void quiet_vmessage(struct xentoollog_logger *lg, xentoollog_level level, int errnoval, const char *context,
                           const char *format, va_list al) {
  (void)lg;
  char msg[200];
  vsnprintf(msg, sizeof msg, format, al);
  debugf("libxenctrl%s%s: %s", context ? " " : "", context ? context : "", msg);
  if (level >= XTL_ERROR) snprintf(last_error, sizeof last_error, "%s%s%s", msg, errnoval > 0 ? ": " : "",
                                   errnoval > 0 ? strerror(errnoval) : "");
}
static void quiet_destroy(struct xentoollog_logger *lg) { (void)lg; }
static struct xentoollog_logger quiet_logger = {.vmessage = quiet_vmessage, .progress = NULL, .destroy = quiet_destroy};

static long long shadow_op(struct xen *x, unsigned op, int with_bitmap) {
#ifdef HAVE_XC_LOGDIRTY_CONTROL
  return xc_logdirty_control(x->xch, x->domid, op, with_bitmap ? &x->hbuf : NULL, with_bitmap ? x->p2m_size : 0, 0, NULL);
#else
  return xc_shadow_control(x->xch, x->domid, op, with_bitmap ? &x->hbuf : NULL, with_bitmap ? x->p2m_size : 0, NULL, 0, NULL);
#endif
}

static int domain_alive(struct xen *x, uint64_t *tot_pages, uint64_t *max_memkb, int *hvm) {
#ifdef HAVE_XC_DOMAIN_GETINFO_SINGLE
  xc_domaininfo_t info;
  if (xc_domain_getinfo_single(x->xch, x->domid, &info) < 0) return 0;
  if (info.flags & XEN_DOMINF_dying) return 0;
  if (tot_pages) *tot_pages = info.tot_pages;
  if (max_memkb) *max_memkb = info.max_pages * 4;
  if (hvm) *hvm = (info.flags & XEN_DOMINF_hvm_guest) != 0;
#else
  xc_dominfo_t info;
  if (xc_domain_getinfo(x->xch, x->domid, 1, &info) != 1 || info.domid != x->domid || info.dying) return 0;
  if (tot_pages) *tot_pages = info.nr_pages;
  if (max_memkb) *max_memkb = info.max_memkb;
  if (hvm) *hvm = info.hvm;
#endif
  return 1;
}

static int xen_open(struct dirtylog *dl, uint64_t *mem_pages, uint64_t *nbits) {
  struct xen *x = dl->st;
  x->xch = xc_interface_open(&quiet_logger, &quiet_logger, 0);
  if (!x->xch)
    failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE, "cannot open the Xen control interface (run in dom0 as root)%s%s",
          last_error[0] ? ": " : "", last_error);
  if (!domain_alive(x, &x->tot_pages, &x->max_memkb, &x->hvm)) failf(EXIT_USAGE, FAIL_USAGE, "no Xen domain %u", x->domid);
  xen_pfn_t max_gpfn = 0;
  if (xc_domain_maximum_gpfn(x->xch, x->domid, &max_gpfn) < 0)
    failf(EXIT_FAILED, FAIL_FAILED, "xc_domain_maximum_gpfn(%u): %s", x->domid, strerror(errno));
  x->p2m_size = (uint64_t)max_gpfn + 1;
  size_t bytes = (x->p2m_size + 63) / 64 * 8;
  x->nr_bitmap_pages = (int)((bytes + XC_PAGE_SIZE - 1) / XC_PAGE_SIZE);
  if (!xc__hypercall_buffer_alloc_pages(x->xch, &x->hbuf, x->nr_bitmap_pages))
    failf(EXIT_FAILED, FAIL_FAILED, "cannot allocate a %llu-frame dirty bitmap", (unsigned long long)x->p2m_size);
  memset(x->hbuf.hbuf, 0, (size_t)x->nr_bitmap_pages * XC_PAGE_SIZE);
  *mem_pages = x->tot_pages > 0 ? x->tot_pages : x->p2m_size;
  *nbits = x->p2m_size;
  return 0;
}

static int xen_enable(struct dirtylog *dl) {
  struct xen *x = dl->st;
  if (shadow_op(x, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, 0) < 0)
    failf(EXIT_FAILED, FAIL_FAILED, "cannot enable log-dirty mode for domain %u (%s): is it being migrated or captured already?",
          x->domid, strerror(errno));
  return 0;
}

static int xen_clean(struct dirtylog *dl, uint64_t **words) {
  struct xen *x = dl->st;
  if (shadow_op(x, XEN_DOMCTL_SHADOW_OP_CLEAN, 1) < 0) {
    if (!domain_alive(x, NULL, NULL, NULL)) return 1;
    return -1;
  }
  *words = x->hbuf.hbuf;
  return 0;
}

static int xen_disable(struct dirtylog *dl) {
  struct xen *x = dl->st;
  return shadow_op(x, XEN_DOMCTL_SHADOW_OP_OFF, 0) < 0 ? -1 : 0;
}

static void xen_close(struct dirtylog *dl) {
  struct xen *x = dl->st;
  if (x->hbuf.hbuf) xc__hypercall_buffer_free_pages(x->xch, &x->hbuf, x->nr_bitmap_pages);
  if (x->xch) xc_interface_close(x->xch);
  free(x);
  dl->st = NULL;
}

static void xen_describe(struct dirtylog *dl, char *buf, size_t len) {
  struct xen *x = dl->st;
  snprintf(buf, len, "xen_domid=%u\nguest_pages=%llu\nmax_memkb=%llu\np2m_size=%llu\nhvm=%d\n", x->domid,
           (unsigned long long)x->tot_pages, (unsigned long long)x->max_memkb, (unsigned long long)x->p2m_size, x->hvm);
}

int xen_init(struct dirtylog *dl, long domid) {
  struct xen *x = calloc(1, sizeof *x);
  if (!x) failf(EXIT_FAILED, FAIL_FAILED, "out of memory");
  x->domid = (uint32_t)domid;
  x->hbuf = (xc_hypercall_buffer_t){.hbuf = NULL, .param_shadow = NULL, .dir = 0, .sz = 0, .ubuf = (void *)-1};
  *dl = (struct dirtylog){.source = "xen-logdirty", .st = x, .open = xen_open, .enable = xen_enable, .clean = xen_clean,
                          .disable = xen_disable, .close = xen_close, .describe = xen_describe};
  return 0;
}

#else

int xen_init(struct dirtylog *dl, long domid) {
  (void)dl;
  (void)domid;
  failf(EXIT_UNAVAILABLE, FAIL_UNAVAILABLE,
        "this build has no Xen support: install Xen's development headers (Debian: libxen-dev) and run npm run build:capture");
}

#endif
