#!/usr/bin/env bash
# Measures the real server (release build, embedded SQLite, local blob
# store): a 1 GiB blob upload and download with curl (throughput and the
# server's peak RSS from /proc), and list/get under load with oha.
# Prints a Markdown report on stdout. Loopback only.
set -euo pipefail

BIN=${APPCAT_BIN:-target/release/appcat}
SIZE_MB=${BLOB_MB:-1024}
SEED=${SEED_ARTIFACTS:-10000}
DURATION=${LOAD_SECONDS:-10}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export APPCAT_DATA_DIR="$work/data" APPCAT_ADDR="127.0.0.1:$port" APPCAT_LOG=warn
unset APPCAT_DATABASE_URL
base="http://127.0.0.1:$port/api/v1"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$BIN" tenant create bench >/dev/null
"$BIN" user create bencher --tenant bench --role admin >/dev/null
token=$("$BIN" token create --user bencher --tenant bench 2>/dev/null)
"$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "$base" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk -v k="$1:" '$1 == k { print int($2 / 1024) }' "/proc/$pid/status"; }
rss_start=$(rss VmRSS)

# Seed artifacts over HTTP with one keep-alive connection.
python3 - "$port" "$token" "$SEED" <<'PY'
import http.client, json, sys
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(n):
    body = json.dumps({"name": f"app-{i // 10:04}", "version": f"{(i % 10) // 3}.{i % 10}.0", "tags": ["bench"], "min_ram": i})
    c.request("POST", "/api/v1/artifacts/images", body, {"X-Auth-Token": token, "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
PY
one=$(curl -fs -H "X-Auth-Token: $token" "$base/artifacts/images?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["artifacts"][0]["id"])')

load() { # name url [anonymous]
  local auth=(-H "X-Auth-Token: $token")
  [ "${3:-}" = anonymous ] && auth=()
  if command -v oha >/dev/null; then
    oha --no-tui --output-format json -z "${DURATION}s" -c 16 "${auth[@]}" "$2" \
      | LABEL="$1" python3 -c '
import json, os, sys
d = json.load(sys.stdin)
rps = d["summary"]["requestsPerSec"]
p50 = d["latencyPercentiles"]["p50"] * 1000
p99 = d["latencyPercentiles"]["p99"] * 1000
codes = ", ".join(str(k) + ": " + str(v) for k, v in d.get("statusCodeDistribution", {}).items())
label = os.environ["LABEL"]
print(f"| {label} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {codes} |")
'
  else
    echo "| $1 | (oha not installed) | | | |"
  fi
}

# The blob: generated once on disk so that the upload is not limited by a generator.
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$work/blob.bin"
id=$(curl -fs -X POST -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d '{"name": "big", "version": "1.0.0"}' "$base/artifacts/images" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
up=$(curl -fsS -o /dev/null -w '%{time_total} %{speed_upload}' -X PUT -H "X-Auth-Token: $token" \
  -H 'Content-Type: application/octet-stream' -T "$work/blob.bin" "$base/artifacts/images/$id/image")
rss_after_up=$(rss VmHWM)
down=$(curl -fsS -o /dev/null -w '%{time_total} %{speed_download}' -H "X-Auth-Token: $token" "$base/artifacts/images/$id/image")
rss_peak=$(rss VmHWM)
rm -f "$work/blob.bin"

echo "### Blob transfer ($SIZE_MB MiB, local filesystem store)"
echo
echo "| operation | seconds | MiB/s |"
echo "|---|---|---|"
read -r t s <<<"$up"; python3 -c "print(f'| upload (PUT, streamed, md5+sha1+sha256) | {$t:.2f} | {$s/1048576:.0f} |')"
read -r t s <<<"$down"; python3 -c "print(f'| download (GET) | {$t:.2f} | {$s/1048576:.0f} |')"
echo
echo "Server RSS: ${rss_start} MiB at start, peak ${rss_after_up} MiB after the upload, peak ${rss_peak} MiB after the download."
echo
echo "### Under load ($SEED artifacts, 16 connections, ${DURATION} s each, oha)"
echo
echo "| request | req/s | p50 ms | p99 ms | statuses |"
echo "|---|---|---|---|---|"
load "list 25, version>=2.0" "$base/artifacts/images?version=gte:2.0&limit=25"
load "list 25, version=latest" "$base/artifacts/images?version=latest&limit=25"
load "get one" "$base/artifacts/images/$one"
load "anonymous list (no token, public only)" "$base/artifacts/images?limit=25" anonymous
