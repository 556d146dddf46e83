#!/usr/bin/env bash
# Scale benchmark (not a test): list and search at 10 k, 100 k and 1 M
# artifacts on SQLite and on PostgreSQL against the real server (release
# build), with Glare 5.0.1 on the same 10 k data as the reference and a static
# file served by nginx as the floor. Prints a Markdown report and writes it to
# target/bench/scale.md. See docs/BENCHMARKS.md ("Scale") for what each query
# is and how long a run takes. Loopback only; every loop is bounded.
#
# Settings (environment):
#   SCALE_SIZES            artifacts per run (names x 10 versions)   "10000 100000 1000000"
#   SCALE_DBS              databases                                  "sqlite postgres"
#   SCALE_SEED             seed of `appcat generate`                  42
#   SCALE_REQUESTS         sequential requests per query              200
#   SCALE_SEQ_MAX_SECONDS  time bound of those                        60
#   SCALE_LOAD_SECONDS     seconds under load per query               20
#   SCALE_CONNECTIONS      connections under load                     16
#   SCALE_LOADGEN          oha or wrk (default: oha if on PATH, else wrk)
#   SCALE_PG_URL           PostgreSQL server (trust auth)             postgres://postgres@127.0.0.1:5432
#   SCALE_GLARE_SIZE       artifacts loaded into Glare (0: no Glare)   10000
#   SCALE_GLARE_THREADS    loader threads                             4
#   SCALE_GLARE_WORKERS    Glare API worker processes                 2
#   SCALE_FLOOR            1: measure the nginx floor, 0: skip         1
#   SCALE_OUT              report file                                target/bench/scale.md
#   APPCAT_BIN             server binary     ${CARGO_TARGET_DIR:-target}/release/appcat
#   GLARE_VENV             cached virtualenv of Glare                 target/bench/venv-glare
#   GLARE_CONSTRAINTS      pins for Glare's dependencies              ../shared/glare/constraints.txt
set -euo pipefail

