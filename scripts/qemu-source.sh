#!/bin/sh
# Fetch the source of the QEMU that `validate qemu` runs (Debian's bookworm-backports
# qemu 10.0.2) into ~/.cache/migreplay/qemu-src (or $MIGREPLAY_QEMU_SRC), for reading
# the lines docs/algorithms.md cites; test/qemu-citations.test.ts checks them there.
set -eu
dest="${MIGREPLAY_QEMU_SRC:-$HOME/.cache/migreplay/qemu-src}"
[ -f "$dest/qemu-10.0.2/VERSION" ] && { echo "$dest/qemu-10.0.2"; exit 0; }
mkdir -p "$dest"
list=$(mktemp --suffix=.sources)
trap 'rm -f "$list"' EXIT
printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$list"
opts="-o Dir::Etc::sourcelist=$list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0"
# shellcheck disable=SC2086
apt-get update $opts >/dev/null
# The .dsc may be gone from the mirror while the upstream tarball stays: only that is needed.
# shellcheck disable=SC2086
(cd "$dest" && apt-get source --download-only $opts qemu/bookworm-backports >/dev/null 2>&1 || true)
tarball=$(ls "$dest"/qemu_10.0.2*.orig.tar.xz 2>/dev/null | head -1)
[ -n "$tarball" ] || { echo "qemu-source: could not fetch qemu_10.0.2 from bookworm-backports" >&2; exit 1; }
tar -C "$dest" -xf "$tarball" --wildcards 'qemu-10.0.2/migration/*' 'qemu-10.0.2/VERSION'
echo "$dest/qemu-10.0.2"
