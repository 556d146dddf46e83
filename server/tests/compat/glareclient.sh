#!/usr/bin/env bash
# Drives the real server with the unmodified OpenStack client
# (python-glareclient from PyPI, in a cached virtualenv): type-list, create,
# upload, activate, list with a filter and sort, show, tags, external
# location, delete. Prints "N passed, N failed".
set -uo pipefail
BIN=${APPCAT_BIN:?set APPCAT_BIN to the appcat binary}
VENV=${GLARE_VENV:-$HOME/.cache/appcat-glareclient}
if [ ! -x "$VENV/bin/glare" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q python-glareclient || { echo "cannot install python-glareclient"; exit 1; }
fi
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export APPCAT_DATA_DIR="$work/data" APPCAT_ADDR="127.0.0.1:$port" APPCAT_LOG=warn
unset APPCAT_DATABASE_URL
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$BIN" tenant create acme >/dev/null
"$BIN" user create alice --tenant acme --role admin >/dev/null
token=$("$BIN" token create --user alice --tenant acme 2>/dev/null)
"$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/v1" >/dev/null 2>&1 && break; sleep 0.1; done
glare() { "$VENV/bin/glare" --os-glare-url "http://127.0.0.1:$port/api/v1" --auth-token "$token" "$@" 2>&1; }
printf 'heat_template_version: 2016-10-14\n' >"$work/t.yaml"

passed=0 failed=0
check() { # description, command output, expected pattern
  if grep -qE "$3" <<<"$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $1"; echo "$2" | head -20; fi
}
check "type-list shows the built-in types" "$(glare type-list)" "murano_packages +\| 1\.0\.0"
check "create" "$(glare create heat_templates hello --artifact-version 1.2)" "\| version +\| 1\.2\.0"
check "upload a blob" "$(glare upload heat_templates hello --file "$work/t.yaml" --blob-property template)" "\| status +\| active"
check "activate" "$(glare activate heat_templates hello)" "\| status +\| active +\| String"
check "list with filter and sort" "$(glare list heat_templates -F name=hello --sort name:asc)" "\| hello +\| 1\.2\.0 +\| acme"
check "show" "$(glare show heat_templates hello)" "\| template +\| .*Blob"
check "add-tag" "$(glare add-tag heat_templates hello demo)" "\| tags +\| \['demo'\]"
check "remove-tag" "$(glare remove-tag heat_templates hello demo)" "\| tags +\| \[\] "
check "create an image" "$(glare create images cirros --artifact-version 0.4)" "\| name +\| cirros"
check "external location" "$(glare location images cirros --url https://example.org/cirros.img --md5 0123456789abcdef0123456789abcdef --blob-property image)" "https://example.org/cirros.img"
glare delete images cirros >/dev/null
after=$(glare list images)
if grep -q cirros <<<"$after"; then failed=$((failed + 1)); echo "FAILED: delete"; echo "$after"; else passed=$((passed + 1)); fi
echo "glareclient: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
