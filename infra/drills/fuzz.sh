#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API from its own OpenAPI document, with each role's
# token: the drill of issue 17, run by hand (CI does not run it; it takes minutes and a
# Python tool).
#
#   bash infra/drills/fuzz.sh                       # 25 examples per operation, every role
#   EXAMPLES=100 ROLES="vendor admin" bash infra/drills/fuzz.sh
#
# It makes a fresh database ($FUZZ_DB, dropped and created again), starts `jikgu demo` on
# it (demo data and logins, test payment gateway) with a Redis prefix of its own, logs in
# as each demo account and runs Schemathesis over /openapi.json with the checks below.
# Schemathesis is installed from PyPI into $VENV (outside the repository) if missing.
# Reports (JUnit XML and Schemathesis's own output per role) go to $OUT; the last line
# printed is the summary: operations, test cases and failures per role.
#
# Environment: PORT (18090), EXAMPLES (25), SEED (17), ROLES, FUZZ_DB (jikgu_fuzz),
# VENV (/var/tmp/venv-st), JIKGU_BIN (default: the debug build in $CARGO_TARGET_DIR or
# target/), DATABASE_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PORT=${PORT:-18090}
EXAMPLES=${EXAMPLES:-25}
SEED=${SEED:-17}
ROLES=${ROLES:-"anonymous customer vendor marketer admin"}
FUZZ_DB=${FUZZ_DB:-jikgu_fuzz}
VENV=${VENV:-/var/tmp/venv-st}
PGADMIN=${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PGBASE=${PGADMIN%/*}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
OUT=${OUT:-$root/infra/drills/out/fuzz-$(date -u +%Y%m%dT%H%M%SZ)}
BIN=${JIKGU_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/jikgu}
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
BASE=http://127.0.0.1:$PORT

log() { printf 'fuzz: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ -x "$BIN" ] || die "no jikgu binary at $BIN (cargo build -p jikgu, or set JIKGU_BIN)"
if [ ! -x "$VENV/bin/schemathesis" ]; then
  log "installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'schemathesis>=4.3,<5'
fi
mkdir -p "$OUT"

log "fresh database $FUZZ_DB"
psql -X -q -v ON_ERROR_STOP=1 "$PGADMIN" -c "DROP DATABASE IF EXISTS $FUZZ_DB WITH (FORCE)"
psql -X -q -v ON_ERROR_STOP=1 "$PGADMIN" \
  -c "CREATE DATABASE $FUZZ_DB ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
psql -X -q -v ON_ERROR_STOP=1 "$PGBASE/$FUZZ_DB" -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'

# The fuzzer hammers from one address: the limits it would trip are lifted for the run
# (rate limiting itself is tested in tests/tests/api/security.rs).
DATABASE_URL="$PGBASE/$FUZZ_DB" REDIS_URL="$REDIS_URL" JIKGU_REDIS_PREFIX="fuzz$$:" \
  JIKGU_LOGIN_MAX_FAILURES=100000 JIKGU_CHECKOUT_PER_MINUTE=100000 RUST_LOG=warn JIKGU_LOG_FORMAT=json \
  "$BIN" demo --port "$PORT" >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  kill -0 "$server" 2>/dev/null || { tail -50 "$OUT/server.log" >&2; die "the demo exited"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] && break
  sleep 0.5
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] || die "the demo never got ready"
curl -sf "$BASE/openapi.json" >"$OUT/openapi.json"

token() { # token <email> <password>
  curl -sf -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" "$BASE/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

ran=()
for role in $ROLES; do
  auth=()
  case $role in
    anonymous) ;;
    admin) auth=(-H "Authorization: Bearer $(token admin@jikgu.kr jikgu-admin-demo)") ;;
    marketer) auth=(-H "Authorization: Bearer $(token marketer@jikgu.kr jikgu-marketer-demo)") ;;
    vendor) auth=(-H "Authorization: Bearer $(token vendor@ganghwa-sunmu.kr jikgu-vendor-demo)") ;;
    customer) auth=(-H "Authorization: Bearer $(token customer@example.kr jikgu-customer-demo)") ;;
    *) die "unknown role $role" ;;
  esac
  log "role $role: $EXAMPLES examples per operation"
  set +e
  # From $OUT, where Schemathesis keeps its cache (.schemathesis/), not in the repository.
  (cd "$OUT" && "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
    --checks "$CHECKS" --max-examples "$EXAMPLES" --seed "$SEED" \
    --phases examples,coverage,fuzzing --workers 2 --request-timeout 30 \
    --report junit --report-dir "$OUT/$role" --output-truncate true \
    "${auth[@]}" >"$OUT/$role.txt" 2>&1)
  rc=$?
  set -e
  log "  $role: exit $rc; $OUT/$role.txt"
  ran+=("$OUT/$role.txt")
done

log "reports in $OUT; server log $OUT/server.log ($(grep -c '"level":"ERROR"' "$OUT/server.log" || true) errors)"
python3 "$here/fuzz_summary.py" "${ran[@]}" | tee "$OUT/summary.txt"
