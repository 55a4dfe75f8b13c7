#!/usr/bin/env bash
# Two fresh clones of HEAD, one payload build in each: the hashes must be equal.
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hashes=()
for n in 1 2; do
  git clone -q "$root" "$tmp/clone$n"
  hashes+=("$("$tmp/clone$n/scripts/build-payload.sh" HEAD "$tmp/payload$n.tar" | tail -n 1)")
  echo "payload $n: ${hashes[-1]}"
done
if [ "${hashes[0]}" != "${hashes[1]}" ]; then
  echo "payload builds differ; compare with: diff <(tar -tvf $tmp/payload1.tar) <(tar -tvf $tmp/payload2.tar)" >&2
  diff <(tar -tvf "$tmp/payload1.tar") <(tar -tvf "$tmp/payload2.tar") | head -20 >&2 || true
  exit 1
fi
echo "reproducible payload: ${hashes[0]}"
