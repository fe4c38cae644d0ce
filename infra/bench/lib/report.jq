# The arithmetic of the bench report (infra/bench/run.sh), kept apart so that
# infra/check.sh can run it on made-up readings:
#   jq -L infra/bench/lib 'include "report"; …'

# Clock ticks spent over `secs` seconds (`tck` ticks a second), as cores busy.
def cores($tck; $secs): . / $tck / $secs;

# A figure to two decimals.
def r2: . * 100 | round / 100;

# What Postgres did in the background between two `pg_background` readings, with `n`
# transactions, checkouts or requests in between.
def background($b0; $b1; $n):
  {checkpoints_begun: ($b1.checkpoints - $b0.checkpoints),
   autovacuum_runs: ($b1.autovacuum_runs - $b0.autovacuum_runs),
   wal_mib: (($b1.wal_bytes - $b0.wal_bytes) / 1048576 * 10 | round / 10),
   wal_bytes_each: (if $n > 0 then (($b1.wal_bytes - $b0.wal_bytes) / $n | round) else null end),
   full_page_images_each: (if $n > 0 then (($b1.full_page_images - $b0.full_page_images) / $n * 1000 | round / 1000) else null end)};

# `measured` over `ceiling`, to three decimals; none without a ceiling.
def ratio($measured; $ceiling):
  if $ceiling > 0 then ($measured / $ceiling * 1000 | round / 1000) else null end;

# Whether a scenario record is a checkout cycle (its figure counts created orders).
def cycle: .figures.mode // "" | startswith("cycle");

# What a scenario record (wrk's BENCH_JSON line) delivered, and of how many: a checkout
# cycle its 201s, a flash sale its answered checkouts, every other scenario its requests.
def measured:
  if .figures then (if cycle then .figures.created_per_s else .figures.checkouts_per_s end) else .rps end;
def counted:
  if .figures then (if cycle then .figures.created else .figures.checkouts end) else .requests end;

# Each checkout cycle among the scenario records given, against TPC-B: what a checkout
# cost Postgres and the machine, and that in transactions of the TPC-B measured beside it
# (the ceiling record it names in `ceilings`; the run's first, `tpcb`, when none): 0.25
# of TPC-B means a checkout may cost 4 of them.
def checkout_vs_pgbench($ceilings; $tpcb):
  [.[] | select(cycle)
   | .figures.created_per_s as $n
   | (if $n > 0 then {postgres: (.cpu_cores.postgres / $n * 1000),
                      machine: (.cpu_cores.machine_busy / $n * 1000)} else null end) as $ms
   | (.ceiling.record as $r | ($ceilings | map(select(.name == $r))[0]) // $tpcb) as $beside
   | ($beside.cpu_ms_per_tx // {}) as $tx
   | {scenario: .name, checkouts_per_s: $n, pgbench_tps: .ceiling.value, ratio: .ceiling.ratio,
      pgbench_tps_at_start: (.ceiling.at_start // .ceiling.value),
      ratio_to_at_start: (.ceiling.ratio_to_at_start // .ceiling.ratio),
      postgres_background: .postgres_background,
      cpu_ms_per_checkout: ($ms | if . then map_values(. * 100 | round / 100) else null end),
      tpcb_transactions_per_checkout: (if $ms and ($tx.postgres // 0) > 0 and ($tx.machine // 0) > 0 then
          {postgres: ($ms.postgres / $tx.postgres * 100 | round / 100),
           machine: ($ms.machine / $tx.machine * 100 | round / 100)}
        else null end)}];
