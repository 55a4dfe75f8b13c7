#!/usr/bin/env bash
# The image's root filesystem layer: the Debian packages image/lock.json names, at the versions
# it names, unpacked with `mmdebstrap --variant=extract` (no maintainer scripts, no apt, no
# dpkg database, no shell), written as a deterministic tar. Fails naming what moved when the
# archive no longer gives the locked packages, or when the tar's hash differs from the lock's.
#
# The mirror comes from CLOISTER_DEBIAN_MIRROR: a URL with {archive} standing for debian or
# debian-security (default http://deb.debian.org/{archive}), or the word `snapshot` for
# http://snapshot.debian.org/archive/{archive}/<the lock's snapshot time> — the auditor's choice
# once the archive has moved on. apt checks the Release signatures with the host's Debian keyring.
#
# Usage: root-filesystem.sh LOCK OUT.tar            build the locked root filesystem
#        root-filesystem.sh LOCK OUT.tar --resolve  newest versions of the lock's `include`
#                                                   packages (for scripts/refresh-image-lock.sh);
#                                                   prints the package list as JSON on stdout
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
lock=$1 out=$2 mode=${3:-locked}

suite=$(lock_get "$lock" debian.suite)
arch=$(lock_get "$lock" debian.architecture)
snapshot=$(lock_get "$lock" debian.snapshot)
epoch=$(lock_get "$lock" epoch)
mirror=${CLOISTER_DEBIAN_MIRROR:-http://deb.debian.org/{archive\}}
aptopts=()
if [ "$mirror" = snapshot ]; then
  mirror="http://snapshot.debian.org/archive/{archive}/$snapshot"
  aptopts=(--aptopt='Acquire::Check-Valid-Until "false"')
fi
sources=()
while read -r archive dist; do
  sources+=("deb ${mirror//\{archive\}/$archive} $dist main")
done < <(node -e 'for (const s of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).debian.sources) console.log(s.archive, s.suite)' "$lock")

if [ "$mode" = --resolve ]; then
  mapfile -t include < <(lock_get "$lock" debian.include)
else
  mapfile -t include < <(node -e 'for (const p of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).debian.packages) console.log(`${p.name}=${p.version}`)' "$lock")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The hook records every .deb apt fetched (name, version, architecture, sha256) and removes what
# mmdebstrap copies from the build host: its hostname, its resolv.conf, and the mirror's URL.
hook='cd "$1/var/cache/apt/archives" && for f in *.deb; do
  printf "%s %s %s %s\n" "$(dpkg-deb -f "$f" Package)" "$(dpkg-deb -f "$f" Version)" "$(dpkg-deb -f "$f" Architecture)" "$(sha256sum < "$f" | cut -c1-64)"
done > '"$work/fetched.txt"' && rm -f "$1/etc/hostname" "$1/etc/resolv.conf" "$1/etc/apt/sources.list"'

say "root filesystem: Debian $suite/$arch, ${#include[@]} packages, from ${sources[0]%% $suite*}"
if ! SOURCE_DATE_EPOCH=$epoch mmdebstrap --variant=extract --architectures="$arch" \
    --include="$(IFS=,; echo "${include[*]}")" "${aptopts[@]}" --extract-hook="$hook" \
    "$suite" "$work/rootfs" "${sources[@]}" >"$work/mmdebstrap.log" 2>&1; then
  cat "$work/mmdebstrap.log" >&2
  missing=$(grep -oE "Version '[^']+' for '[^']+' was not found" "$work/mmdebstrap.log" | sed -E "s/Version '([^']+)' for '([^']+)'.*/\2 \1/" || true)
  if [ -n "$missing" ]; then
    die "the Debian archive no longer has these locked packages (superseded, most likely):
$(printf '  %s\n' "$missing")
Build against the lock's snapshot (CLOISTER_DEBIAN_MIRROR=snapshot), or refresh the lock on purpose
(scripts/refresh-image-lock.sh) and commit it: that changes the image digest."
  fi
  die "mmdebstrap failed (log above)"
fi

if [ "$mode" = --resolve ]; then
  node "$here/packages.mjs" json "$work/fetched.txt"
else
  node "$here/packages.mjs" compare "$work/fetched.txt" "$lock" || die "the Debian packages moved (above); refresh the lock on purpose with scripts/refresh-image-lock.sh"
fi

# Bookkeeping of a package manager the image does not contain, and device nodes the container
# runtime provides: not part of the image.
rm -rf "$work/rootfs/var/cache/apt" "$work/rootfs/var/lib/apt" "$work/rootfs/var/log/apt"
find "$work/rootfs/dev" -mindepth 1 -delete
layer_tar "$out" "$epoch" "$work/rootfs"

if [ "$mode" != --resolve ]; then
  want=$(lock_get "$lock" debian.rootfs_sha256)
  got=$(sha256_of "$out")
  [ "$got" = "$want" ] || die "the root filesystem moved: sha256 $got, image/lock.json expects $want, with every package as locked.
A tool changed how it unpacks or writes (mmdebstrap, dpkg-deb, tar: compare with the lock's tools), or the host leaked into it.
Compare with a build that matches: diffoscope A.tar B.tar"
  say "root filesystem: sha256:$got as locked"
fi
