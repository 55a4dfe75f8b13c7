#!/usr/bin/env bash
# Refreshes image/lock.json on purpose: the newest Debian packages of the lock's `include` list
# (with whatever they depend on), the Node version package.json pins with its integrity and
# binary hash, the expected layer hashes, and the versions of the tools used. The epoch (every
# base-layer file time) and the snapshot time move only when a package or Node moved, so a
# refresh with nothing new changes nothing. Review the diff and commit it alone: it changes the
# image digest.
# Usage: scripts/refresh-image-lock.sh    (as root, like scripts/build-image.sh)
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
. "$root/scripts/image/lib.sh"
lock=$root/image/lock.json
parts=$root/scripts/image
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

node_version=$(node -p 'require(process.argv[1]).devDependencies.node' "$root/package.json")
[ "$(tr -d '[:space:]' < "$root/.nvmrc")" = "$node_version" ] || die ".nvmrc and package.json's node devDependency differ; make them one version first"

resolve() { # EPOCH -> work/packages.json, work/rootfs.tar, work/node.json
  node -e 'const l = require(process.argv[1]); l.epoch = Number(process.argv[2]); console.log(JSON.stringify(l))' "$lock" "$1" > "$work/lock.json"
  "$parts/root-filesystem.sh" "$work/lock.json" "$work/rootfs.tar" --resolve > "$work/packages.json"
  "$parts/node-layer.sh" "$work/lock.json" "$work/node.tar" --resolve "$node_version" > "$work/node.json"
}

old_epoch=$(lock_get "$lock" epoch)
resolve "$old_epoch"
moved=$(node -e '
  const [lockFile, pkgFile, nodeFile] = process.argv.slice(1);
  const lock = require(lockFile); const pkgs = require(pkgFile); const n = require(nodeFile);
  const same = JSON.stringify(lock.debian.packages) === JSON.stringify(pkgs) && lock.node.version === n.version && lock.node.integrity === n.integrity;
  console.log(same ? "no" : "yes")' "$lock" "$work/packages.json" "$work/node.json")
epoch=$old_epoch
if [ "$moved" = yes ]; then
  epoch=$(date -u +%s)
  resolve "$epoch"
fi

node -e '
  const fs = require("fs");
  const [lockFile, pkgFile, nodeFile, rootfsSha, epoch, tar, mmdebstrap, npm, npmIntegrity] = process.argv.slice(1);
  const lock = JSON.parse(fs.readFileSync(lockFile, "utf8"));
  const snapshot = new Date(Number(epoch) * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  lock.epoch = Number(epoch);
  lock.debian.snapshot = snapshot;
  lock.debian.packages = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  lock.debian.rootfs_sha256 = rootfsSha;
  lock.node = JSON.parse(fs.readFileSync(nodeFile, "utf8"));
  lock.tools = { mmdebstrap, npm, npm_integrity: npmIntegrity, tar };
  fs.writeFileSync(lockFile, JSON.stringify(lock, null, 2) + "\n");
' "$lock" "$work/packages.json" "$work/node.json" "$(sha256_of "$work/rootfs.tar")" "$epoch" \
  "$(tar --version | sed -n '1s/.*(GNU tar) //p')" "$(mmdebstrap --version | cut -d' ' -f2)" \
  "$(npm --version)" "$(npm view "npm@$(npm --version)" dist.integrity)"
git -C "$root" --no-pager diff --stat -- image/lock.json >&2
say "image/lock.json refreshed (epoch $epoch$([ "$moved" = yes ] && echo ', moved' || echo ', nothing moved')); review and commit it on its own"
