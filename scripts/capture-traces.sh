#!/usr/bin/env bash
# The exact commands behind the traces captured with `migreplay capture`
# (traces/CAPTURES.md). Needs root (or CAP_SYS_PTRACE), Linux with soft-dirty bits or
# >= 6.7, the built helper (npm run build:capture), and Debian's sqlite3, redis-server
# and redis-tools. Everything runs on loopback and stops by itself.
#   scripts/capture-traces.sh [sqlite_inserts|redis_bench|node_gc …]   (default: all)
#   MIGREPLAY="node bin/migreplay.js"   the CLI to run (any command line that has `capture`)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
migreplay=${MIGREPLAY:-node $here/bin/migreplay.js}
shared=${SHARED:-$here/../shared}
work=$(mktemp -d "${TMPDIR:-/tmp}/migreplay-captures.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Commands run in $work with relative paths, so the recorded command reads as it ran.
capture() { # name, duration, then the command
  local name=$1 duration=$2
  shift 2
  (cd "$work" && $migreplay capture --out "$here/traces/$name.arrow" --compression zstd --interval 50ms \
    --duration "$duration" --workload "$name: $(printf '%q ' "$@" | sed 's/ $//')" -- "$@")
}

sqlite_inserts() {
  # SQLite 3.40 inserting 100 000-row batches (random keys, 64-byte blobs, an index)
  # with a 256 MiB page cache: the script of the shipped pagescan captures. It runs
  # about a minute untraced; the first 30 s are kept.
  cp "$shared/tools/pagescan/sqlite_inserts.sql" "$work/"
  rm -f "$work/test.db"
  capture sqlite_inserts 30s sqlite3 test.db ".read sqlite_inserts.sql"
}

redis_bench() {
  # Redis 7.0 on 127.0.0.1:6390 (no persistence) under redis-benchmark: 50 clients,
  # random keys out of 1 M, 128-byte values, looping SET, GET, INCR, LPUSH, … for 17 s.
  capture redis_bench 20s redis-server --port 6390 --bind 127.0.0.1 --protected-mode yes --save '' \
    --appendonly no --daemonize no --logfile redis.log &
  local cap=$!
  for _ in $(seq 1 100); do
    redis-cli -p 6390 ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  timeout 17 redis-benchmark -h 127.0.0.1 -p 6390 -n 200000 -r 1000000 -d 128 -c 50 \
    -t set,get,incr,lpush,rpop,sadd,hset,zadd,lrange_100 -l -q >/dev/null || true
  wait "$cap"
}

node_gc() {
  # Node.js (V8) churning a heap: a 200 000-entry Map of small objects, replaced 5000
  # entries at a time, plus short-lived garbage — scavenges and mark-compacts.
  cat >"$work/node_gc.js" <<'JS'
const m = new Map(); let i = 0; const t = Date.now();
while (Date.now() - t < 30000) {
  for (let k = 0; k < 5000; k++, i++) m.set(i % 200000, { id: i, name: 'k' + i, tags: [i & 7, i & 15], when: Date.now() });
  const tmp = []; for (let k = 0; k < 2000; k++) tmp.push({ x: k, s: String(k).repeat(4) });
}
JS
  capture node_gc 20s node node_gc.js
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(sqlite_inserts redis_bench node_gc)
for n in "${names[@]}"; do "$n"; done
