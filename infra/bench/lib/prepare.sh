# shellcheck shell=bash
# Preparation steps a scenario can ask for with `-- @prepare: <name>` in its .lua header.
# Sourced by run.sh; each is called as `prepare_<name> <base_url> <scenario>` after the servers are
# up and the data is collected, before the scenario's warm-up. Available: $WORK (the run's
# scratch directory: product_ids.txt, top_category_ids.txt, category_ids.txt, data.lua),
# the helpers of run.sh (log, die, http_get). The scenario script is assembled after this
# step, so a prepare function may append Lua to "$WORK/data.lua" (bench_data.x = {...}).
# Return non-zero (or die) to fail the run.

# Request every collected product page once, so the cached run measures cache hits only.
prepare_warm_product_details() {
  local base=$1 cfg="$WORK/warm_product_details.curl" codes bad
  : >"$cfg"
  while read -r id; do
    printf 'url = "%s/v1/products/%s"\noutput = "/dev/null"\n' "$base" "$id" >>"$cfg"
  done <"$WORK/product_ids.txt"
  # One curl process, 16 keep-alive connections (a slow cache path must not make warming
  # take minutes).
  codes=$(timeout 300 curl -sS --no-progress-meter --parallel --parallel-max 16 --max-time 30 -w '%{http_code}\n' -K "$cfg")
  bad=$(grep -vc '^200$' <<<"$codes" || true)
  [ "$bad" = 0 ] || die "warming product pages: $bad of $(wc -l <<<"$codes") were not 200 ($(sort <<<"$codes" | uniq -c | tr '\n' ' '))"
  log "  warmed $(wc -l <<<"$codes") product pages"
}
