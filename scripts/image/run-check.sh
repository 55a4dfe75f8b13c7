#!/usr/bin/env bash
# Runs a built image with no daemon and checks that it serves: umoci unpacks the OCI layout into
# a runtime bundle, runc runs it as the image says (user 1000, `cloister serve`) with a
# read-only root — only DATA_DIR and /tmp are writable, as tmpfs — on the host's network
# (bound to 127.0.0.1 on a free port), then /healthz must answer 200, /readyz 200, and
# /v1/attestation/report's `build` must name the commit the image was built from.
# With a Postgres URL the image runs in production mode against it (in a database of its own,
# dropped afterwards; simulated attestation explicitly allowed, as there is no TDX here);
# without one, in development mode on its embedded database.
# Usage: run-check.sh LAYOUT COMMIT [POSTGRES_URL]     (as root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
layout=$1 commit=$2 pg=${3:-}

work=$(mktemp -d)
id=cloister-check-$$
db=""
cleanup() {
  runc delete --force "$id" >/dev/null 2>&1 || true
  [ -z "$db" ] || psql -q "$pg" -c "drop database if exists $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
umoci unpack --image "$layout:cloister" "$work/bundle" >/dev/null 2>"$work/umoci.log" || { cat "$work/umoci.log" >&2; die "umoci could not unpack $layout"; }
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
env=("HOST=127.0.0.1" "PORT=$port" "LOG_LEVEL=warn")
if [ -n "$pg" ]; then
  db=cloister_image_check_$$
  psql -q "$pg" -c "create database $db" >/dev/null
  env+=("DATABASE_URL=${pg%/*}/$db" "PUBLIC_URL=https://localhost" "SESSION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        "ATTESTATION_MODE=simulated" "ATTESTATION_ALLOW_SIMULATED=true")
  mode="production, Postgres"
else
  env+=("NODE_ENV=development")
  mode="development, embedded database"
fi
# The runtime spec umoci wrote, changed only where this check needs it.
node -e '
  const fs = require("fs");
  const [file, ...extra] = process.argv.slice(1);
  const c = JSON.parse(fs.readFileSync(file, "utf8"));
  c.root.readonly = true;
  c.process.terminal = false;
  const names = new Set(extra.map((e) => e.split("=")[0]));
  c.process.env = c.process.env.filter((e) => !names.has(e.split("=")[0])).concat(extra);
  c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== "network");
  for (const [dir, mode] of [["/var/lib/cloister", "0700"], ["/tmp", "1777"]])
    c.mounts.push({ destination: dir, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec", `mode=${mode}`, "uid=1000", "gid=1000"] });
  fs.writeFileSync(file, JSON.stringify(c, null, 2));
' "$work/bundle/config.json" "${env[@]}"

say "run: runc, read-only root, $mode, 127.0.0.1:$port"
started=$(date +%s%N)
runc run --detach --bundle "$work/bundle" "$id" >"$work/out.log" 2>&1 </dev/null || { cat "$work/out.log" >&2; die "runc could not start the image"; }
ok=""
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then ok=yes; break; fi
  [ "$(runc state "$id" 2>/dev/null | jq -r .status)" = running ] || break
  sleep 0.5
done
[ -n "$ok" ] || { cat "$work/out.log" >&2; die "the image did not answer /healthz (its output is above)"; }
say "run: /healthz 200 after $(( ($(date +%s%N) - started) / 1000000 )) ms"
curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" || { cat "$work/out.log" >&2; die "/readyz did not answer 200"; }
build=$(curl -fsS "http://127.0.0.1:$port/v1/attestation/report" | jq -c .gateway_attestation.build)
[ "$(jq -r .git_commit <<<"$build")" = "$commit" ] || die "the attestation report's build is $build, not commit $commit"
say "run: /readyz 200; /v1/attestation/report build $build"
touch_ro=$(runc exec "$id" /usr/local/bin/node -e 'try{require("fs").writeFileSync("/app/x","");console.log("writable")}catch(e){console.log(e.code)}' 2>&1)
[ "$touch_ro" = EROFS ] || die "/app was writable inside the container ($touch_ro)"
runc kill "$id" TERM
for _ in $(seq 1 40); do [ "$(runc state "$id" 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.25; done
say "run: read-only root held; stopped on SIGTERM ($(runc state "$id" | jq -r .status))"
