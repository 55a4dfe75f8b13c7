#!/usr/bin/env bash
# Builds, without Docker, exactly what goes into the image's application layer — compiled
# server and web app, production node_modules (from the lock file, install scripts off, as in
# Dockerfile.reproducible), migrations, attestation files, package files, build-info.json — as a
# deterministic tar (sorted entries, mtime = commit time, uid/gid 0, normalised modes, no gzip)
# and prints `sha256:<hex>` on its last line. Two runs from two fresh clones of one commit must
# print the same hash (scripts/ci-payload-check.sh checks that).
# Usage: scripts/build-payload.sh [REV] [OUT.tar]
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
rev=${1:-HEAD}
out=${2:-}
commit=$(git -C "$root" rev-parse "$rev")
epoch=$(git -C "$root" log -1 --format=%ct "$commit")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/layer"
git -C "$root" archive "$commit" | tar -x -C "$work/src"
cd "$work/src"
export SOURCE_DATE_EPOCH=$epoch npm_config_update_notifier=false
npm ci --prefer-offline --no-audit --no-fund >&2
npm run build >&2
rm -rf node_modules
npm ci --prefer-offline --no-audit --no-fund --omit=dev --ignore-scripts >&2
version=$(node -p "require('./package.json').version")
printf '{"version":"%s","git_commit":"%s","source_date_epoch":"%s"}\n' "$version" "$commit" "$epoch" > build-info.json
cp -a bin dist migrations attestation node_modules package.json package-lock.json build-info.json "$work/layer/"
rm -f "$work/layer/node_modules/.package-lock.json"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --mode='go-w,u+rw,a+rX' \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime --format=posix \
  -cf "$work/payload.tar" -C "$work/layer" .
[ -n "$out" ] && cp "$work/payload.tar" "$out"
echo "commit $commit, SOURCE_DATE_EPOCH=$epoch, $(du -h "$work/payload.tar" | cut -f1) payload" >&2
echo "sha256:$(sha256sum "$work/payload.tar" | cut -d' ' -f1)"
