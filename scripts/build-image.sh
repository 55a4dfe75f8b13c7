#!/usr/bin/env bash
# Builds Cloister's image reproducibly from the committed tree (needs Docker with buildx).
# Pinned BuildKit, no cache, linux/amd64, no provenance/SBOM attestations, OCI output with
# rewritten timestamps, SOURCE_DATE_EPOCH = the commit time. Prints the image digest.
# Usage: scripts/build-image.sh [--out image.oci.tar] [--push REGISTRY/NAME:TAG]
set -euo pipefail
BUILDKIT_IMAGE='moby/buildkit:v0.29.0@sha256:0039c1d47e8748b5afea56f4e85f14febaf34452bd99d9552d2daa82262b5cc5'
BUILDER=cloister-repro
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
out="$root/image.oci.tar"
push=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --push) push=$2; shift 2 ;;
    *) echo "usage: $0 [--out FILE] [--push REF]" >&2; exit 2 ;;
  esac
done
[ -z "$(git -C "$root" status --porcelain)" ] || { echo "the work tree has uncommitted changes; build from a clean checkout of a tag" >&2; exit 1; }
commit=$(git -C "$root" rev-parse HEAD)
export SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct)
version=$(node -p "require('$root/package.json').version")
docker buildx inspect "$BUILDER" >/dev/null 2>&1 || docker buildx create --name "$BUILDER" --driver docker-container --driver-opt "image=$BUILDKIT_IMAGE" >/dev/null
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
git -C "$root" archive "$commit" | tar -x -C "$context"
docker buildx build --builder "$BUILDER" --no-cache --platform linux/amd64 \
  --provenance=false --sbom=false \
  --build-arg SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" --build-arg GIT_COMMIT="$commit" --build-arg BUILD_VERSION="$version" \
  -f "$context/Dockerfile.reproducible" \
  --output "type=oci,dest=$out,rewrite-timestamp=true,oci-mediatypes=true,compression=gzip,compression-level=9,force-compression=true" \
  "$context" >&2
digest=$(tar -xOf "$out" index.json | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).manifests[0].digest))")
if [ -n "$push" ]; then
  skopeo copy --preserve-digests "oci-archive:$out" "docker://$push" >&2
fi
echo "commit $commit, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, image $out" >&2
echo "$digest"
