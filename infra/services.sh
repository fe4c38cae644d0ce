#!/usr/bin/env bash
# Make PostgreSQL and Redis available on 127.0.0.1 for local development and CI,
# then make sure the `jikgu` database exists with pg_trgm.
#
# Written for Debian 12 running as root *without* systemd (containers, CI runners):
# services are started directly (pg_ctlcluster, redis-server --daemonize), never
# through systemctl/service. Idempotent: run it as often as you like.
#
#   infra/services.sh
#
# Environment (all optional):
#   PGHOST   (default 127.0.0.1)   PGPORT (default 5432)   PGUSER (default postgres)
#   JIKGU_DB (default jikgu)       name of the database to create
#
# The application then connects with
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/jikgu
#   REDIS_URL=redis://127.0.0.1:6379
set -euo pipefail

export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
DB_NAME="${JIKGU_DB:-jikgu}"
[[ "$DB_NAME" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "error: JIKGU_DB must be a plain identifier" >&2; exit 1; }
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
WAIT_SECONDS=30

log() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

pg_up()    { command -v pg_isready >/dev/null && pg_isready -q -h "$PGHOST" -p "$PGPORT"; }
redis_up() { command -v redis-cli >/dev/null && [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# The newest PostgreSQL major version whose *server* is installed, e.g. "15" (empty if
# none; a client-only install also has /usr/lib/postgresql/NN, without bin/postgres).
pg_version() {
  local bin
  for bin in /usr/lib/postgresql/*/bin/postgres; do
    if [ -x "$bin" ]; then basename "$(dirname "$(dirname "$bin")")"; fi
  done | sort -V | tail -1
}
# The cluster version to start: the first one configured under /etc/postgresql
# (what `ls /etc/postgresql | head -1` gives, but only if it really has a main cluster).
pg_cluster_version() {
  local dir
  for dir in /etc/postgresql/*/main; do
    if [ -d "$dir" ]; then basename "$(dirname "$dir")"; return 0; fi
  done
  return 0
}

has_c_utf8() { locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; }

wait_for() { # wait_for <name> <check-function>
  local name=$1 check=$2 i
  for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
    if "$check"; then log "$name: up"; return 0; fi
    sleep 0.5
  done
  die "$name did not answer within ${WAIT_SECONDS}s"
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt: updating package lists"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  log "apt: installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ---------------------------------------------------------------- PostgreSQL

# Trust local connections for the postgres superuser. Only ever done on a cluster this
# script created or installed itself: an existing pg_hba.conf is someone's decision.
pg_trust_local() {
  local hba="/etc/postgresql/$1/main/pg_hba.conf"
  [ -f "$hba" ] || die "missing $hba"
  if ! grep -q 'jikgu services.sh' "$hba"; then
    # pg_hba.conf is first-match-wins, so the trust lines go on top.
    {
      echo '# jikgu services.sh: development trust for the superuser on loopback'
      echo 'local   all   postgres                 trust'
      echo 'host    all   postgres   127.0.0.1/32  trust'
      echo 'host    all   postgres   ::1/128       trust'
      cat "$hba"
    } >"$hba.new"
    chown --reference="$hba" "$hba.new"
    chmod --reference="$hba" "$hba.new"
    mv "$hba.new" "$hba"
    log "postgres: pg_hba.conf set to trust postgres on 127.0.0.1 and the local socket"
  fi
}

pg_start() {
  local ver
  ver=$(pg_cluster_version)
  [ -n "$ver" ] || die "no PostgreSQL cluster under /etc/postgresql"
  log "postgres: starting cluster $ver/main"
  # --skip-systemctl-redirect: there is no systemd here, start the postmaster directly.
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
}

ensure_postgres() {
  if pg_up; then
    log "postgres: already up on $PGHOST:$PGPORT"
    return
  fi
  local fresh=0
  if [ -z "$(pg_version)" ]; then
    apt_install postgresql # on Debian 12 this includes the contrib modules (pg_trgm)
    fresh=1
  fi
  if [ -z "$(pg_cluster_version)" ]; then
    # Binaries present but no cluster (e.g. removed, or the package postinst skipped it).
    log "postgres: creating cluster $(pg_version)/main"
    if has_c_utf8; then
      pg_createcluster --locale C.UTF-8 "$(pg_version)" main >/dev/null
    else
      pg_createcluster "$(pg_version)" main >/dev/null
    fi
    fresh=1
  fi
  if [ "$fresh" = 1 ]; then pg_trust_local "$(pg_cluster_version)"; fi
  # The package's postinst may have started it already; only start what is stopped.
  pg_up || pg_start
  wait_for postgres pg_up
}

# --------------------------------------------------------------------- Redis

redis_start() {
  mkdir -p /var/lib/redis /var/log/redis
  log "redis: starting redis-server on $REDIS_HOST:$REDIS_PORT"
  # A throwaway dev/CI instance: no RDB snapshots, no AOF. "-::1" binds IPv6 loopback
  # only if the machine has it.
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

ensure_redis() {
  if redis_up; then
    log "redis: already up on $REDIS_HOST:$REDIS_PORT"
    return
  fi
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server
  fi
  redis_up || redis_start
  wait_for redis redis_up
}

# ------------------------------------------------------------------ database

psql_admin() { psql -X -v ON_ERROR_STOP=1 -d postgres -tA "$@"; }

ensure_database() {
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" = 1 ]; then
    log "postgres: database $DB_NAME exists"
  else
    # pg_trgm splits text into trigrams of *characters* only when the database ctype knows
    # that Hangul syllables are letters; under a C/POSIX ctype "김치" yields no trigrams and
    # search finds nothing. Hence a UTF-8 ctype, which needs template0.
    if has_c_utf8; then
      createdb -E UTF8 --lc-ctype=C.UTF-8 --lc-collate=C.UTF-8 -T template0 "$DB_NAME"
      log "postgres: created database $DB_NAME (UTF8, C.UTF-8)"
    else
      createdb "$DB_NAME"
      log "postgres: created database $DB_NAME (template defaults: no C.UTF-8 locale here)"
    fi
  fi
  local row enc ctype
  row=$(psql_admin -c \
    "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database WHERE datname='$DB_NAME'")
  enc=${row%%|*} ctype=${row#*|}
  case "$enc/$ctype" in
    UTF8/*[Uu][Tt][Ff]*) ;;
    *) log "warning: $DB_NAME has encoding $enc, ctype $ctype; Korean trigram search needs UTF8 and a UTF-8 ctype" ;;
  esac
  # client_min_messages hides the "already exists, skipping" notice on reruns.
  PGOPTIONS='-c client_min_messages=warning' \
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB_NAME" -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'
  log "postgres: extension pg_trgm ready in $DB_NAME"
}

# ---------------------------------------------------------------- browser
# The console's browser tests drive Debian's headless Chromium through chromedriver; a
# Hangul font makes their failure screenshots readable. Quick when all are present.
ensure_browser() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null \
    && fc-list 2>/dev/null | grep -qi nanum; then
    log "chromium: present ($(chromium --version 2>/dev/null | head -1))"
    return 0
  fi
  apt_install chromium chromium-driver fonts-nanum
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    die "chromium or chromedriver missing after apt-get install"
  fi
  log "chromium: installed"
}

ensure_postgres
ensure_redis
ensure_database
ensure_browser
log "ready: DATABASE_URL=postgres://$PGUSER@$PGHOST:$PGPORT/$DB_NAME REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT"