cd "$(dirname "$0")/../../.."
here=server/benches/scale
BIN=${APPCAT_BIN:-${CARGO_TARGET_DIR:-target}/release/appcat}
read -r -a SIZES <<<"${SCALE_SIZES:-10000 100000 1000000}"
read -r -a DBS <<<"${SCALE_DBS-sqlite postgres}"
SEED=${SCALE_SEED:-42}
REQS=${SCALE_REQUESTS:-200}
SEQ_MAX=${SCALE_SEQ_MAX_SECONDS:-60}
LOAD_SECS=${SCALE_LOAD_SECONDS:-20}
CONNS=${SCALE_CONNECTIONS:-16}
PG=${SCALE_PG_URL:-postgres://postgres@127.0.0.1:5432}
GLARE_SIZE=${SCALE_GLARE_SIZE:-10000}
GLARE_THREADS=${SCALE_GLARE_THREADS:-4}
GLARE_WORKERS=${SCALE_GLARE_WORKERS:-2}
FLOOR=${SCALE_FLOOR:-1}
OUT=${SCALE_OUT:-target/bench/scale.md}
FAILED_LOGS=$PWD/target/bench/scale-logs
GLARE_VENV=${GLARE_VENV:-target/bench/venv-glare}
GLARE_CONSTRAINTS=${GLARE_CONSTRAINTS:-../shared/glare/constraints.txt}
PY=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
case "$GLARE_VENV" in /*) ;; *) GLARE_VENV="$PWD/$GLARE_VENV" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/appcat-scale.XXXXXX")
results="$work/results.jsonl"
: >"$results"
server_pid="" glare_pid="" nginx_pid="" nginx_dir=""
pg_dbs=()

stop_pid() { # pid [group]: TERM, then KILL after 10 s
  local pid=$1 target=$1
  [ -n "$pid" ] || return 0
  [ "${2:-}" = group ] && target="-$pid"
  kill -TERM -- "$target" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "$target" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$server_pid"
  stop_pid "$glare_pid" group
  stop_pid "$nginx_pid"
  for db in "${pg_dbs[@]}"; do
    pgq "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if [ "$rc" != 0 ]; then
    # A failed run keeps its logs and results (not its databases).
    rm -rf "$FAILED_LOGS" && mkdir -p "$FAILED_LOGS"
    (cd "$work" && find . \( -name '*.log' -o -name '*.jsonl' -o -name '*.conf' \) -print0 \
      | xargs -0 -r cp --parents -t "$FAILED_LOGS") 2>/dev/null || true
    echo "run failed ($rc): logs in $FAILED_LOGS" >&2
  fi
  rm -rf "$work"
  [ -n "$nginx_dir" ] && rm -rf "$nginx_dir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pgq() { psql "$PG/postgres" -qAt -v ON_ERROR_STOP=1 -c 'SET client_min_messages = warning' -c "$1"; }
log() { printf '[scale %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
urlenc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
json_get() { "$PY" -c 'import json, sys; v = json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }
now() { date +%s.%N; }
since() { "$PY" -c "import sys; print(round($(now) - $1, 1))"; }
record() { printf '%s\n' "$1" >>"$results"; }
phase() { record "{\"kind\": \"phase\", \"what\": \"$1\", \"seconds\": $2}"; }
wait_http() { # url seconds [pid]
  local _
  for _ in $(seq $(($2 * 10))); do
    curl -fs -o /dev/null "$1" 2>/dev/null && return 0
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# measure TARGET SIZE KEY URL [--header "K: V"]...: sequential latency, then load.
measure() {
  local target=$1 size=$2 key=$3 url=$4 seq load
  shift 4
  seq=$("$PY" "$here/client.py" seq --url "$url" "$@" --requests "$REQS" --max-seconds "$SEQ_MAX")
  load=$("$PY" "$here/client.py" load --url "$url" "$@" --seconds "$LOAD_SECS" --connections "$CONNS")
  record "{\"kind\": \"seq\", \"db\": \"$target\", \"size\": $size, \"query\": \"$key\", \"r\": $seq}"
  record "{\"kind\": \"rps\", \"db\": \"$target\", \"size\": $size, \"query\": \"$key\", \"r\": $load}"
  log "  $target $size $key: $seq $load"
}
# first TARGET SIZE KEY URL [--header "K: V"]...: one request on a new connection.
first() {
  local target=$1 size=$2 key=$3 url=$4 r
  shift 4
  r=$("$PY" "$here/client.py" first --url "$url" "$@")
  record "{\"kind\": \"first\", \"db\": \"$target\", \"size\": $size, \"query\": \"$key\", \"r\": $r}"
}

# The queries: KEY|PATH|WHO (token: the bench-a user's token; anon: none).
# @NAME@ and @ID@ are replaced per run. Glare takes the same paths without /api/v1.
QUERIES=(
  "a|/api/v1/artifacts/heat_templates?name=@NAME@&version=gte:1.5.0|token"
  "b|/api/v1/artifacts/heat_templates?version=latest&limit=25|token"
  "c|/api/v1/artifacts/heat_templates?tags=common|token"
  "c2|/api/v1/artifacts/heat_templates?tags=rare|token"
  "d|/api/v1/artifacts/heat_templates/@ID@|token"
  "e|/api/v1/artifacts/heat_templates?q=needle|token"
  "f|/apps?q=|anon"
  "f2|/apps/heat_templates?q=needle|anon"
  "gb|/api/v1/artifacts/heat_templates?version=latest&limit=25|anon"
  "gc|/api/v1/artifacts/heat_templates?tags=common|anon"
)
# Glare has no full-text search and no pages: (e) and (f) are n/a there.
GLARE_SKIP=" e f f2 "

expand() { # path name id
  local p=${1//@ID@/$(urlenc "$3")}
  printf '%s' "${p//@NAME@/$(urlenc "$2")}"
}

## Preconditions --------------------------------------------------------------

[ -x "$BIN" ] || { echo "no server binary at $BIN (cargo build -p server --release)" >&2; exit 1; }
"$PY" - "$BIN" <<'PY' || { echo "$BIN has no 'generate' command yet" >&2; exit 1; }
import subprocess, sys
out = subprocess.run([sys.argv[1], "generate", "--help"], capture_output=True, text=True)
sys.exit(0 if out.returncode == 0 else 1)
PY
loadgen=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import client; print(client.loadgen() or "")' "$here")
[ -n "$loadgen" ] || { echo "neither oha nor wrk on PATH (make tool-oha, or apt-get install wrk)" >&2; exit 1; }
for db in "${DBS[@]}"; do
  case $db in
    sqlite) ;;
    postgres)
      pgq 'select 1' >/dev/null 2>&1 \
        || { echo "PostgreSQL not reachable at $PG (SCALE_DBS=sqlite skips it)" >&2; exit 1; } ;;
    *) echo "unknown database $db (sqlite, postgres)" >&2; exit 1 ;;
  esac
done
if [ "$FLOOR" = 1 ]; then
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$NGINX" ] || { echo "nginx missing (apt-get install nginx, or SCALE_FLOOR=0)" >&2; exit 1; }
fi

mkdir -p "$(dirname "$OUT")"
record "$("$PY" - "$loadgen" "$SEED" "$REQS" "$SEQ_MAX" "$LOAD_SECS" "$CONNS" <<'PY'
import json, os, platform, shutil, subprocess, sys, time
def out(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except Exception:
        return ""
tool = sys.argv[1]
mem = ""
try:
    with open("/proc/meminfo") as f:
        mem = f"{int(f.readline().split()[1]) / 1048576:.0f} GiB"
except OSError:
    pass
cpu = ""
try:
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
except OSError:
    pass
print(json.dumps({
    "kind": "meta",
    "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    "commit": out("git", "rev-parse", "--short", "HEAD"),
    "cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "kernel": platform.release(),
    "rustc": out("rustc", "--version"),
    "loadgen": " ".join((out(tool, "--version") or out(tool, "-v") or tool).split()[:2]),
    "seed": int(sys.argv[2]), "requests": int(sys.argv[3]), "seq_max": float(sys.argv[4]),
    "load_seconds": int(sys.argv[5]), "connections": int(sys.argv[6]),
}))
PY
)"
log "work dir $work; load generator $loadgen"

## appcat ---------------------------------------------------------------------

floor_body="$work/list25.json"
for db in "${DBS[@]}"; do
  for size in "${SIZES[@]}"; do
    names=$(( (size + 9) / 10 ))
    data="$work/$db-$size"
    mkdir -p "$data"
    export APPCAT_DATA_DIR="$data" APPCAT_LOG=warn
    unset APPCAT_DATABASE_URL
    if [ "$db" = postgres ]; then
      pg_db="appcat_scale_$$_$size"
      pgq "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
      pgq "CREATE DATABASE $pg_db" >/dev/null
      pg_dbs+=("$pg_db")
      export APPCAT_DATABASE_URL="$PG/$pg_db"
    fi

    log "$db $size: generate --names $names --seed $SEED"
    t0=$(now)
    gen=$("$BIN" generate --names "$names" --seed "$SEED" 2>"$data/generate.log" | tail -n 1) \
      || { cat "$data/generate.log" >&2; exit 1; }
    gen_wall=$(since "$t0")
    name=$(json_get "$gen" name) id=$(json_get "$gen" id)
    if [ -z "$name" ] || [ -z "$id" ]; then echo "generate printed no name and id: $gen" >&2; exit 1; fi
    token=$("$BIN" token create --user bencher --tenant bench-a 2>/dev/null)
    db_bytes=""
    [ "$db" = postgres ] && db_bytes=$(pgq "select pg_database_size('$pg_db')")

    port=$(free_port)
    export APPCAT_ADDR="127.0.0.1:$port"
    base="http://127.0.0.1:$port"
    "$BIN" serve >"$data/server.log" 2>&1 &
    server_pid=$!
    wait_http "$base/api/v1" 60 "$server_pid" || { tail -n 30 "$data/server.log" >&2; exit 1; }

    # The first request of each query, straight after the load (no warm-up).
    for q in "${QUERIES[@]}"; do
      IFS='|' read -r key path who <<<"$q"
      url="$base$(expand "$path" "$name" "$id")"
      auth=(); [ "$who" = token ] && auth=(--header "X-Auth-Token: $token")
      first "$db" "$size" "$key" "$url" "${auth[@]}"
    done
    # The floor serves a 25-row list answer of the first run, byte for byte.
    [ -s "$floor_body" ] || "$PY" "$here/client.py" save --out "$floor_body" \
      --url "$base/api/v1/artifacts/heat_templates?version=latest&limit=25" --header "X-Auth-Token: $token" >/dev/null

    t1=$(now)
    for q in "${QUERIES[@]}"; do
      IFS='|' read -r key path who <<<"$q"
      url="$base$(expand "$path" "$name" "$id")"
      auth=(); [ "$who" = token ] && auth=(--header "X-Auth-Token: $token")
      measure "$db" "$size" "$key" "$url" "${auth[@]}"
    done
    rss=$(awk '$1 == "VmHWM:" { print int($2 / 1024) }' "/proc/$server_pid/status" 2>/dev/null || echo "")
    phase "$db $size: generate" "$gen_wall"
    phase "$db $size: queries" "$(since "$t1")"
    stop_pid "$server_pid"; server_pid=""
    # SQLite: the file once the server closed it (its WAL checkpointed).
    [ "$db" = sqlite ] && db_bytes=$(du -cb "$data"/*.db* 2>/dev/null | tail -n 1 | cut -f1)
    record "{\"kind\": \"load\", \"db\": \"$db\", \"size\": $size, \"gen\": $gen, \"wall\": $gen_wall, \"db_bytes\": ${db_bytes:-null}, \"rss_mb\": ${rss:-null}}"
    if [ "$db" = postgres ]; then
      pgq "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
    fi
    rm -rf "$data"
  done
done
unset APPCAT_DATABASE_URL APPCAT_DATA_DIR APPCAT_ADDR

## Glare 5.0.1 ----------------------------------------------------------------

if [ "$GLARE_SIZE" -gt 0 ]; then
  t0=$(now)
  if ! { [ -x "$GLARE_VENV/bin/glare-api" ] \
         && "$GLARE_VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("glare") != "5.0.1")' 2>/dev/null; }; then
    [ -f "$GLARE_CONSTRAINTS" ] || { echo "no $GLARE_CONSTRAINTS (GLARE_CONSTRAINTS=..., or SCALE_GLARE_SIZE=0)" >&2; exit 1; }
    log "glare: installing 5.0.1 into $GLARE_VENV"
    rm -rf "$GLARE_VENV"
    "${GLARE_PYTHON:-$PY}" -m venv "$GLARE_VENV"
    "$GLARE_VENV/bin/pip" install -q --disable-pip-version-check -c "$GLARE_CONSTRAINTS" \
      glare==5.0.1 "setuptools>=80,<81"
  fi
  phase "glare: install (0 when cached)" "$(since "$t0")"

  gdir="$work/glare"
  gport=$(free_port)
  "$PY" "$here/glare.py" configure --dir "$gdir" --port "$gport" --workers "$GLARE_WORKERS"
  (cd "$gdir" && "$GLARE_VENV/bin/glare-db-manage" --config-file "$gdir/glare.conf" upgrade) \
    >"$gdir/db-manage.log" 2>&1 || { tail -n 30 "$gdir/db-manage.log" >&2; exit 1; }
  # Its own session, so that the workers it forks stop with it.
  (cd "$gdir" && exec setsid "$GLARE_VENV/bin/glare-api" --config-file "$gdir/glare.conf") \
    >"$gdir/out.log" 2>&1 &
  glare_pid=$!
  gbase="http://127.0.0.1:$gport"
  wait_http "$gbase/artifacts/heat_templates" 90 "$glare_pid" \
    || { tail -n 30 "$gdir/glare.log" "$gdir/out.log" >&2; exit 1; }

  gnames=$(( (GLARE_SIZE + 9) / 10 ))
  jl=$("$BIN" generate --names "$gnames" --seed "$SEED" --jsonl "$work/glare.jsonl" 2>"$work/jsonl.log" | tail -n 1) \
    || { cat "$work/jsonl.log" >&2; exit 1; }
  want=""
  [ -n "$jl" ] && want=$(json_get "$jl" name 2>/dev/null || true)
  log "glare: loading $(wc -l <"$work/glare.jsonl") artifacts with $GLARE_THREADS threads"
  t0=$(now)
  gl=$("$PY" "$here/glare.py" load --url "$gbase" --jsonl "$work/glare.jsonl" \
        --threads "$GLARE_THREADS" ${want:+--name "$want"})
  record "{\"kind\": \"load\", \"db\": \"glare\", \"size\": $GLARE_SIZE, \"gen\": $gl, \"wall\": $(since "$t0"), \"db_bytes\": $(stat -c %s "$gdir/glare.sqlite"), \"rss_mb\": null}"
  phase "glare $GLARE_SIZE: load over the API" "$(since "$t0")"
  gname=$(json_get "$gl" name) gid=$(json_get "$gl" id)
  # Glare's noauth pipeline: the caller is given in headers (a bench-a member).
  ghdr=(--header "X-Identity-Status: Confirmed" --header "X-Tenant-Id: bench-a"
        --header "X-Project-Id: bench-a" --header "X-User-Id: bencher" --header "X-Roles: member")
  t0=$(now)
  for pass in first measure; do
    for q in "${QUERIES[@]}"; do
      IFS='|' read -r key path who <<<"$q"
      case "$GLARE_SKIP" in *" $key "*) continue ;; esac
      url="$gbase$(expand "${path#/api/v1}" "$gname" "$gid")"
      auth=(); [ "$who" = token ] && auth=("${ghdr[@]}")
      "$pass" glare "$GLARE_SIZE" "$key" "$url" "${auth[@]}"
    done
  done
  phase "glare $GLARE_SIZE: queries" "$(since "$t0")"
  # Peak RSS of Glare: its processes (the parent and its API workers) added up.
  grss=$(for p in $(pgrep -g "$glare_pid"); do awk '$1 == "VmHWM:" { print $2 }' "/proc/$p/status" 2>/dev/null; done \
    | awk '{ s += $1 } END { if (s) print int(s / 1024) }')
  record "{\"kind\": \"rss\", \"db\": \"glare\", \"size\": $GLARE_SIZE, \"rss_mb\": ${grss:-null}}"
  stop_pid "$glare_pid" group; glare_pid=""
fi

## nginx floor ----------------------------------------------------------------

if [ "$FLOOR" = 1 ]; then
  t0=$(now)
  nginx_dir=$(mktemp -d "${TMPDIR:-/tmp}/appcat-scale-nginx.XXXXXX")
  chmod 755 "$nginx_dir"
  mkdir -p "$nginx_dir/www" "$nginx_dir/tmp"
  if [ -s "$floor_body" ]; then cp "$floor_body" "$nginx_dir/www/list.json"
  else "$PY" -c 'import json; print(json.dumps({"artifacts": [{"id": "%036d" % i, "name": "bench-%07d" % i, "version": "1.9.0", "description": "x" * 400} for i in range(25)]}))' >"$nginx_dir/www/list.json"
  fi
  nport=$(free_port)
  cat >"$nginx_dir/nginx.conf" <<EOF
worker_processes $(nproc);
daemon off;
pid $nginx_dir/tmp/nginx.pid;
error_log $nginx_dir/tmp/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $nginx_dir/tmp/body;
  proxy_temp_path $nginx_dir/tmp/proxy;
  fastcgi_temp_path $nginx_dir/tmp/fastcgi;
  uwsgi_temp_path $nginx_dir/tmp/uwsgi;
  scgi_temp_path $nginx_dir/tmp/scgi;
  keepalive_requests 1000000;
  types { application/json json; }
  server {
    listen 127.0.0.1:$nport;
    root $nginx_dir/www;
  }
}
EOF
  run_as=()
  if [ "$(id -u)" = 0 ]; then
    # Unprivileged: as nobody, from its own directory.
    chown -R nobody "$nginx_dir/tmp"
    run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  fi
  "${run_as[@]}" "$NGINX" -p "$nginx_dir" -c "$nginx_dir/nginx.conf" -e "$nginx_dir/tmp/error.log" \
    >"$nginx_dir/out.log" 2>&1 &
  nginx_pid=$!
  furl="http://127.0.0.1:$nport/list.json"
  wait_http "$furl" 30 "$nginx_pid" || { cat "$nginx_dir/out.log" "$nginx_dir/tmp/error.log" >&2; exit 1; }
  r=$("$PY" "$here/client.py" first --url "$furl")
  record "{\"kind\": \"first\", \"db\": \"floor\", \"size\": 0, \"query\": \"floor\", \"r\": $r}"
  measure floor 0 floor "$furl"
  record "{\"kind\": \"floor\", \"bytes\": $(stat -c %s "$nginx_dir/www/list.json"), \"nginx\": \"$("$NGINX" -v 2>&1 | sed 's/.*: //')\"}"
  stop_pid "$nginx_pid"; nginx_pid=""
  phase "nginx floor" "$(since "$t0")"
fi

"$PY" "$here/report.py" "$results" | tee "$OUT"
log "report written to $OUT"
