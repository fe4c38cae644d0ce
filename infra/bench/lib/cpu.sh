# shellcheck shell=bash
# Reading the CPU that processes and the machine spend, from /proc; sourced by run.sh, and
# by infra/check.sh, which checks ticks_since.

pids_of() { pgrep -x "$1" 2>/dev/null | tr '\n' ' ' || true; }
# ticks_each <pid>...: "pid ticks" (utime+stime) per live process. ticks_since <before>
# <after>: the ticks spent between two such lists by the processes alive at the end, those
# started meanwhile counting from zero. A process gone by the end (an autovacuum worker)
# is left out instead of taking its whole past off the sum.
ticks_each() { # without a process per pid: sampling 70 backends must take milliseconds
  local pid stat
  local -a f
  for pid in "$@"; do
    { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || continue
    read -r -a f <<<"${stat##*) }" # fields from 3 (state) on: utime is f[11], stime f[12]
    echo "$pid $((f[11] + f[12]))"
  done
}
ticks_since() { awk 'NR == FNR { b[$1] = $2; next } { d += $2 - b[$1] } END { print d + 0 }' <(echo "$1") <(echo "$2"); }
total_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; } # busy, all cores
