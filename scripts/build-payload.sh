#!/usr/bin/env bash
# The image's application layer alone, built from a commit without containers or root
# filesystems (scripts/image/app-layer.sh, the same code scripts/build-image.sh runs): prints
# `sha256:<hex>` on its last line, which is literally the digest of the image's last layer.
# Usage: scripts/build-payload.sh [REV] [OUT.tar]
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
rev=${1:-HEAD}
out=${2:-}
commit=$(git -C "$root" rev-parse "$rev^{commit}")
epoch=$(git -C "$root" log -1 --format=%ct "$commit")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
git -C "$root" archive "$commit" | tar -x -C "$work/src"
"$work/src/scripts/image/app-layer.sh" "$work/src" "$commit" "$epoch" "$work/payload.tar"
[ -z "$out" ] || cp "$work/payload.tar" "$out"
echo "sha256:$(sha256sum "$work/payload.tar" | cut -d' ' -f1)"
