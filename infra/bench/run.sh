#!/usr/bin/env bash
# HTTP load harness for the storefront: builds the release binary, generates a synthetic
# catalog in a fresh `jikgu_bench` database, measures the machine's ceilings (pgbench
# TPC-B and select-only on the same Postgres, a bare axum server), starts a cached and an
# uncached server on 127.0.0.1, runs every scenario of infra/bench/scenarios/ with wrk and
# writes infra/bench/out/<UTC timestamp>/report.{json,md} (copied to infra/bench/out/latest/)
# with each scenario's ratio to its ceiling.
#
#   bash infra/bench/run.sh [--products N] [--connections C] [--duration SECONDS]
#                           [--threads T] [--group catalog|checkout|search|all | --scenarios a,b,...]
#                           [--skip-build] [--allow-busy]
#
# Refuses to start when the machine is busy (1-minute load above 1.0) or Postgres lacks free
# connections, unless --allow-busy (the report then marks the run busy).
# Exits non-zero on a non-2xx response or socket error, or a failed verification.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)

PRODUCTS=10000
CONNECTIONS=64
DURATION=15
THREADS=2
SCENARIOS=""
GROUP=catalog
PGBENCH_DB=jikgu_pgbench
PGBENCH_SCALE=10
SKIP_BUILD=0
ALLOW_BUSY=0
# The load average above which the machine counts as busy (the run refuses to start).
MAX_LOAD=1.0
WARMUP=3
CACHED_PORT=18091
UNCACHED_PORT=18092
HELLO_PORT=18093
# Each server pool's connections: 3 per core and one, at most 10. On 2 cores, 7 against 10
# gave checkout 8.7% more checkouts a second and a p99 10 ms lower, with 11% less Postgres
# CPU per checkout (fewer backends contending for the same cores); 5 left the machine
# partly idle, and 20 had a higher p99 in the twenty-first session (infra/bench/README.md,
# twenty-fifth session). The cap is the old default, measured nowhere larger; four pools
# of it fit Postgres's default max_connections of 100.
cores_pool=$((3 * $(nproc) + 1))
DB_POOL="${BENCH_DB_POOL:-$((cores_pool < 10 ? cores_pool : 10))}"
# Everything talks to Postgres over loopback, where TLS only burns CPU on both ends (it was
# 4% of Postgres's own time under checkout load); the servers, psql and pgbench all go
# without it alike. BENCH_PG_SSLMODE=prefer measures the libpq default instead.
PG_SSLMODE="${BENCH_PG_SSLMODE:-disable}"
export PGSSLMODE="$PG_SSLMODE"
BENCH_DB=${BENCH_DB:-jikgu_bench}
# Postgres runs on this machine: the servers, psql and pgbench reach it through its Unix
# socket where there is one (libpq's own default), else over loopback TCP. Under checkout
# load a loopback round trip cost the server a third of its CPU in the kernel's TCP stack;
# BENCH_PG_HOST=127.0.0.1 measures that path instead.
PG_SOCKET_DIR=/var/run/postgresql
if [ -z "${BENCH_PG_HOST:-}" ] && [ -S "$PG_SOCKET_DIR/.s.PGSQL.5432" ]; then BENCH_PG_HOST=$PG_SOCKET_DIR; fi
PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
REDIS_URL=redis://127.0.0.1:6379

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }

while [ $# -gt 0 ]; do
  case "$1" in
    --products) PRODUCTS=${2:?}; shift 2 ;;
    --connections) CONNECTIONS=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --scenarios) SCENARIOS=${2:?}; shift 2 ;;
    --group) GROUP=${2:?}; shift 2 ;;
    --pgbench | --no-pgbench) log "note: $1 is obsolete: every run measures its ceilings"; shift ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --allow-busy) ALLOW_BUSY=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done
for v in PRODUCTS CONNECTIONS DURATION THREADS; do
  is_uint "${!v}" || die "--${v,,} must be a positive integer (got '${!v}')"
