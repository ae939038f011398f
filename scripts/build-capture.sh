#!/bin/sh
# Build the native helper of `migreplay capture` (native/capture/*.c) into
# build/capture/migreplay-capture. Run at install time (npm ci / npm install) and by
# `npm run build:capture`.
#
# It never fails an install: without a C compiler, on a system other than Linux,
# or when compiling fails, it prints a note and exits 0 — `capture` then reports that
# it is unavailable and everything else works. Xen support (--xen-domid) is compiled
# in when Xen's headers and libxenctrl are present (Debian: libxen-dev).
#
#   MIGREPLAY_CAPTURE_STRICT=1   exit 1 when the helper cannot be built (CI)
#   --require-xen                also exit 1 when Xen support cannot be built (CI)
#   CC, CFLAGS                   compiler and extra flags
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/native/capture"
out_dir="$here/build/capture"
out="$out_dir/migreplay-capture"
strict=${MIGREPLAY_CAPTURE_STRICT:-0}
require_xen=0
for arg in "$@"; do
  case "$arg" in
    --require-xen) require_xen=1; strict=1 ;;
    *) echo "build-capture: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

note() {
  echo "migreplay: $*; \`migreplay capture\` will be unavailable (everything else works)" >&2
  [ "$strict" = 1 ] && exit 1
  exit 0
}

[ "$(uname -s)" = Linux ] || note "the capture helper needs Linux (this is $(uname -s))"

cc=${CC:-}
if [ -z "$cc" ]; then
  for c in cc gcc clang; do
    if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
  done
fi
[ -n "$cc" ] && command -v "$cc" >/dev/null 2>&1 || note "no C compiler found (install gcc or set CC), so the capture helper was not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/migreplay-capture.XXXXXX") || note "cannot create a temporary folder"
trap 'rm -rf "$tmp"' EXIT INT TERM

# Does this C snippet compile and link with these flags?
try_cc() { # code, flags…
  code=$1
  shift
  printf '%s\n' "$code" >"$tmp/t.c"
  "$cc" -o "$tmp/t" "$tmp/t.c" "$@" >/dev/null 2>&1
}

xen_flags=""
xen_libs=""
xen="no"
if try_cc '#include <xenctrl.h>
int main(void) { xc_interface *x = xc_interface_open(0, 0, 0); return x == 0; }' -lxenctrl; then
  xen_flags="-DHAVE_XEN"
  xen_libs="-lxenctrl"
  xen="yes"
  try_cc '#include <xenctrl.h>
int main(void) { return (int)xc_logdirty_control(0, 0, 0, 0, 0, 0, 0); }' -lxenctrl && xen_flags="$xen_flags -DHAVE_XC_LOGDIRTY_CONTROL"
  try_cc '#include <xenctrl.h>
int main(void) { xc_domaininfo_t i; return xc_domain_getinfo_single(0, 0, &i); }' -lxenctrl && xen_flags="$xen_flags -DHAVE_XC_DOMAIN_GETINFO_SINGLE"
elif [ "$require_xen" = 1 ]; then
  echo "migreplay: --require-xen: Xen's headers or libxenctrl are missing (Debian: apt-get install libxen-dev)" >&2
  exit 1
fi

sources="$src/main.c $src/proto.c $src/epoch.c $src/pagenum.c $src/linux.c $src/logdirty.c $src/fakelog.c $src/xen.c"
flags="-std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter ${CFLAGS:-}"

build() { # extra flags, libs
  # shellcheck disable=SC2086
  "$cc" $flags $1 -o "$tmp/migreplay-capture" $sources $2 2>"$tmp/errors"
}

if ! build "$xen_flags" "$xen_libs"; then
  if [ "$xen" = yes ]; then
    if [ "$require_xen" = 1 ]; then
      cat "$tmp/errors" >&2
      echo "migreplay: --require-xen: the helper does not compile with Xen support" >&2
      exit 1
    fi
    echo "migreplay: the capture helper does not compile with Xen support; building it without (--xen-domid unavailable)" >&2
    xen="no"
    build "" "" || { cat "$tmp/errors" >&2; note "compiling the capture helper failed"; }
  else
    cat "$tmp/errors" >&2
    note "compiling the capture helper failed"
  fi
fi
if [ -s "$tmp/errors" ]; then cat "$tmp/errors" >&2; fi

mkdir -p "$out_dir" || note "cannot create $out_dir"
mv -f "$tmp/migreplay-capture" "$out" || note "cannot write $out"
echo "migreplay: built the capture helper: build/capture/migreplay-capture (Xen support: $xen)" >&2
exit 0
