# shellcheck shell=bash
# Prepare and verify steps of the checkout scenarios (checkout, checkout_paid, flash_sale),
# sourced by run.sh after lib/prepare.sh; see that file for what a step may use. The
# scenarios' flows are in lib/checkout.lua.

CHECKOUT_PASSWORD=bench-customer-password
CHECKOUT_STOCK=1000000    # on hand for every checkout variant: the cycle never sells out
CHECKOUT_VARIANTS_PER_VENDOR=20
FLASH_UNITS=100
FLASH_ATTEMPTS=5000

# bench_customers <base> <tag> <count>: sign up <count> customers through the API
# (argon2 per signup, four at a time) and write their access tokens, one a line, to
# $WORK/<tag>.tokens.
bench_customers() {
  local base=$1 tag=$2 count=$3 dir cfg i got
  dir="$WORK/$tag.signup"
  cfg="$dir/curl.cfg"
  mkdir -p "$dir"
  for ((i = 1; i <= count; i++)); do
    [ "$i" = 1 ] || echo next # each transfer has its own options
    printf 'url = "%s/v1/auth/signup"\nheader = "Content-Type: application/json"\n' "$base"
    printf 'data = "{\\"email\\":\\"%s-%s-%d@bench.jikgu.kr\\",\\"password\\":\\"%s\\",\\"display_name\\":\\"bench %s %d\\"}"\n' \
      "$tag" "$TS" "$i" "$CHECKOUT_PASSWORD" "$tag" "$i"
    printf 'output = "%s/%d.json"\n' "$dir" "$i"
  done >"$cfg"
  timeout 600 curl -sS --no-progress-meter --parallel --parallel-max 4 --max-time 60 -K "$cfg" ||
    die "signing up $count bench customers failed"
  for ((i = 1; i <= count; i++)); do
    jq -er .access_token "$dir/$i.json" 2>/dev/null || die "signup $i: $(head -c 300 "$dir/$i.json" 2>/dev/null)"
  done >"$WORK/$tag.tokens"
  got=$(wc -l <"$WORK/$tag.tokens")
  [ "$got" = "$count" ] || die "signed up $got of $count bench customers"
  log "  signed up $count customers ($tag)"
}

# Customers per wrk thread must outnumber its connections (lib/checkout.lua keeps one
# request in flight per customer), so sign up twice the connections.
prepare_checkout() {
  local base=$1 tag=$2 n_vendors
  psql_bench >"$WORK/$tag.variants" <<SQL
WITH picked AS (
  SELECT x.id, p.vendor_id, row_number() OVER (PARTITION BY p.vendor_id ORDER BY x.id) AS n
  FROM catalog.variants x
  JOIN catalog.products p ON p.id = x.product_id
  JOIN catalog.vendors v ON v.id = p.vendor_id
  WHERE p.status = 'active' AND v.status = 'approved' AND coalesce(p.max_per_order, 1) >= 1
), updated AS (
  UPDATE catalog.variants x SET on_hand = $CHECKOUT_STOCK, updated_at = now()
  FROM picked WHERE picked.id = x.id AND picked.n <= $CHECKOUT_VARIANTS_PER_VENDOR
  RETURNING x.id, picked.vendor_id
)
SELECT vendor_id || ' ' || id FROM updated ORDER BY vendor_id, id;
SQL
  n_vendors=$(cut -d' ' -f1 "$WORK/$tag.variants" | sort -u | wc -l)
  [ "$n_vendors" -ge 3 ] || die "checkout needs variants of at least 3 vendors (found $n_vendors)"
  bench_customers "$base" "$tag" $((2 * CONNECTIONS))
  {
    echo "bench_data.checkout = {"
    echo "  threads = $THREADS,"
    echo "  customers = {"
    sed 's/.*/    "&",/' "$WORK/$tag.tokens"
    echo "  },"
    echo "  vendors = {"
    awk '$1 != last { if (NR > 1) print "    },"; print "    {"; last = $1 } { printf "      \"%s\",\n", $2 } END { print "    }," }' "$WORK/$tag.variants"
    echo "  },"
    echo "}"
  } >>"$WORK/data.lua"
  log "  $(wc -l <"$WORK/$tag.variants") variants of $n_vendors vendors with $CHECKOUT_STOCK on hand"
}

