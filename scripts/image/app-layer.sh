#!/usr/bin/env bash
# The image's application layer, /app: the compiled server and web app, production
# node_modules from the lock file (install scripts off: argon2's shipped N-API prebuild is used),
# migrations, attestation files, package files and build-info.json (version, commit,
# SOURCE_DATE_EPOCH — what /v1/attestation/report's `build` says). Every mtime is the commit
# time, owners 0:0 (in the tar, whoever builds), modes u+rw,go-w,a+rX: the tar's sha256 is both the payload hash
# (scripts/build-payload.sh) and this layer's digest in the image.
# Usage: app-layer.sh SRC COMMIT EPOCH OUT.tar    (SRC: the commit's files, e.g. from git archive)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
src=$1 commit=$2 epoch=$3 out=$4

cd "$src"
export SOURCE_DATE_EPOCH=$epoch npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
say "app layer: npm ci and build"
npm ci --prefer-offline >&2
npm run build >&2
rm -rf node_modules
say "app layer: production dependencies"
npm ci --prefer-offline --omit=dev --ignore-scripts >&2
version=$(node -p 'require("./package.json").version')
printf '{"version":"%s","git_commit":"%s","source_date_epoch":"%s"}\n' "$version" "$commit" "$epoch" > build-info.json

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -m 0755 "$stage/app"
cp -a bin dist migrations attestation node_modules package.json package-lock.json build-info.json "$stage/app/"
rm -f "$stage/app/node_modules/.package-lock.json"
chmod -R u+rw,go-w,a+rX "$stage/app"
layer_tar "$out" "$epoch" "$stage"
say "app layer: $version at $commit, $(du -h "$out" | cut -f1)"