done
[ "$CONNECTIONS" -ge "$THREADS" ] || die "--connections must be at least --threads"
[[ "$BENCH_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain identifier"

# ------------------------------------------------------------------ scenarios

# A scenario is infra/bench/scenarios/<name>.lua with `-- @key: value` header lines:
#   @server (cached|uncached), @group (the default run takes group "catalog"),
#   @prepare (optional: prepare_<value> from lib/*.sh), @description, and optionally
#   @lib (lib/<value>.lua goes before the scenario), @bounded (max seconds: the scenario
#   stops itself, each wrk thread writing $WORK/<name>.done.<thread>; no warm-up) and
#   @verify (verify_<value> from lib/*.sh prints a JSON object with `ok` after the run),
#   @ceiling (axum | pgbench_select | pgbench_tpcb: what its req/s is divided by; by default
#   axum for the cached server, pgbench_select for the uncached one).
scenario_meta() { # scenario_meta <file> <key>
  sed -n "s/^-- @$2:[[:space:]]*//p" "$1" | head -1
}
scenario_file() { printf '%s/scenarios/%s.lua' "$BENCH_DIR" "$1"; }
scenario_ceiling() { # scenario_ceiling <file>
  local c
  c=$(scenario_meta "$1" ceiling)
  if [ -z "$c" ]; then
    if [ "$(scenario_meta "$1" server)" = cached ]; then c=axum; else c=pgbench_select; fi
  fi
  echo "$c"
}

if [ -z "$SCENARIOS" ]; then
  case "$GROUP" in
    all) groups=(catalog search checkout) ;; # checkout last: it changes stock, which retires cached pages
    catalog | search | checkout) groups=("$GROUP") ;;
    *) die "--group must be catalog, checkout, search or all (got '$GROUP')" ;;
  esac
  names=()
  for g in "${groups[@]}"; do
    for f in "$BENCH_DIR"/scenarios/*.lua; do
      if [ "$(scenario_meta "$f" group)" = "$g" ]; then names+=("$(basename "$f" .lua)"); fi
    done
  done
else
  IFS=, read -r -a names <<<"$SCENARIOS"
fi
[ "${#names[@]}" -gt 0 ] || die "no scenarios selected"
for n in "${names[@]}"; do
  f=$(scenario_file "$n")
  [ -f "$f" ] || die "unknown scenario '$n' (no $f)"
  case "$(scenario_meta "$f" server)" in
    cached | uncached) ;;
    *) die "$f: '-- @server:' must be cached or uncached" ;;
  esac
  lib=$(scenario_meta "$f" lib)
  [ -z "$lib" ] || [ -f "$BENCH_DIR/lib/$lib.lua" ] || die "$f: no lib/$lib.lua"
  bounded=$(scenario_meta "$f" bounded)
  [ -z "$bounded" ] || is_uint "$bounded" || die "$f: '-- @bounded:' must be a number of seconds"
  case "$(scenario_ceiling "$f")" in
    axum | pgbench_select | pgbench_tpcb) ;;
    *) die "$f: '-- @ceiling:' must be axum, pgbench_select or pgbench_tpcb" ;;
  esac
done

# shellcheck source-path=SCRIPTDIR source=lib/prepare.sh
. "$BENCH_DIR/lib/prepare.sh"
# shellcheck source-path=SCRIPTDIR source=lib/checkout.sh
. "$BENCH_DIR/lib/checkout.sh"
# shellcheck source-path=SCRIPTDIR source=lib/cpu.sh
. "$BENCH_DIR/lib/cpu.sh"

# --------------------------------------------------------------------- tools

apt_install() {
  log "apt: installing $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; then
    log "apt: install failed, updating package lists and retrying"
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

log "== services"
timeout 300 bash "$REPO/infra/services.sh" >&2
missing=()
for tool in wrk jq curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ "${#missing[@]}" = 0 ] || apt_install "${missing[@]}"
for tool in wrk jq curl psql redis-cli; do command -v "$tool" >/dev/null || die "$tool not found"; done
command -v pgbench >/dev/null || apt_install postgresql-contrib
command -v pgbench >/dev/null || die "pgbench not found"

# ----------------------------------------------------------------- preflight

# Numbers taken while something else uses the cores, or a run that runs out of Postgres
# connections half-way, measure noise: refuse both up front unless --allow-busy, and then
# say in the report that the run was busy.
BUSY_REASONS=()
busy() { # busy <reason>: refuse, or with --allow-busy note it for the report
  if [ "$ALLOW_BUSY" = 1 ]; then
    log "warning: $1 (--allow-busy: running anyway; the report marks the run busy)"
    BUSY_REASONS+=("$1")
  else
    die "$1; refusing to measure noise (wait for a quiet machine, or pass --allow-busy to run anyway and have the report marked busy)"
  fi
}
load_1m() { cut -d' ' -f1 /proc/loadavg; }
load_above() { awk -v l="$1" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; }

# pgbench's clients and the two servers' pools never run at once (the ceilings are measured
# before the servers start), plus psql and a margin. Each server has two pools of DB_POOL:
# sea-orm's and the autocommit pool beside it (platform::autocommit).
PG_NEEDED=$(( (CONNECTIONS + 1 > 4 * DB_POOL ? CONNECTIONS + 1 : 4 * DB_POOL) + 4 ))
pg_free=$(timeout 30 psql -X -q -tA -h "$PG_HOST" -U postgres -d postgres -c \
  "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
          - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')") ||
  die "cannot ask Postgres on $PG_HOST how many connections it has free"
if [ "$pg_free" -lt "$PG_NEEDED" ]; then
  busy "Postgres has $pg_free free connections; this run needs $PG_NEEDED ($CONNECTIONS pgbench clients or 4 server pools of $DB_POOL, and psql)"
fi
LOAD_AT_START=$(load_1m)
if load_above "$LOAD_AT_START"; then
  busy "the machine is busy: 1-minute load average $LOAD_AT_START > $MAX_LOAD before the run (see top)"
fi

# --------------------------------------------------------------------- build

TARGET_DIR=${CARGO_TARGET_DIR:-target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO/$TARGET_DIR" ;; esac
BIN=${JIKGU_BIN:-$TARGET_DIR/release/jikgu}
HELLO_BIN=${HELLO_BIN:-$TARGET_DIR/release/bench-hello}
if [ "$SKIP_BUILD" = 0 ]; then
  log "== cargo build --release -p jikgu -p bench-hello"
  (cd "$REPO" && timeout 3600 cargo build --release -p jikgu -p bench-hello)
fi
[ -x "$BIN" ] || die "no release binary at $BIN (drop --skip-build, or set CARGO_TARGET_DIR / JIKGU_BIN)"
[ -x "$HELLO_BIN" ] || die "no bench-hello binary at $HELLO_BIN (drop --skip-build, or set HELLO_BIN)"

# ---------------------------------------------------------------- run setup

TS=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$BENCH_DIR/out/$TS"
WORK="$OUT/work"
mkdir -p "$WORK"
REDIS_PREFIX="bench:$TS:"
if [[ "$PG_HOST" == /* ]]; then
  DATABASE_URL="postgres://postgres@localhost/$BENCH_DB?host=$PG_HOST&sslmode=$PG_SSLMODE"
else
  DATABASE_URL="postgres://postgres@$PG_HOST:5432/$BENCH_DB?sslmode=$PG_SSLMODE"
fi
CLK_TCK=$(getconf CLK_TCK)
# jq with the report's arithmetic (lib/report.jq, which infra/check.sh tests): a program
# given to jq_report starts with `include "report";`.
jq_report() { jq -L "$BENCH_DIR/lib" "$@"; }
# `serve` refuses to make up its token key; both servers share this run's random one.
JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

SERVER_PIDS=()
cleanup() {
  local rc=$? pid
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  # The run's Redis keys (cache entries) go with it.
  timeout 60 redis-cli -h 127.0.0.1 -p 6379 --scan --pattern "${REDIS_PREFIX}*" 2>/dev/null |
    timeout 60 xargs -r -d '\n' -n 500 redis-cli -h 127.0.0.1 -p 6379 del >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql_admin() { timeout 120 psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -U postgres -d postgres "$@"; }
psql_bench() { timeout 120 psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -U postgres -d "$BENCH_DB" -tA "$@"; }
psql_pgbench() { timeout 300 psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -U postgres -d "$PGBENCH_DB" "$@"; }
http_get() { curl -sS --fail --max-time 30 "$@"; }

# ------------------------------------------------------------------ database

log "== database $BENCH_DB ($PRODUCTS products)"
psql_admin -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
psql_admin -c "CREATE DATABASE $BENCH_DB TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
gen_start=$(date +%s.%N)
if ! DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" JIKGU_REDIS_PREFIX="$REDIS_PREFIX" RUST_LOG=warn \
  timeout 1200 "$BIN" generate --products "$PRODUCTS" >"$OUT/generate.log" 2>&1; then
  cat "$OUT/generate.log" >&2
  die "jikgu generate failed"
fi
GENERATE_SECS=$(awk -v a="$gen_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
tail -n 3 "$OUT/generate.log" >&2
# The generator writes rows directly; the search index is built the way an operator
# rebuilds it, and its time is one of the figures (full reindex).
idx_start=$(date +%s.%N)
if ! DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" JIKGU_REDIS_PREFIX="$REDIS_PREFIX" RUST_LOG=warn \
  timeout 1200 "$BIN" reindex >"$OUT/reindex.log" 2>&1; then
  cat "$OUT/reindex.log" >&2
  die "jikgu reindex failed"
fi
REINDEX_SECS=$(awk -v a="$idx_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "reindex: ${REINDEX_SECS}s"
psql_bench -c "VACUUM ANALYZE" >/dev/null

# ------------------------------------------------------------------ ceilings

# The harness's own build and catalog generation raise the load average; give it up to two
# minutes to settle before anything is measured.
settle() {
  local i
  # Already known busy and allowed: waiting would not make the figures any cleaner.
  if [ "$ALLOW_BUSY" = 1 ] && [ "${#BUSY_REASONS[@]}" -gt 0 ]; then return 0; fi
  for ((i = 0; i < 24; i++)); do
    load_above "$(load_1m)" || return 0
    sleep 5
  done
  busy "the machine stayed busy: 1-minute load average $(load_1m) > $MAX_LOAD two minutes after the catalog was generated"
}
log "== settling (1-minute load $(load_1m))"
settle

# What this machine does at most, measured now, so that every scenario is reported as a
# ratio to its ceiling (absolute figures move with whatever else the machine does):
# - pgbench_tpcb: pgbench's TPC-B-like transactions (5 statements, 3 updates), the
#   ceiling of checkout;
# - pgbench_select: pgbench's select-only (one primary-key lookup), the ceiling of every
#   uncached read;
# - axum: a bare axum "hello" (infra/bench/hello) on the same runtime, the ceiling of
#   every cached read.
# Each with as many clients/connections as the scenarios, for the same duration.
CEILINGS="$WORK/ceilings.jsonl"
: >"$CEILINGS"
log "== ceilings"
psql_admin -c "DROP DATABASE IF EXISTS $PGBENCH_DB WITH (FORCE)"
psql_admin -c "CREATE DATABASE $PGBENCH_DB"
timeout 600 pgbench -h "$PG_HOST" -U postgres -i -q -s "$PGBENCH_SCALE" "$PGBENCH_DB" >"$OUT/pgbench-init.txt" 2>&1 ||
  die "pgbench -i failed: $(tail -5 "$OUT/pgbench-init.txt")"
psql_pgbench -c "VACUUM ANALYZE" >/dev/null

# Postgres's background work, as cumulative counters (a JSON object): checkpoints begun,
# WAL written, the full-page images in it (the first change of a page after a checkpoint
# logs the whole page: a window that a checkpoint starts in, or that follows one closely,
# writes several times the WAL of one that does not) and autovacuum/autoanalyze runs in the
# bench database. Read around each measured window, so that a figure can be told apart from
# what Postgres happened to be doing meanwhile.
if [ "$(psql_admin -tA -c "SELECT to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL")" = t ]; then
  CHECKPOINTS_SQL="SELECT num_timed + num_requested FROM pg_stat_checkpointer" # Postgres 17 on
else
  CHECKPOINTS_SQL="SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
fi
pg_background() { # pg_background <database>
  timeout 60 psql -X -q -tA -h "$PG_HOST" -U postgres -d "$1" -c "SELECT json_build_object(
      'checkpoints', ($CHECKPOINTS_SQL), 'wal_bytes', w.wal_bytes, 'full_page_images', w.wal_fpi,
      'autovacuum_runs', (SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) FROM pg_stat_all_tables))
    FROM pg_stat_wal w"
}
# Every measured window (a ceiling's or a scenario's) begins a few seconds after a
# checkpoint of its own, its warm-up in between: a timed checkpoint (every
# checkpoint_timeout, 5 min by default) cannot then start inside it, and each window pays
# the full-page images of the pages it touches first alike. Without this, one `checkout`
# run in the thirty-eighth session had a timed checkpoint across its window and cost
# Postgres 3.1 ms a checkout, the next runs of the same binary 1.9-2.7.
fresh_checkpoint() { psql_admin -c "CHECKPOINT"; }

# The CPU Postgres and the whole machine spend while pgbench runs is taken from its first
# second to two seconds before its end (its backends exist only while it runs), so that a
# checkout's cost can be read in TPC-B transactions of the same Postgres: unlike the ratio
# of throughputs, that does not move with whatever share of the cores the client takes.
# pgbench_ceiling <record name> <what it is a ceiling for ("" for every scenario)> [pgbench options]
pgbench_ceiling() {
  local name=$1 beside=$2 load1 tps lat txs bench_pid p0 t0 p1 t1 w0 w1 b0 b1
  shift 2
  fresh_checkpoint
  timeout $((WARMUP + 60)) pgbench -h "$PG_HOST" -U postgres -M prepared -c "$CONNECTIONS" -j "$THREADS" \
    -T "$WARMUP" "$@" "$PGBENCH_DB" >"$OUT/$name.warmup.txt" 2>&1 || die "pgbench warm-up ($name) failed: $(tail -5 "$OUT/$name.warmup.txt")"
  load1=$(load_1m)
  b0=$(pg_background "$PGBENCH_DB")
  timeout $((DURATION + 120)) pgbench -h "$PG_HOST" -U postgres -M prepared -c "$CONNECTIONS" -j "$THREADS" \
    -T "$DURATION" "$@" "$PGBENCH_DB" >"$OUT/$name.txt" 2>&1 &
  bench_pid=$!
  sleep 1
  # shellcheck disable=SC2046
  p0=$(ticks_each $(pids_of postgres)) t0=$(total_ticks) w0=$(date +%s%N)
  sleep $((DURATION > 4 ? DURATION - 3 : 1))
  # shellcheck disable=SC2046
  p1=$(ticks_each $(pids_of postgres)) t1=$(total_ticks) w1=$(date +%s%N)
  wait "$bench_pid" || die "pgbench ($name) failed: $(tail -5 "$OUT/$name.txt")"
  b1=$(pg_background "$PGBENCH_DB")
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$OUT/$name.txt" | head -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$OUT/$name.txt" | head -1)
  [ -n "$tps" ] || die "no tps in $OUT/$name.txt"
  # The transactions between the two background readings: the whole measured run.
  txs=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT/$name.txt" | head -1)
  # shellcheck disable=SC2016 # jq's variables, not the shell's
  jq_report -nc --arg name "$name" --arg beside "$beside" --arg db "$PGBENCH_DB" --argjson scale "$PGBENCH_SCALE" --argjson c "$CONNECTIONS" \
    --argjson j "$THREADS" --argjson t "$DURATION" --argjson tps "$tps" --argjson lat "${lat:-null}" \
    --argjson load1 "$load1" --arg opts "$*" --argjson tck "$CLK_TCK" \
    --argjson dp "$(ticks_since "$p0" "$p1")" --argjson dt $((t1 - t0)) \
    --argjson secs "$(awk -v ns=$((w1 - w0)) 'BEGIN { print ns / 1e9 }')" \
    --argjson b0 "$b0" --argjson b1 "$b1" --argjson n "${txs:-0}" \
    'include "report"; ($dp | cores($tck; $secs)) as $pg | ($dt | cores($tck; $secs)) as $all
     | {name: $name, what: ("pgbench -M prepared " + $opts), database: $db, scale: $scale, clients: $c,
        threads: $j, duration_s: $t, value: ($tps * 10 | round / 10), unit: "tps",
        beside: (if $beside == "" then null else $beside end),
        latency_ms: {mean: $lat}, loadavg_1m_before: $load1,
        cpu_cores: {postgres: ($pg | r2), machine_busy: ($all | r2)},
        cpu_ms_per_tx: {postgres: ($pg / $tps * 1e6 | round / 1000), machine: ($all / $tps * 1e6 | round / 1000)},
        postgres_background: background($b0; $b1; $n)}' >>"$CEILINGS"
  log "  $name: $tps tps (latency average ${lat:-?} ms; load before $load1)"
}
pgbench_ceiling pgbench_tpcb ""
pgbench_ceiling pgbench_select "" -S

# The bare server, driven by wrk through the same common.lua as the scenarios.
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$HELLO_PORT/healthz"; then
  die "something already answers on 127.0.0.1:$HELLO_PORT"
fi
"$HELLO_BIN" "$HELLO_PORT" >"$OUT/server-hello.log" 2>&1 &
HELLO_PID=$!
SERVER_PIDS+=("$HELLO_PID")
for ((i = 0; i < 100; i++)); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$HELLO_PORT/healthz")" = 200 ] && break
  kill -0 "$HELLO_PID" 2>/dev/null || die "bench-hello exited: $(cat "$OUT/server-hello.log")"
  sleep 0.1
done
{
  cat "$BENCH_DIR/lib/common.lua"
  printf '%s\n' 'local req' 'function bench_init(args) req = get("/hello") end' 'function request() return req end'
} >"$WORK/axum_hello.lua"
timeout $((WARMUP + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$WORK/axum_hello.lua" "http://127.0.0.1:$HELLO_PORT" \
  >"$OUT/axum_hello.warmup.txt" 2>&1 || die "warm-up of bench-hello failed"
load1=$(load_1m)
timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/axum_hello.lua" \
  "http://127.0.0.1:$HELLO_PORT" >"$OUT/axum_hello.wrk.txt" 2>&1 || die "wrk run of bench-hello failed"
line=$(sed -n 's/^BENCH_JSON //p' "$OUT/axum_hello.wrk.txt" | tail -1)
[ -n "$line" ] || die "no BENCH_JSON line in $OUT/axum_hello.wrk.txt"
jq -c --argjson load1 "$load1" '{name: "axum", what: "bare axum GET /hello (infra/bench/hello)",
    value: (.rps * 10 | round / 10), unit: "req/s", latency_ms, requests, non2xx, loadavg_1m_before: $load1}' \
  <<<"$line" >>"$CEILINGS"
kill "$HELLO_PID" 2>/dev/null || true
wait "$HELLO_PID" 2>/dev/null || true
log "  axum: $(jq -r .rps <<<"$line") req/s (p99 $(jq -r .latency_ms.p99 <<<"$line") ms; load before $load1)"
ceiling_of() { jq -s -r --arg n "$1" '.[] | select(.name == $n) | .value' "$CEILINGS"; }

# ------------------------------------------------------------------- servers

start_server() { # start_server <name> <port> [ENV=VALUE ...]
  local name=$1 port=$2
  shift 2
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
    die "something already answers on 127.0.0.1:$port"
  fi
  env DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" JIKGU_REDIS_PREFIX="$REDIS_PREFIX" \
    RUST_LOG=warn JIKGU_DB_MAX_CONNECTIONS="$DB_POOL" JIKGU_CHECKOUT_PER_MINUTE=1000000 JIKGU_JWT_SECRET="$JWT_SECRET" "$@" \
    "$BIN" serve --port "$port" >"$OUT/server-$name.log" 2>&1 &
  SERVER_PIDS+=($!)
}
wait_ready() { # wait_ready <name> <port> <pid>
  local i
  for ((i = 0; i < 120; i++)); do
    kill -0 "$3" 2>/dev/null || { cat "$OUT/server-$1.log" >&2; die "server $1 exited"; }
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$2/readyz")" = 200 ]; then
      log "  $1 server ready on :$2 (pid $3)"
      return 0
    fi
    sleep 0.5
  done
  die "server $1 not ready on :$2 within 60s"
}

log "== servers"
start_server cached "$CACHED_PORT"
PID_cached=${SERVER_PIDS[-1]}
start_server uncached "$UNCACHED_PORT" JIKGU_STOREFRONT_CACHE=off
PID_uncached=${SERVER_PIDS[-1]}
wait_ready cached "$CACHED_PORT" "$PID_cached"
wait_ready uncached "$UNCACHED_PORT" "$PID_uncached"

# Events the servers' search indexer has yet to read or acknowledge (its consumer group's
# lag plus pending, summed over every topic's stream; an unknown lag counts as one), 0
# before any stream exists.
indexer_backlog() {
  redis-cli -u "$REDIS_URL" --raw --scan --pattern "${REDIS_PREFIX}events:*" 2>/dev/null |
    while read -r stream; do redis-cli -u "$REDIS_URL" --raw XINFO GROUPS "$stream" 2>/dev/null; done |
    awk '$0 == "name" { getline; group = $0; next }
         group == "search-indexer" && ($0 == "pending" || $0 == "lag") { getline; n += ($0 == "" ? 1 : $0) }
         END { print n + 0 }'
}
# The generated catalog left an event per product in the outboxes: the servers relay them
# and their search indexer checks every product again in its first half-minute. Measured
# meanwhile, the first scenario shared the machine with that work (Postgres at a quarter
# of a core under a search that reads none of it). Wait until the backlog has stayed empty
# for three seconds, at most three minutes.
log "== waiting for the search indexer to catch up"
quiet=0
for ((i = 0; i < 180 && quiet < 3; i++)); do
  if [ "$(indexer_backlog)" = 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
  sleep 1
done
[ "$quiet" -ge 3 ] || log "  warning: the search indexer still had $(indexer_backlog) events after three minutes"

# ---------------------------------------------------------------------- data

log "== collecting ids"
psql_bench -c "SELECT p.id FROM catalog.products p JOIN catalog.vendors v ON v.id = p.vendor_id
               WHERE p.status = 'active' AND v.status = 'approved' ORDER BY random() LIMIT 1000" \
  >"$WORK/product_ids.txt"
http_get "http://127.0.0.1:$UNCACHED_PORT/v1/categories" >"$WORK/categories.json"
jq -r '.[] | select((.children // []) | length > 0) | .id' "$WORK/categories.json" >"$WORK/top_category_ids.txt"
jq -r '.. | objects | select(has("slug")) | .id' "$WORK/categories.json" >"$WORK/category_ids.txt"
n_products=$(wc -l <"$WORK/product_ids.txt")
n_top=$(wc -l <"$WORK/top_category_ids.txt")
[ "$n_products" -gt 0 ] || die "no active products in $BENCH_DB"
[ "$n_top" -gt 0 ] || die "no top-level category with sub-categories in /v1/categories"
log "  $n_products product ids, $n_top top-level categories, $(wc -l <"$WORK/category_ids.txt") categories"
lua_list() { # lua_list <name> <file>: `  name = { "a", "b", ... },`
  printf '  %s = {\n' "$1"
  sed 's/.*/    "&",/' "$2"
  printf '  },\n'
}
{
  echo "-- Generated by run.sh for run $TS: ids from database $BENCH_DB."
  echo "bench_data = {"
  lua_list product_ids "$WORK/product_ids.txt"
  lua_list top_category_ids "$WORK/top_category_ids.txt"
  lua_list category_ids "$WORK/category_ids.txt"
  echo "}"
} >"$WORK/data.lua"

