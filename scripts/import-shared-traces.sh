#!/usr/bin/env bash
# Rebuild traces/*.arrow from the pagescan captures in ../shared/traces (see traces/README.md).
# mem_pages = max(distinct pages ever written, peak RSS in pages): every page the
# process wrote, plus the resident pages it never wrote (code, read-only data),
# which a hypervisor would also copy in round 0.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_TRACES:-$here/../shared/traces}
for name in gzip9 xz6 sort py_dict_sort; do
  distinct=$(zcat "$shared/$name.pages.csv.gz" | tail -n +2 | wc -l)
  peak_rss=$(awk -F, 'NR > 1 && $4 > m { m = $4 } END { print m + 0 }' "$shared/$name.epochs.csv")
  mem=$(( distinct > peak_rss ? distinct : peak_rss ))
  cmd=$(sed -n 's/^cmd=//p' "$shared/$name.meta")
  node "$here/bin/migreplay.js" convert "$shared/$name.csv.gz" "$here/traces/$name.arrow" \
    --t-is end --epochs "$shared/$name.epochs.csv" --interval-us 50000 --mem-pages "$mem" \
    --source pagemap-scan --workload "$name: $cmd" --compression zstd \
    --description "pagescan capture (userfaultfd WP_ASYNC + PAGEMAP_SCAN), 50 ms epochs; mem_pages = max(distinct $distinct, peak RSS $peak_rss)"
done
