#!/usr/bin/env bash
# Instructions Postgres spends on a pgbench script, counted by callgrind: the same count
# for the same schema and rows on every run, where the harness's CPU figures move by a
# tenth between runs of one binary.
#
#   bash infra/bench/count.sh <source database> <script.sql> [variant.sql ...]
#
# Starts a second Postgres cluster under valgrind (its own directory, port 5499, no
# autovacuum), copies <source database> into it, and for the copy as it is ("as is"), then
# for a fresh copy with each variant.sql applied, runs <script.sql> with pgbench: one
# client, prepared statements, a fixed random seed. A transaction's count is
# (I(250) - I(50)) / 200, where I(n) is the callgrind total of the backend that ran n
# transactions; each run follows a VACUUM, and the first run of a copy is discarded (it
# read up to 6% low). Under valgrind Postgres runs about fifty times slower. Run it as
# root: the cluster runs as the postgres user, in a directory of its own.
# Example (the twenty-eighth session of infra/bench/README.md):
#
#   bash infra/bench/count.sh jikgu_bench infra/bench/pgbench/checkout_write.sql domains.sql
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
SOURCE_DB=$1
SCRIPT=$(realpath "$2")
shift 2
VARIANTS=()
for v in "$@"; do VARIANTS+=("$(realpath "$v")"); done
for tool in valgrind pgbench pg_dump pg_restore psql; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 1; }
done
# The counted cluster runs the source's own major version: pg_restore then takes its dump,
# and a newer client-only install (a bin/ without the server) is never picked.
PG_MAJOR=$(psql -X -qAt -U postgres -d "$SOURCE_DB" -c "SELECT current_setting('server_version_num')::int / 10000")
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
[ -x "$PG_BIN/postgres" ] || { echo "error: no Postgres $PG_MAJOR server in $PG_BIN" >&2; exit 1; }
WORK=$(mktemp -d /var/tmp/jikgu-count.XXXXXX)
chown postgres "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
P=(-h "$WORK" -p 5499 -U postgres)

stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m fast -w -t 300 stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap stop EXIT

as_pg "$PG_BIN/initdb" -D "$WORK/data" -A trust -E UTF8 --locale C.UTF-8 >"$WORK/initdb.log"
cat >>"$WORK/data/postgresql.conf" <<EOF
port = 5499
unix_socket_directories = '$WORK'
listen_addresses = ''
autovacuum = off
EOF
as_pg bash -c "cd '$WORK' && exec valgrind --tool=callgrind --callgrind-out-file='$WORK/cg.%p' \
  '$PG_BIN/postgres' -D '$WORK/data' >'$WORK/server.log' 2>&1" &
for _ in $(seq 1 120); do psql -X -q "${P[@]}" -c "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
psql -X -q "${P[@]}" -c "SELECT 1" >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }

echo "copying $SOURCE_DB into the counted cluster" >&2
# The source is reached as psql would (PGHOST, else libpq's default socket).
pg_dump -U postgres -Fc "$SOURCE_DB" >"$WORK/source.dump"
psql -X -q "${P[@]}" -c "CREATE DATABASE counted_source TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
pg_restore "${P[@]}" -d counted_source "$WORK/source.dump"
psql -X -q "${P[@]}" -d counted_source -c "VACUUM ANALYZE"

# run <db> <transactions>: the callgrind total of the backend that ran them. Its pid is
# read while pgbench runs (its application_name), and its file is read once written
# through (a backend writes it as it exits, which under valgrind can take a while).
run() {
  local bench pid="" total="" _
  psql -X -q "${P[@]}" -d "$1" -c "VACUUM"
  pgbench -n "${P[@]}" -M prepared --random-seed=7 -c 1 -t "$2" -f "$SCRIPT" "$1" >"$WORK/pgbench.log" 2>&1 &
  bench=$!
  while [ -z "$pid" ] && kill -0 "$bench" 2>/dev/null; do
    pid=$(psql -X -qAt "${P[@]}" -d "$1" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'")
    [ -n "$pid" ] || sleep 0.2
  done
  wait "$bench" || { cat "$WORK/pgbench.log" >&2; exit 1; }
  [ -n "$pid" ] || { echo "error: pgbench's backend was not seen" >&2; exit 1; }
  for _ in $(seq 1 120); do
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$WORK/cg.$pid" 2>/dev/null || true)
    [ -n "$total" ] && break
    sleep 1
  done
  [ -n "$total" ] || { echo "error: no total in $WORK/cg.$pid" >&2; exit 1; }
  echo "$total"
}

count() { # count <label> <db>
  run "$2" 50 >/dev/null
  local a b
  a=$(run "$2" 50)
  b=$(run "$2" 250)
  printf '%-40s %12d instructions a transaction\n' "$1" $(((b - a) / 200))
}

n=0
psql -X -q "${P[@]}" -c "CREATE DATABASE counted_$n TEMPLATE counted_source"
count "as is" "counted_$n"
for v in "${VARIANTS[@]}"; do
  n=$((n + 1))
  psql -X -q "${P[@]}" -c "CREATE DATABASE counted_$n TEMPLATE counted_source"
  psql -X -q -v ON_ERROR_STOP=1 "${P[@]}" -d "counted_$n" -f "$v"
  count "$(basename "$v")" "counted_$n"
done