# ------------------------------------------------------------------- scenarios


# run_bounded <name> <max seconds> <script> <base>: a scenario that stops itself. wrk sleeps
# for its whole -d even when every thread has stopped, so it is interrupted (SIGINT: it
# still prints its summary and runs done()) once each thread has left its done file.
run_bounded() {
  local name=$1 max=$2 script=$3 base=$4 wpid i
  rm -f "$WORK/$name.done."*
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${max}s" --latency -s "$script" "$base" >"$OUT/$name.wrk.txt" 2>&1 &
  wpid=$!
  for ((i = 0; i < max * 5 + 50; i++)); do
    kill -0 "$wpid" 2>/dev/null || break
    if [ "$(find "$WORK" -maxdepth 1 -name "$name.done.*" | wc -l)" -ge "$THREADS" ]; then
      kill -INT "$wpid"
      break
    fi
    sleep 0.2
  done
  wait "$wpid" || die "wrk run of $name failed: $(tail -5 "$OUT/$name.wrk.txt")"
}

results="$WORK/results.jsonl"
: >"$results"
failed=()
for name in "${names[@]}"; do
  file=$(scenario_file "$name")
  server=$(scenario_meta "$file" server)
  prepare=$(scenario_meta "$file" prepare)
  desc=$(scenario_meta "$file" description)
  lib=$(scenario_meta "$file" lib)
  bounded=$(scenario_meta "$file" bounded)
  verify=$(scenario_meta "$file" verify)
  if [ "$server" = cached ]; then port=$CACHED_PORT pid=$PID_cached; else port=$UNCACHED_PORT pid=$PID_uncached; fi
  base="http://127.0.0.1:$port"
  script="$WORK/$name.lua"

  log "== $name ($server server :$port)"
  if [ -n "$prepare" ]; then
    declare -F "prepare_$prepare" >/dev/null || die "$file: no prepare_$prepare in lib/prepare.sh"
    "prepare_$prepare" "$base" "$name"
  fi
  # Assembled after the prepare step, which may have added to data.lua.
  cat "$WORK/data.lua" "$BENCH_DIR/lib/common.lua" ${lib:+"$BENCH_DIR/lib/$lib.lua"} "$file" >"$script"
  ceiling=$(scenario_ceiling "$file")
  ceiling_record=$ceiling
  # TPC-B's throughput moved by half within minutes on the bench machines (1,943-3,702 tps
  # in one session), more than a checkout's cost did; measured once at the start, it
  # decided whether a checkout run read 0.14 or 0.26. A scenario held against it is held
  # against TPC-B measured again right before it (on the same tables, vacuumed of the
  # last run's dead rows); the report keeps the run's first measurement beside it.
  if [ "$ceiling" = pgbench_tpcb ] && [ -z "$bounded" ]; then
    ceiling_record="pgbench_tpcb@$name"
    psql_pgbench -c "VACUUM ANALYZE" >/dev/null
    log "  ceiling beside $name:"
    pgbench_ceiling "$ceiling_record" "$name"
  fi
  fresh_checkpoint
  if [ -z "$bounded" ]; then
    timeout $((WARMUP + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "$base" \
      >"$OUT/$name.warmup.txt" 2>&1 || die "warm-up of $name failed: $(tail -5 "$OUT/$name.warmup.txt")"
  fi
  # Tables that were empty when the database was analysed (orders, carts, outboxes) have
  # grown in the prepare step and the warm-up: without fresh statistics the servers'
  # cached plans scan them whole, which a shop's long-lived database would not do.
  psql_bench -c "ANALYZE" >/dev/null

  load1=$(load_1m)
  ceiling_value=$(ceiling_of "$ceiling_record")
  ceiling_at_start=$(ceiling_of "$ceiling")
  # The peak resident set of the all-in-one process over this scenario alone: writing 5 to
  # clear_refs resets VmHWM to the current RSS (Linux >= 4.0; needs to own the process).
  if echo 5 2>/dev/null >"/proc/$pid/clear_refs"; then rss_since=scenario; else rss_since=process_start; fi
  b0=$(pg_background "$BENCH_DB")
  # shellcheck disable=SC2046
  s0=$(ticks_each "$pid") p0=$(ticks_each $(pids_of postgres)) r0=$(ticks_each $(pids_of redis-server)) t0=$(total_ticks)
  if [ -z "$bounded" ]; then
    timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$base" \
      >"$OUT/$name.wrk.txt" 2>&1 || die "wrk run of $name failed: $(tail -5 "$OUT/$name.wrk.txt")"
  else
    run_bounded "$name" "$bounded" "$script" "$base"
  fi
  # shellcheck disable=SC2046
  s1=$(ticks_each "$pid") p1=$(ticks_each $(pids_of postgres)) r1=$(ticks_each $(pids_of redis-server)) t1=$(total_ticks)
  b1=$(pg_background "$BENCH_DB")
  # The peak and, at the end, what the resident set is made of: heap and other anonymous
  # memory, pages of files (the binary), and how much of the anonymous part is transparent
  # huge pages (a 2 MiB page is resident whole once touched: 38 MiB of an 80 MiB heap before
  # mimalloc was built without them).
  read -r rss_peak_kib rss_end_kib anon_kib file_kib < <(awk '
    { kib[$1] = $2 }
    END { print kib["VmHWM:"] + 0, kib["VmRSS:"] + 0, kib["RssAnon:"] + 0, kib["RssFile:"] + 0 }' \
    "/proc/$pid/status" 2>/dev/null || echo 0 0 0 0)
  huge_kib=$(awk '/^AnonHugePages:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)

  line=$(sed -n 's/^BENCH_JSON //p' "$OUT/$name.wrk.txt" | tail -1)
  [ -n "$line" ] || die "no BENCH_JSON line in $OUT/$name.wrk.txt"
  secs=$(jq -r .duration_s <<<"$line")
  # shellcheck disable=SC2016 # jq's variables, not the shell's
  jq_report -c --arg name "$name" --arg server "$server" --arg url "$base" --arg desc "$desc" \
    --argjson tck "$CLK_TCK" --argjson secs "$secs" --argjson load1 "$load1" \
    --arg ceiling "$ceiling" --arg record "$ceiling_record" --argjson cv "${ceiling_value:-0}" \
    --argjson c_start "${ceiling_at_start:-0}" --arg rss_since "$rss_since" \
    --argjson b0 "$b0" --argjson b1 "$b1" \
    --argjson hwm "${rss_peak_kib:-0}" --argjson rss "${rss_end_kib:-0}" \
    --argjson anon "${anon_kib:-0}" --argjson file "${file_kib:-0}" --argjson huge "${huge_kib:-0}" \
    --argjson ds "$(ticks_since "$s0" "$s1")" --argjson dp "$(ticks_since "$p0" "$p1")" \
    --argjson dr "$(ticks_since "$r0" "$r1")" --argjson dt $((t1 - t0)) \
    'include "report"; def mib: . / 1024 * 10 | round / 10; def cores: cores($tck; $secs);
     {name: $name, server: $server, url: $url, description: $desc} + .
     | counted as $n
     | .postgres_background = background($b0; $b1; $n)
     | .socket_errors = (.errors.connect + .errors.read + .errors.write + .errors.timeout)
     | .cpu_cores = {jikgu: ($ds | cores | r2), postgres: ($dp | cores | r2), redis: ($dr | cores | r2),
                     machine_busy: ($dt | cores | r2)}
     | .loadavg_1m_before = $load1
     | .rss_mib = {peak: ($hwm | mib), at_end: ($rss | mib), peak_since: $rss_since,
                   anon_at_end: ($anon | mib), file_at_end: ($file | mib), huge_pages_at_end: ($huge | mib)}
     | .measured = measured
     | .ceiling = {name: $ceiling, record: $record, value: $cv, ratio: ratio(.measured; $cv)}
     | if $record != $ceiling then
         .ceiling += {at_start: $c_start, ratio_to_at_start: ratio(.measured; $c_start)}
       else . end' <<<"$line" >>"$results"
  if [ -n "$verify" ]; then
    declare -F "verify_$verify" >/dev/null || die "$file: no verify_$verify in lib/*.sh"
    verdict=$("verify_$verify") || die "verification of $name failed to run"
    jq -c --argjson v "$verdict" '.verification = $v' <<<"$(tail -1 "$results")" >"$results.last"
    sed -i '$d' "$results" && cat "$results.last" >>"$results"
    log "  verification: $verdict"
  fi
  r=$(tail -1 "$results")
  log "$(jq -r '"  \(.rps | floor) req/s  p50 \(.latency_ms.p50) ms  p99 \(.latency_ms.p99) ms  \(.ceiling.ratio) of \(.ceiling.name)  RSS peak \(.rss_mib.peak) MiB  non-2xx \(.non2xx)  socket errors \(.socket_errors)"' <<<"$r")"
  if [ -n "$(jq -r '.figures // empty' <<<"$r")" ]; then
    log "$(jq -r '.figures | "  checkouts: \(.created) created of \(.checkouts) (\(.created_per_s)/s)  p50 \(.latency_ms.p50) ms  p99 \(.latency_ms.p99) ms  outcomes \(.outcomes | tostring)"' <<<"$r")"
  fi
  if [ "$(jq '.non2xx + .socket_errors' <<<"$r")" != 0 ] || [ "$(jq '.verification.ok // true' <<<"$r")" != true ]; then
    failed+=("$name")
  fi
done

# --------------------------------------------------------------------- report

git_commit=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)
git_dirty=false
[ -z "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null)" ] || git_dirty=true
mem_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
pg_version=$(psql_bench -c 'SHOW server_version' 2>/dev/null || echo unknown)
# What Postgres may cache decides whether a 100k-product index is read from memory or
# copied in from the OS page cache on every query (the Debian default is 128MB).
pg_shared_buffers=$(psql_bench -c 'SHOW shared_buffers' 2>/dev/null || echo unknown)
redis_version=$(redis-cli -h 127.0.0.1 -p 6379 info server 2>/dev/null | sed -n 's/^redis_version:\(.*\)\r$/\1/p')
wrk_version=$(wrk -v 2>&1 | head -1 | awk '{ print $2 }' || true)
bin_modified=$(date -u -r "$BIN" +%Y-%m-%dT%H:%M:%SZ)

# shellcheck disable=SC2016 # jq's variables, not the shell's
jq_report -s \
  --arg ts "$TS" --arg commit "$git_commit" --argjson dirty "$git_dirty" \
  --argjson nproc "$(nproc)" --argjson mem "$mem_kib" --arg cpu "$cpu_model" --arg kernel "$(uname -r)" \
  --arg pg "$pg_version" --arg pg_sb "$pg_shared_buffers" --arg redis "$redis_version" --arg wrk "$wrk_version" \
  --argjson products "$PRODUCTS" --argjson conns "$CONNECTIONS" --argjson dur "$DURATION" \
  --argjson threads "$THREADS" --argjson warmup "$WARMUP" --argjson pool "$DB_POOL" \
  --arg db "$BENCH_DB" --arg sslmode "$PG_SSLMODE" --arg pghost "$PG_HOST" --arg gen "$GENERATE_SECS" --arg reindex "$REINDEX_SECS" --arg bin "$BIN" --arg bin_modified "$bin_modified" \
  --arg note "${BENCH_NOTE:-}" --slurpfile ceilings "$CEILINGS" \
  --argjson busy "$([ "${#BUSY_REASONS[@]}" -gt 0 ] && echo true || echo false)" \
  --argjson busy_reasons "$(printf '%s\n' "${BUSY_REASONS[@]}" | jq -R . | jq -sc 'map(select(. != ""))')" \
  --argjson load_start "$LOAD_AT_START" --arg group "${SCENARIOS:+custom}${SCENARIOS:-$GROUP}" \
  'include "report"; ($ceilings | map(select(.name == "pgbench_tpcb"))[0]) as $tpcb
   | {
     timestamp: $ts,
     git: {commit: $commit, dirty: $dirty},
     binary: {path: $bin, modified: $bin_modified},
     machine: {nproc: $nproc, mem_total_mib: ($mem / 1024 | floor), cpu_model: $cpu, kernel: $kernel,
               postgres: $pg, postgres_shared_buffers: $pg_sb, redis: $redis, wrk: $wrk},
     config: {products: $products, connections: $conns, duration_s: $dur, threads: $threads,
              warmup_s: $warmup, db_max_connections: $pool, database: $db, postgres_host: $pghost, postgres_sslmode: $sslmode,
              generate_seconds: ($gen | tonumber), reindex_seconds: ($reindex | tonumber)},
     note: (if $note == "" then null else $note end),
     group: $group,
     busy: $busy,
     busy_reasons: $busy_reasons,
     loadavg_1m_at_start: $load_start,
     ok: (all(.[]; .non2xx == 0 and .socket_errors == 0 and (.verification.ok // true))),
     ceilings: ($ceilings | map({key: .name, value: .}) | from_entries),
     scenarios: .,
     rss_peak_mib: ([.[].rss_mib.peak] | max),
     pgbench: ($tpcb | {tps: .value, latency_avg_ms: .latency_ms.mean, clients, scale}),
     checkout_vs_pgbench: checkout_vs_pgbench($ceilings; $tpcb)
   }' "$results" >"$OUT/report.json"

{
  echo "# Jikgu load test $TS"
  echo
  jq -r '"\(.config.products) products, \(.config.connections) connections, \(.config.duration_s) s per scenario (\(.config.threads) wrk threads, \(.config.warmup_s) s warm-up); \(.machine.nproc) cores, \(.machine.mem_total_mib) MiB, Postgres shared_buffers \(.machine.postgres_shared_buffers // "?"); commit \(.git.commit[0:12])\(if .git.dirty then " (dirty)" else "" end)"' "$OUT/report.json"
  jq -r 'if .note then "\nNote: \(.note)" else empty end' "$OUT/report.json"
  jq -r 'if .busy then "\n**BUSY RUN** (--allow-busy): \(.busy_reasons | join("; ")). Absolute figures are noise; read the ratios, measured in the same run." else "\nQuiet machine: 1-minute load \(.loadavg_1m_at_start) at the start." end' "$OUT/report.json"
  echo
  echo "Ceilings, measured in this run before the scenarios (and TPC-B again right before each scenario held against it: pgbench_tpcb@<scenario>):"
  echo
  echo "| ceiling | what | value | latency | CPU per transaction: Postgres / machine | WAL per transaction: bytes / full-page images | load before |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  jq -r '.ceilings[] | "| \(.name) | \(.what) | \(.value) \(.unit) | \(if .latency_ms.p99 then "p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms" else "mean \(.latency_ms.mean) ms" end) | \(if .cpu_ms_per_tx then "\(.cpu_ms_per_tx.postgres) / \(.cpu_ms_per_tx.machine) ms" else "-" end) | \(if .postgres_background then "\(.postgres_background.wal_bytes_each) / \(.postgres_background.full_page_images_each)" else "-" end) | \(.loadavg_1m_before) |"' "$OUT/report.json"
  echo
  echo "| scenario | req/s | p50 | p95 | p99 | measured | ratio to ceiling | load before | RSS peak | non-2xx |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  jq -r '.scenarios[] | "| \(.name) | \(.rps | floor) | \(.latency_ms.p50) ms | \(.latency_ms.p95 // "-") ms | \(.latency_ms.p99) ms | \(.measured)\(if .figures then " checkouts/s" else "" end) | **\(.ceiling.ratio)** of \(.ceiling.name) | \(.loadavg_1m_before) | \(.rss_mib.peak) MiB | \(.non2xx) |"' "$OUT/report.json"
  jq -r '"\nAll-in-one process RSS peak over the scenarios: \(.rss_peak_mib) MiB (VmHWM, reset before each scenario)."' "$OUT/report.json"
  echo
  echo "Details (latency in ms; CPU in cores used during the run, wrk is the rest of machine_busy):"
  echo
  echo "| scenario | server | requests | p90 | max | socket errors | CPU jikgu | CPU postgres | CPU redis | CPU machine | load before | RSS at end: anon / file / huge pages (MiB) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  jq -r '.scenarios[] | "| \(.name) | \(.server) | \(.requests) | \(.latency_ms.p90) | \(.latency_ms.max) | \(.socket_errors) | \(.cpu_cores.jikgu) | \(.cpu_cores.postgres) | \(.cpu_cores.redis) | \(.cpu_cores.machine_busy) | \(.loadavg_1m_before) | \(.rss_mib.anon_at_end) / \(.rss_mib.file_at_end) / \(.rss_mib.huge_pages_at_end) |"' "$OUT/report.json"
  if jq -e 'any(.scenarios[]; .figures)' "$OUT/report.json" >/dev/null; then
    echo
    echo "Checkouts (only POST /v1/checkout answers; latency measured in the wrk script; checkouts/s counts 201s):"
    echo
    echo "| scenario | checkouts/s (201) | answered/s | created | answered | paid | checkout p50 | p90 | p99 | max | outcomes |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    jq -r '.scenarios[] | select(.figures) | .figures as $f | "| \(.name) (\($f.mode)) | \($f.created_per_s) | \($f.checkouts_per_s) | \($f.created) | \($f.checkouts) | \($f.paid) | \($f.latency_ms.p50) ms | \($f.latency_ms.p90) ms | \($f.latency_ms.p99) ms | \($f.latency_ms.max) ms | \($f.outcomes | to_entries | map("\(.key) \(.value)") | join(", ")) |"' "$OUT/report.json"
  fi
  jq -r '.scenarios[] | select(.verification) | "\nVerification of \(.name) (psql): \(if .verification.ok then "OK" else "FAILED" end): \(.verification.orders) orders holding \(.verification.units_ordered) units of variant \(.verification.variant_id) (orders by status: \(.verification.orders_by_status | tostring)); stock on hand \(.verification.on_hand), reserved \(.verification.reserved)."' "$OUT/report.json"
  jq -r '(.checkout_vs_pgbench // [])[] | "Checkout/pgbench: \(.scenario) \(.checkouts_per_s) checkouts/s = \(.ratio) of pgbench TPC-B'"'"'s \(.pgbench_tps) tps measured right before it (\(.ratio_to_at_start) of the \(.pgbench_tps_at_start) tps measured at the start of the run)."' "$OUT/report.json"
  jq -r '(.checkout_vs_pgbench // [])[] | .postgres_background as $b | select($b)
    | "Postgres in the background while \(.scenario) ran: \($b.checkpoints_begun) checkpoints begun, \($b.autovacuum_runs) autovacuum runs, \($b.wal_mib) MiB of WAL (\($b.wal_bytes_each) B and \($b.full_page_images_each) full-page images a checkout)."' "$OUT/report.json"
  jq -r '(.checkout_vs_pgbench // [])[] | select(.tpcb_transactions_per_checkout)
    | "CPU per checkout: Postgres \(.cpu_ms_per_checkout.postgres) ms = \(.tpcb_transactions_per_checkout.postgres) TPC-B transactions'"'"' worth, the machine \(.cpu_ms_per_checkout.machine) ms = \(.tpcb_transactions_per_checkout.machine) (0.25 of TPC-B allows 4)."' "$OUT/report.json"
  echo
  echo "Targets (issue 18, ratios to this run's ceilings): cached detail and first list page >= 0.50 of axum; uncached detail and filtered list >= 0.10 of pgbench select-only (detail p99 <= 50 ms); checkout >= 0.25 of pgbench TPC-B (p99 <= 60 ms); search >= 0.05 of select-only (p95 <= 25 ms); RSS < 150 MB through every scenario; flash_sale exactly 100 orders."
} >"$OUT/report.md"

rm -rf "$BENCH_DIR/out/latest"
mkdir -p "$BENCH_DIR/out/latest"
cp "$OUT/report.json" "$OUT/report.md" "$BENCH_DIR/out/latest/"

log ""
log "report: $OUT/report.md (also out/latest/)"
cat "$OUT/report.md"

if [ "${#failed[@]}" -gt 0 ]; then
  die "non-2xx responses or socket errors in: ${failed[*]} (see $OUT/<scenario>.wrk.txt)"
fi
