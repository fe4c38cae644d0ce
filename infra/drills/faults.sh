#!/usr/bin/env bash
# Fault drills under load, by hand (CI does not run them): Redis killed, Redis silent
# (SIGSTOP: connected but never answering), Postgres restarted and Postgres down, while
# infra/drills/load.py keeps a steady mix of reads and cart writes going. The answers are
# counted per phase; what the shop promises (README, Security): no 500 in any phase, 503
# with Retry-After only while Postgres is gone, full service again once it is back, and
# Redis trouble costs nothing but speed.
#
#   bash infra/drills/faults.sh              # every drill
#   DRILLS="redis-stop" bash infra/drills/faults.sh
#
# Nothing shared is touched: the drills run on a Postgres cluster of their own
# (pg_createcluster $PG_VERSION $CLUSTER on $PG_PORT, trust auth, made once and kept) and a
# Redis of their own on $REDIS_PORT, so other users of the machine's Postgres and Redis
# never notice. Needs root (or the postgres user's rights) for pg_ctlcluster.
#
# Environment: PORT (18091), PG_VERSION (15), CLUSTER (drill), PG_PORT (5440), REDIS_PORT
# (6390), THREADS (6), DRILLS ("redis-kill redis-stop pg-restart pg-down"), JIKGU_BIN.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PORT=${PORT:-18091}
PG_VERSION=${PG_VERSION:-15}
CLUSTER=${CLUSTER:-drill}
PG_PORT=${PG_PORT:-5440}
REDIS_PORT=${REDIS_PORT:-6390}
THREADS=${THREADS:-6}
DRILLS=${DRILLS:-"redis-kill redis-stop pg-restart pg-down"}
BIN=${JIKGU_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/jikgu}
OUT=${OUT:-$root/infra/drills/out/faults-$(date -u +%Y%m%dT%H%M%SZ)}
BASE=http://127.0.0.1:$PORT
DB_URL=postgres://postgres@127.0.0.1:$PG_PORT/jikgu

log() { printf 'faults: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
[ -x "$BIN" ] || die "no jikgu binary at $BIN (cargo build -p jikgu, or set JIKGU_BIN)"
mkdir -p "$OUT"
phase_file=$OUT/phase
echo start >"$phase_file"

# --- a Postgres and a Redis of the drill's own
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION $CLUSTER"; then
  log "creating Postgres cluster $PG_VERSION/$CLUSTER on :$PG_PORT"
  pg_createcluster "$PG_VERSION" "$CLUSTER" -p "$PG_PORT" -e UTF8 --locale C.UTF-8 -- --auth=trust >/dev/null
fi
pg_ctlcluster "$PG_VERSION" "$CLUSTER" start >/dev/null 2>&1 || true
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.5; done
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c 'DROP DATABASE IF EXISTS jikgu WITH (FORCE)'
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
  -c "CREATE DATABASE jikgu ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d jikgu -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'

redis_pid=
start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    >"$OUT/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 40); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.25; done
  die "redis on :$REDIS_PORT did not start"
}
start_redis

server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  [ -n "$redis_pid" ] && { kill -CONT "$redis_pid" 2>/dev/null; kill "$redis_pid" 2>/dev/null; }
  pg_ctlcluster "$PG_VERSION" "$CLUSTER" start >/dev/null 2>&1 || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

DATABASE_URL=$DB_URL REDIS_URL=redis://127.0.0.1:$REDIS_PORT RUST_LOG=warn JIKGU_LOG_FORMAT=json \
  "$BIN" demo --port "$PORT" >"$OUT/server.log" 2>&1 &
server=$!
for _ in $(seq 1 240); do
  kill -0 "$server" 2>/dev/null || { tail -30 "$OUT/server.log" >&2; die "the demo exited"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] && break
  sleep 0.5
done

phase() { echo "$1" >"$phase_file"; log "phase $1"; }
readyz() { log "  /readyz: $(curl -s --max-time 5 "$BASE/readyz" | head -c 200)"; }

# Each drill: 5 s of normal load, the fault, 10 s with it, the repair, 10 s after.
per_drill=30
total=$((per_drill * $(echo "$DRILLS" | wc -w) + 5))
python3 "$here/load.py" "$BASE" "$total" --threads "$THREADS" --phase-file "$phase_file" \
  --out "$OUT/load.json" >/dev/null &
load=$!
sleep 3
for drill in $DRILLS; do
  phase "$drill:before"
  sleep 5
  case $drill in
    redis-kill)
      kill -9 "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
      phase "$drill:down"; sleep 2; readyz; sleep 8
      start_redis; phase "$drill:back" ;;
    redis-stop)
      kill -STOP "$redis_pid"
      phase "$drill:silent"; sleep 4; readyz; sleep 6
      kill -CONT "$redis_pid"; phase "$drill:back" ;;
    pg-restart)
      phase "$drill:restarting"
      pg_ctlcluster "$PG_VERSION" "$CLUSTER" restart -m fast
      phase "$drill:back" ;;
    pg-down)
      phase "$drill:stopping"
      pg_ctlcluster "$PG_VERSION" "$CLUSTER" stop -m fast
      phase "$drill:down"; sleep 2; readyz; sleep 8
      pg_ctlcluster "$PG_VERSION" "$CLUSTER" start; phase "$drill:back" ;;
    *) die "unknown drill $drill" ;;
  esac
  sleep 10
  readyz
done
phase end
wait "$load"
kill -0 "$server" 2>/dev/null || die "the app died during the drills (see $OUT/server.log)"
log "the app is still up; per phase:"
python3 - "$OUT/load.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for phase, c in r.items():
    print(f"{phase:24} {c['requests']:6} requests  5xx {c['5xx']:4} (503 {c['503']}, 500 {c['500']})"
          f"  conn errors {c['errors']:3}  slowest {c['slowest_s']} s  {c['by_status']}")
EOF
log "server log: $OUT/server.log ($(grep -cE '"level":"(WARN|ERROR)"' "$OUT/server.log" || true) warnings and errors)"
