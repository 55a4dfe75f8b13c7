#!/usr/bin/env bash
# Builds the image twice from clean state and compares digests (needs Docker with buildx).
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
tmp=$(mktemp -d)
one=$("$root/scripts/build-image.sh" --out "$tmp/one.oci.tar" | tail -n 1)
docker buildx prune --builder cloister-repro --all --force >/dev/null 2>&1 || true
two=$("$root/scripts/build-image.sh" --out "$tmp/two.oci.tar" | tail -n 1)
echo "build 1: $one"
echo "build 2: $two"
if [ "$one" != "$two" ]; then
  cat >&2 <<MSG
The two builds differ. Compare them layer by layer with diffoci:
  diffoci diff --semantic oci-archive:$tmp/one.oci.tar oci-archive:$tmp/two.oci.tar
Usual causes: an unpinned input, a timestamp written by a build step, or a native addon built
from source (npm install scripts must stay off in Dockerfile.reproducible).
MSG
  exit 1
fi
rm -rf "$tmp"
echo "reproducible: $one"
