/* Kernel interfaces newer than some distributions' headers (Debian 12 ships 6.1
 * uapi headers): userfaultfd asynchronous write-protect (Linux 6.7) and the
 * PAGEMAP_SCAN ioctl on /proc/PID/pagemap (Linux 6.7). Values are the kernel's ABI
 * (include/uapi/linux/fs.h and userfaultfd.h); each is defined only when missing. */
#ifndef MIGREPLAY_CAPTURE_UAPI_H
#define MIGREPLAY_CAPTURE_UAPI_H

#include <linux/types.h>
#include <linux/userfaultfd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

#ifndef PAGEMAP_SCAN
/* Page categories a scan can match and report. */
#define PAGE_IS_WPALLOWED (1 << 0)  /* in a VMA registered for async uffd-wp */
#define PAGE_IS_WRITTEN (1 << 1)    /* not write-protected: written since the last protect */
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)    /* the shared zero page (a read of an untouched page) */
#define PAGE_IS_HUGE (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)

struct page_region {
  __u64 start;
  __u64 end;
  __u64 categories;
};

/* Write-protect the matching pages in the same walk that reports them. */
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)

struct pm_scan_arg {
  __u64 size;
  __u64 flags;
  __u64 start;
  __u64 end;
  __u64 walk_end;
  __u64 vec;
  __u64 vec_len;
  __u64 max_pages;
  __u64 category_inverted;
  __u64 category_mask;
  __u64 category_anyof_mask;
  __u64 return_mask;
};

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

#endif
