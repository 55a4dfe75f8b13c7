#!/usr/bin/env bash
# Proves the canonical image is reproducible and runs: builds it twice from two fresh clones of
# one commit — the second in another environment (own UTS and mount namespaces: another
# hostname, /etc/hostname and /etc/resolv.conf; umask 077; another TZ, locale and temp dir,
# and a deeper path) — and compares the manifest digest, the config and every layer.
# On a difference it runs diffoscope on what differs and exits 1. Then it runs the first build
# under runc with a read-only root and checks /healthz, /readyz and the attested build identity
# (scripts/image/run-check.sh). Prints the digest alone on its last line.
# Usage: scripts/verify-reproducible.sh [--rev REV] [--postgres URL]    (as root; URL: run the
#        image in production mode against that Postgres, else development mode)
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
. "$root/scripts/image/lib.sh"
rev=HEAD pg=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) rev=$2; shift 2 ;;
    --postgres) pg=$2; shift 2 ;;
    *) die "usage: $0 [--rev REV] [--postgres URL]" ;;
  esac
done
commit=$(git -C "$root" rev-parse "$rev^{commit}")
began=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

one=$tmp/one/cloister
two=$tmp/two/a/much/deeper/path/than/the/first/cloister
for dir in "$one" "$two"; do
  git clone -q "$root" "$dir"
  git -C "$dir" checkout -q --detach "$commit"
done

say "verify: build 1 of $commit (this environment)"
t=$(date +%s)
"$one/scripts/build-image.sh" --out "$tmp/one/oci" > "$tmp/one/digest" 2> "$tmp/one/log" || { cat "$tmp/one/log" >&2; die "build 1 failed"; }
time_one=$(( $(date +%s) - t ))

say "verify: build 2 (other hostname, resolv.conf, umask 077, TZ, locale, path)"
mkdir -p "$tmp/two/tmp" "$tmp/two/etc"
printf 'other-builder\n' > "$tmp/two/etc/hostname"
# Another resolv.conf that still resolves (the build fetches from the Debian archive and npm).
{ echo '# resolver file of another build host'; cat /etc/resolv.conf; echo 'options attempts:2'; } > "$tmp/two/etc/resolv.conf"
t=$(date +%s)
unshare --uts --mount -- env -u LANGUAGE TZ=Pacific/Chatham LANG=C LC_ALL=POSIX TMPDIR="$tmp/two/tmp" bash -c '
  set -e
  hostname other-builder
  mount --bind "$1/etc/hostname" /etc/hostname
  mount --bind "$1/etc/resolv.conf" /etc/resolv.conf
  umask 077
  cd "$2" && exec scripts/build-image.sh --out "$1/oci"
' build-two "$tmp/two" "$two" > "$tmp/two/digest" 2> "$tmp/two/log" || { cat "$tmp/two/log" >&2; die "build 2 failed"; }
time_two=$(( $(date +%s) - t ))

d1=$(tail -n 1 "$tmp/one/digest") d2=$(tail -n 1 "$tmp/two/digest")
say "verify: build 1 $d1 in ${time_one} s"
say "verify: build 2 $d2 in ${time_two} s"
blobs() { node -e '
  const fs = require("fs"); const dir = process.argv[1];
  const blob = (d) => JSON.parse(fs.readFileSync(`${dir}/blobs/sha256/${d.slice(7)}`, "utf8"));
  const m = blob(JSON.parse(fs.readFileSync(`${dir}/index.json`, "utf8")).manifests[0].digest);
  console.log("config", m.config.digest);
  m.layers.forEach((l, i) => console.log(`layer${i + 1}`, l.digest));' "$1"; }
if [ "$d1" != "$d2" ]; then
  say "verify: the builds DIFFER"
  paste <(blobs "$tmp/one/oci") <(blobs "$tmp/two/oci") | while read -r name a _ b; do
    [ "$a" = "$b" ] && { say "  $name same $a"; continue; }
    say "  $name differs: $a vs $b"
    command -v diffoscope >/dev/null || { say "  (install diffoscope to see how)"; continue; }
    timeout 300 diffoscope --text - --max-report-size 200000 \
      "$tmp/one/oci/blobs/sha256/${a#sha256:}" "$tmp/two/oci/blobs/sha256/${b#sha256:}" >&2 || true
  done
  exit 1
fi
paste <(blobs "$tmp/one/oci") <(blobs "$tmp/two/oci") | while read -r name a _ b; do
  [ "$a" = "$b" ] || die "$name differs under one manifest digest?"
  say "  $name $a"
done
size=$(du -sb "$tmp/one/oci/blobs" | cut -f1)
say "verify: reproducible, $((size / 1000000)) MB uncompressed"

"$one/scripts/image/run-check.sh" "$tmp/one/oci" "$commit" "$pg"
say "verify: done in $(( $(date +%s) - began )) s (builds ${time_one} s and ${time_two} s)"
echo "$d1"
