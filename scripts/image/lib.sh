# Shared by the image build's parts (sourced, not run). One recipe for every layer tar, one
# way to read the lock, one way to fail.

# Every file the build writes gets explicit modes; what it does not set is rw-r--r--/rwxr-xr-x,
# whatever the caller's umask (a 077 umask once made 0700 directories in a layer).
umask 022
export LC_ALL=C.UTF-8 TZ=UTC

die() { printf 'image build: %s\n' "$*" >&2; exit 1; }
say() { printf 'image build: %s\n' "$*" >&2; }

# lock_get LOCK PATH — one value of image/lock.json (dotted path; arrays print one item a line).
lock_get() {
  node -e '
    const [file, path] = process.argv.slice(1);
    let v = JSON.parse(require("fs").readFileSync(file, "utf8"));
    for (const k of path.split(".")) { v = v?.[k]; }
    if (v === undefined) { console.error(`${file} has no ${path}`); process.exit(1); }
    console.log(Array.isArray(v) ? v.join("\n") : typeof v === "object" ? JSON.stringify(v) : String(v));
  ' "$1" "$2"
}

# layer_tar OUT EPOCH DIR [--keep-owners] — a deterministic tar of DIR's contents (entries named
# without a leading ./, sorted by name, every mtime = EPOCH, numeric owners, POSIX format
# without atime/ctime, no compression). Owners are 0:0 unless --keep-owners (the accounts layer
# hands two directories to uid 1000).
layer_tar() {
  local out=$1 epoch=$2 dir=$3 owners=(--owner=0 --group=0)
  [ "${4:-}" = --keep-owners ] && owners=()
  local -a entries
  mapfile -t entries < <(cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
  [ "${#entries[@]}" -gt 0 ] || die "nothing to put in a layer from $dir"
  tar --sort=name --mtime="@$epoch" "${owners[@]}" --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -cf "$out" -C "$dir" -- "${entries[@]}"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