# One variant that nobody has ordered gets exactly $FLASH_UNITS units; every customer's
# cart gets one of it (through the API, which also shows the total to expect). Each
# thread may see all its units sold, so it needs its connections plus $FLASH_UNITS
# customers beyond the ones in flight.
prepare_flash_sale() {
  local base=$1 count i cfg totals
  FLASH_VARIANT=$(psql_bench <<SQL
WITH v AS (
  SELECT x.id FROM catalog.variants x
  JOIN catalog.products p ON p.id = x.product_id
  JOIN catalog.vendors v ON v.id = p.vendor_id
  WHERE p.status = 'active' AND v.status = 'approved' AND coalesce(p.max_per_order, 1) >= 1
    AND x.reserved = 0
    AND NOT EXISTS (SELECT 1 FROM orders.order_lines ol WHERE ol.variant_id = x.id)
  ORDER BY x.id DESC LIMIT 1
)
UPDATE catalog.variants x SET on_hand = $FLASH_UNITS, updated_at = now() FROM v WHERE v.id = x.id
RETURNING x.id;
SQL
  )
  [ -n "$FLASH_VARIANT" ] || die "no variant for the flash sale"
  count=$((2 * CONNECTIONS + FLASH_UNITS * THREADS))
  bench_customers "$base" flash_sale "$count"
  cfg="$WORK/flash_sale.fill.cfg"
  mkdir -p "$WORK/flash_sale.fill"
  i=0
  while read -r token; do
    i=$((i + 1))
    [ "$i" = 1 ] || echo next
    printf 'url = "%s/v1/carts/current/lines/%s"\nrequest = "PUT"\n' "$base" "$FLASH_VARIANT"
    printf 'header = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n' "$token"
    printf 'data = "{\\"quantity\\":1}"\noutput = "%s/%d.json"\n' "$WORK/flash_sale.fill" "$i"
  done <"$WORK/flash_sale.tokens" >"$cfg"
  timeout 300 curl -sS --no-progress-meter --parallel --parallel-max 16 --max-time 30 -K "$cfg" ||
    die "filling the flash-sale carts failed"
  totals=$(for ((i = 1; i <= count; i++)); do
    jq -er .quote.totals.grand_total "$WORK/flash_sale.fill/$i.json" 2>/dev/null || echo "bad:$i"
  done | sort | uniq -c)
  if [ "$(wc -l <<<"$totals")" != 1 ] || grep -q bad: <<<"$totals"; then
    die "flash-sale carts do not all show one total: $(tr '\n' ' ' <<<"$totals")"
  fi
  {
    echo "bench_data.flash_sale = {"
    echo "  threads = $THREADS,"
    echo "  attempts = $FLASH_ATTEMPTS,"
    echo "  expected_total = $(awk '{ print $2 }' <<<"$totals"),"
    echo "  done_prefix = \"$WORK/flash_sale.done.\","
    echo "  customers = {"
    sed 's/.*/    "&",/' "$WORK/flash_sale.tokens"
    echo "  },"
    echo "}"
  } >>"$WORK/data.lua"
  log "  variant $FLASH_VARIANT: $FLASH_UNITS units, $count carts holding one each"
}

# Prints the verification as a JSON object with `ok`: exactly $FLASH_UNITS orders (one
# unit each) hold the variant, and its stock is $FLASH_UNITS on hand, all of them
# reserved (the flash sale does not pay), never negative.
verify_flash_sale() {
  psql_bench -v variant="$FLASH_VARIANT" -v units="$FLASH_UNITS" <<'SQL'
SELECT json_build_object(
  'variant_id', x.id,
  'orders', o.orders,
  'units_ordered', o.units,
  'orders_by_status', coalesce(o.by_status, '{}'::json),
  'on_hand', x.on_hand,
  'reserved', x.reserved,
  'ok', o.orders = :units AND o.units = :units AND x.on_hand = :units AND x.reserved = :units
        AND x.on_hand - x.reserved >= 0)
FROM catalog.variants x,
LATERAL (
  SELECT count(DISTINCT ol.order_id) AS orders, coalesce(sum(ol.quantity), 0) AS units,
         (SELECT json_object_agg(status, n) FROM (
            SELECT o2.status, count(*) AS n FROM orders.orders o2
            WHERE o2.id IN (SELECT order_id FROM orders.order_lines WHERE variant_id = x.id)
            GROUP BY o2.status) s) AS by_status
  FROM orders.order_lines ol WHERE ol.variant_id = x.id
) o
WHERE x.id = :'variant';
SQL
}
