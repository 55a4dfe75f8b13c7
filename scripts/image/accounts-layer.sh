#!/usr/bin/env bash
# The image's accounts layer: who the server runs as and where it may write. The non-root user
# `node` (uid/gid 1000, no login shell, no password entry at all), its home, and the data
# directory (/var/lib/cloister, the image's DATA_DIR, mode 0700) — the only two paths in the
# image it owns. nsswitch.conf says these files, then DNS, answer name lookups.
# (The extract variant runs no maintainer scripts, so nothing else writes /etc/passwd.)
# Usage: accounts-layer.sh LOCK OUT.tar
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
lock=$1 out=$2
epoch=$(lock_get "$lock" epoch)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -d -m 0755 -o 0 -g 0 "$stage/etc" "$stage/home" "$stage/var" "$stage/var/lib"
install -d -m 0755 -o 1000 -g 1000 "$stage/home/node"
install -d -m 0700 -o 1000 -g 1000 "$stage/var/lib/cloister"
printf '%s\n' \
  'root:x:0:0:root:/root:/usr/sbin/nologin' \
  'node:x:1000:1000:Cloister:/home/node:/usr/sbin/nologin' \
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' > "$stage/etc/passwd"
printf '%s\n' 'root:x:0:' 'node:x:1000:' 'nogroup:x:65534:' > "$stage/etc/group"
printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' 'networks: files' 'protocols: files' 'services: files' > "$stage/etc/nsswitch.conf"
chown 0:0 "$stage/etc/passwd" "$stage/etc/group" "$stage/etc/nsswitch.conf"
chmod 0644 "$stage/etc/passwd" "$stage/etc/group" "$stage/etc/nsswitch.conf"
layer_tar "$out" "$epoch" "$stage" --keep-owners
say "accounts layer: node (1000:1000), DATA_DIR /var/lib/cloister, sha256:$(sha256_of "$out")"
