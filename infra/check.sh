#!/usr/bin/env bash
# Offline validation of infra/: shell scripts, compose file, Kubernetes manifests, nginx
# routing. Needs no Docker engine, no cluster and no network beyond package registries
# (PyPI for pyyaml/kubernetes-validate, Debian for shellcheck/nginx), and only when a tool
# is missing. Every step says "ok", "skip" (with the reason) or "FAIL"; the exit status is
# non-zero if any step failed.
#
#   infra/check.sh
set -uo pipefail # no -e: run every step and report all failures at the end

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/jikgu-infra-check"

failed=() skipped=() passed=()
step() { printf '\n== %s\n' "$*"; }
ok()   { passed+=("$1"); printf '  ok: %s\n' "$1"; }
skip() { skipped+=("$1"); printf '  skip: %s\n' "$1"; }
fail() { failed+=("$1"); printf '  FAIL: %s\n' "$1"; }
# run <label> <command...>: the command's status decides ok/FAIL.
run() { local label=$1; shift; if "$@"; then ok "$label"; else fail "$label"; fi; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_updated=0
apt_install() { # quiet; refreshes the package lists once if the first attempt fails
  is_root && command -v apt-get >/dev/null || return 1
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 && return 0
  [ "$apt_updated" = 0 ] || return 1
  apt_updated=1
  apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}
pip_install() { python3 -m pip install -q "$@" >/dev/null 2>&1; }

# ------------------------------------------------------------------ shell scripts
step "shell scripts"
scripts=(infra/services.sh infra/check.sh infra/bench/run.sh infra/bench/lib/prepare.sh infra/bench/lib/checkout.sh
  infra/bench/lib/cpu.sh infra/bench/count.sh)
for s in "${scripts[@]}"; do run "bash -n $s" bash -n "$s"; done
command -v shellcheck >/dev/null || apt_install shellcheck
if command -v shellcheck >/dev/null; then
  run "shellcheck ${scripts[*]}" shellcheck "${scripts[@]}"
else
  skip "shellcheck: not installed and not installable here"
fi

# The bench's CPU figures: between two readings, a process still alive counts its
# difference, one started meanwhile counts from zero, one gone is left out.
cpu_readings() (
  # shellcheck source-path=SCRIPTDIR source=bench/lib/cpu.sh
  . infra/bench/lib/cpu.sh
  local me=$BASHPID # this subshell, alive while it reads itself
  [ "$(ticks_since $'1 5\n2 7' $'1 9\n3 4')" = 8 ] && [ "$(ticks_since '' '')" = 0 ] &&
    [[ "$(ticks_each "$me" 999999999)" =~ ^$me\ [0-9]+$ ]]
)
run "bench CPU readings (ticks_since, ticks_each)" cpu_readings

# The bench report's arithmetic (lib/report.jq) on made-up readings: a checkout cycle of
# 500 checkouts a second, Postgres at 1.2 cores and the machine at 1.9, against a TPC-B
# of 2,500 tps measured beside it at 0.5 / 0.6 ms a transaction, is 2.4 / 3.8 ms and
# 4.8 / 6.33 TPC-B transactions a checkout, and 0.2 of TPC-B.
bench_report() {
  command -v jq >/dev/null || return 1
  jq -e -n -L infra/bench/lib 'include "report";
    def cycle_record: {name: "checkout", figures: {mode: "cycle", created: 7500, created_per_s: 500},
      cpu_cores: {postgres: 1.2, machine_busy: 1.9}, postgres_background: null,
      ceiling: {record: "pgbench_tpcb@checkout", value: 2500, ratio: 0.2, at_start: 2000, ratio_to_at_start: 0.25}};
    (250 | cores(100; 2)) == 1.25 and (1.234 | r2) == 1.23
    and ratio(500; 2500) == 0.2 and ratio(500; 0) == null
    and ([cycle_record, {figures: {mode: "flash", checkouts: 9, checkouts_per_s: 3}}, {rps: 10, requests: 150}]
         | map([measured, counted])) == [[500, 7500], [3, 9], [10, 150]]
    and background({checkpoints: 3, autovacuum_runs: 1, wal_bytes: 0, full_page_images: 0};
                   {checkpoints: 4, autovacuum_runs: 1, wal_bytes: 2097152, full_page_images: 10}; 100)
        == {checkpoints_begun: 1, autovacuum_runs: 0, wal_mib: 2, wal_bytes_each: 20972, full_page_images_each: 0.1}
    and background({checkpoints: 0, autovacuum_runs: 0, wal_bytes: 0, full_page_images: 0};
                   {checkpoints: 0, autovacuum_runs: 0, wal_bytes: 0, full_page_images: 0}; 0).wal_bytes_each == null
    and ([cycle_record, {name: "product_detail_cached", rps: 10}]
         | checkout_vs_pgbench(
             [{name: "pgbench_tpcb", value: 2000, cpu_ms_per_tx: {postgres: 1, machine: 1}},
              {name: "pgbench_tpcb@checkout", value: 2500, cpu_ms_per_tx: {postgres: 0.5, machine: 0.6}}];
             {name: "pgbench_tpcb", value: 2000, cpu_ms_per_tx: {postgres: 1, machine: 1}}))
        == [{scenario: "checkout", checkouts_per_s: 500, pgbench_tps: 2500, ratio: 0.2,
             pgbench_tps_at_start: 2000, ratio_to_at_start: 0.25, postgres_background: null,
             cpu_ms_per_checkout: {postgres: 2.4, machine: 3.8},
             tpcb_transactions_per_checkout: {postgres: 4.8, machine: 6.33}}]' >/dev/null
}
run "bench report arithmetic (lib/report.jq)" bench_report

# --------------------------------------------------------------------- python/yaml
step "python3 and PyYAML"
if ! command -v python3 >/dev/null; then
  fail "python3 missing: YAML, compose, k8s and nginx checks cannot run"
  have_py=0
else
  python3 -c 'import yaml' 2>/dev/null || pip_install pyyaml
  if python3 -c 'import yaml' 2>/dev/null; then have_py=1; ok "PyYAML available"; else
    have_py=0; fail "PyYAML missing and pip install pyyaml failed"
  fi
fi
checks() { python3 infra/checks.py "$@"; }

if [ "$have_py" = 1 ]; then
  step "YAML parse (compose.yaml, k8s/**/*.yaml)"
  run "YAML parses" checks yaml
fi

# ------------------------------------------------------------------------ compose
step "compose"
# Only needs the CLI: `config` resolves and validates the file without an engine.
if docker compose version >/dev/null 2>&1; then
  run "docker compose config -q" env JIKGU_JWT_SECRET=check-dummy-secret \
    docker compose -f infra/compose.yaml config -q
elif command -v docker-compose >/dev/null && docker-compose version >/dev/null 2>&1; then
  run "docker-compose config -q" env JIKGU_JWT_SECRET=check-dummy-secret \
    docker-compose -f infra/compose.yaml config -q
else
  skip "docker compose config: no compose CLI on this machine"
fi
if [ "$have_py" = 1 ]; then
  run "compose + Dockerfile + nginx upstreams consistent" checks compose
fi

# ---------------------------------------------------------------------------- k8s
step "kubernetes manifests"
mapfile -t k8s_files < <(find infra/k8s -name '*.yaml' | sort)
if [ "$have_py" = 1 ]; then
  command -v kubernetes-validate >/dev/null || pip_install kubernetes-validate
  if command -v kubernetes-validate >/dev/null; then
    # --strict rejects fields the schema does not know: catches misspelt keys.
    run "kubernetes-validate --strict (${#k8s_files[@]} files, bundled schemas)" \
      kubernetes-validate --strict --quiet "${k8s_files[@]}"
  else
    skip "kubernetes-validate unavailable: schema validation replaced by a structural check"
    run "k8s structural check" checks k8s-structure
  fi
  run "k8s cross-references and Ingress routing" checks k8s-consistency
fi

# -------------------------------------------------------------------------- nginx
step "nginx"
# A real nginx binary. Rather than `apt-get install nginx` (whose postinst may start a
# daemon on :80 and which changes the machine), fetch the Debian packages with
# `apt-get download` and unpack them into a cache directory.
find_nginx() {
  if command -v nginx >/dev/null; then
    nginx_bin=$(command -v nginx)
    mime_types=/etc/nginx/mime.types
    return 0
  fi
  local root="$CACHE/nginx-root" pkg
  if [ ! -x "$root/usr/sbin/nginx" ] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
    mkdir -p "$CACHE/debs"
    # Debian 12 ships the binary in `nginx`; older releases in nginx-core/nginx-light.
    for pkg in nginx nginx-core nginx-light; do
      rm -f "$CACHE"/debs/*.deb
      if ! (cd "$CACHE/debs" && apt-get download "$pkg" nginx-common >/dev/null 2>&1); then
        if [ "$apt_updated" = 0 ] && is_root; then
          apt_updated=1
          apt-get update -qq >/dev/null 2>&1
          (cd "$CACHE/debs" && apt-get download "$pkg" nginx-common >/dev/null 2>&1) || continue
        else
          continue
        fi
      fi
      for deb in "$CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
      [ -x "$root/usr/sbin/nginx" ] && break
    done
  fi
  [ -x "$root/usr/sbin/nginx" ] && "$root/usr/sbin/nginx" -v >/dev/null 2>&1 || return 1
  nginx_bin="$root/usr/sbin/nginx"
  mime_types="$root/etc/nginx/mime.types"
}
if [ "$have_py" = 1 ] && find_nginx; then
  echo "  using $nginx_bin ($("$nginx_bin" -v 2>&1))"
  run "nginx -t and routing through stub upstreams" checks nginx "$nginx_bin" "$mime_types"
elif [ "$have_py" = 1 ]; then
  skip "nginx: no nginx binary and the Debian package could not be fetched"
fi

# ------------------------------------------------------------------------ summary
step "summary"
printf '  %d ok, %d skipped, %d failed\n' "${#passed[@]}" "${#skipped[@]}" "${#failed[@]}"
for s in "${skipped[@]}"; do printf '  skipped: %s\n' "$s"; done
for f in "${failed[@]}"; do printf '  failed: %s\n' "$f"; done
[ "${#failed[@]}" = 0 ]
