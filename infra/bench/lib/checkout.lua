-- Checkout flows for wrk, included by scenarios with `-- @lib: checkout`. A scenario sets
-- `checkout_mode` and `checkout_cfg` (a table of bench_data written by its prepare step)
-- and leaves request/on_response/bench_init/bench_figures to this file.
--
-- wrk's Lua cannot tell which connection a response arrived on, so the flows are kept per
-- customer instead: every request carries `X-Request-Id: <customer>.<seq>`, which the
-- server echoes, and a customer has at most one request in flight. Each wrk thread owns a
-- share of the bench customers, more of them than it has connections, so an idle one is
-- there whenever wrk asks for a request.
--
-- Modes:
--   cycle       a customer puts 1-3 variants of different vendors in the cart (one PUT
--               each; the last answer carries the quote), checks out with the total that
--               quote showed and a fresh Idempotency-Key, then starts a new cart;
--   cycle_pay   the same, and pays each order with the test gateway before the next cart;
--   flash       customers whose carts already hold the flash-sale unit check out until
--               `attempts` checkouts have been answered (a sold-out customer tries again
--               with a new key, a customer who got an order stops); then each thread
--               writes `<done_prefix><thread>` and stops, and run.sh ends wrk.
--
-- Only the checkout answers are timed here (wrk's own latency covers every request); a
-- checkout that is not a 201 is counted under its problem `code` (quote_changed,
-- insufficient_stock, ...), never as a success.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local timespec = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1e6 + tonumber(timespec.tv_nsec) / 1e3
end

-- A non-remote postal code: the same one the cart page quotes with when it has none, so
-- the total the PUT answer showed is the total checkout computes.
local ADDRESS = '{"recipient":"김벤치","phone":"010-1234-5678","postal_code":"21554",' ..
  '"road_address":"인천광역시 남동구 정각로 29","detail":"101호"}'
local BUCKET_US = 100 -- latency histogram resolution

-- per-thread state --------------------------------------------------------------------

local mine = {}   -- this thread's customers
local idle = {}   -- indexes into `mine` with no request in flight
local seq = 0
local budget = 0  -- flash: checkout attempts this thread makes
local salt = ""
-- wrk calls request() once on the first thread's state before any connection opens, only
-- to count the requests it returns; that one is never sent, so it must not be a checkout.
local probed = true

-- Read by done() through thread:get (flat tables only).
co_issued = 0     -- checkouts sent
co_checkouts = 0  -- checkout answers
co_created = 0    -- of which 201
co_paid = 0
co_fillers = 0    -- GET /healthz sent while no customer was free (flash tail)
co_outcomes = {}  -- "created" or the problem code -> n
co_hist = {}      -- checkout latency: bucket (BUCKET_US) -> n
co_max_us = 0
co_first_us = 0   -- first checkout sent
co_last_us = 0    -- last checkout answered
co_done = false

local function new_cart(c)
  local vendors = checkout_cfg.vendors
  local k = math.min(math.random(1, 3), #vendors)
  local chosen, lines = {}, {}
  while #lines < k do
    local v = math.random(#vendors)
    if not chosen[v] then
      chosen[v] = true
      table.insert(lines, pick(vendors[v]))
    end
  end
  c.lines, c.i, c.step = lines, 1, "fill"
end

function bench_init(args)
  local threads = checkout_cfg.threads
  for i, token in ipairs(checkout_cfg.customers) do
    if (i - 1) % threads == thread_id - 1 then
      table.insert(mine, {
        auth = "Bearer " .. token,
        step = checkout_mode == "flash" and "checkout" or "fill",
        total = checkout_cfg.expected_total,
      })
      table.insert(idle, #mine)
    end
  end
  for _, c in ipairs(mine) do
    if c.step == "fill" then new_cart(c) end
  end
  if checkout_mode == "flash" then
    budget = math.floor(checkout_cfg.attempts / threads)
    if thread_id == 1 then budget = budget + checkout_cfg.attempts % threads end
  end
  salt = string.format("%x%x", os.time(), math.random(0, 0x7fffffff))
  probed = thread_id ~= 1
end

local filler

function request()
  if not probed then
    probed = true
    return wrk.format("GET", "/healthz")
  end
  local n = #idle
  if n == 0 or (checkout_mode == "flash" and co_issued >= budget) then
    co_fillers = co_fillers + 1
    filler = filler or wrk.format("GET", "/healthz")
    return filler
  end
  local idx = idle[n]
  idle[n] = nil
  local c = mine[idx]
  seq = seq + 1
  local headers = {
    ["Authorization"] = c.auth,
    ["Content-Type"] = "application/json",
    ["X-Request-Id"] = idx .. "." .. seq,
  }
  c.sent = now_us()
  if c.step == "fill" then
    return wrk.format("PUT", "/v1/carts/current/lines/" .. c.lines[c.i], headers, '{"quantity":1}')
  elseif c.step == "pay" then
    return wrk.format("POST", "/v1/payments/test/orders/" .. c.order .. "/pay", headers)
  end
  if co_first_us == 0 then co_first_us = c.sent end
  co_issued = co_issued + 1
  headers["Idempotency-Key"] = string.format("bench-%s-%d-%d-%d", salt, thread_id, idx, seq)
  return wrk.format("POST", "/v1/checkout", headers,
    '{"address":' .. ADDRESS .. ',"expected_total":' .. c.total .. '}')
end
local function checkout_answered(c, status, body, at)
  local us = at - c.sent
  local b = math.floor(us / BUCKET_US)
  co_hist[b] = (co_hist[b] or 0) + 1
  if us > co_max_us then co_max_us = us end
  co_last_us = at
  co_checkouts = co_checkouts + 1
  local outcome = "created"
  if status ~= 201 then
    outcome = (body and body:match('"code"%s*:%s*"([%w_]+)"')) or ("status_" .. status)
  else
    co_created = co_created + 1
  end
  co_outcomes[outcome] = (co_outcomes[outcome] or 0) + 1
  return status == 201
end

function on_response(status, headers, body)
  local rid = headers["x-request-id"] or headers["X-Request-Id"]
  local idx = rid and tonumber(rid:match("^(%d+)%."))
  local c = idx and mine[idx]
  if not c then return end -- a filler
  local at = now_us()
  local free = true
  if c.step == "fill" then
    if status == 200 then
      if c.i < #c.lines then
        c.i = c.i + 1
      else
        c.total = tonumber(body:match('"grand_total"%s*:%s*(%-?%d+)'))
        c.step = c.total and "checkout" or "fill"
      end
    end
  elseif c.step == "checkout" then
    local created = checkout_answered(c, status, body, at)
    if checkout_mode == "flash" then
      -- A customer with an order has an empty cart: done. Sold out: try again.
      free = not created
    elseif created and checkout_mode == "cycle_pay" then
      c.order = body:match('"order_id"%s*:%s*"([%x%-]+)"')
      c.step = c.order and "pay" or "fill"
      if not c.order then new_cart(c) end
    elseif created then
      new_cart(c)
    else
      -- The cart still holds its lines: set the last one again for a fresh quote.
      c.step = "fill"
    end
  elseif c.step == "pay" then
    if status == 200 then co_paid = co_paid + 1 end
    new_cart(c)
  end
  if free then table.insert(idle, idx) end
  if checkout_mode == "flash" and not co_done and co_checkouts >= budget then
    co_done = true
    local f = io.open(checkout_cfg.done_prefix .. thread_id, "w")
    if f then f:close() end
    wrk.thread:stop()
  end
end

-- main state: the figures for BENCH_JSON ---------------------------------------------------

local function percentile(hist, total, p)
  if total == 0 then return 0 end
  local keys = {}
  for k in pairs(hist) do table.insert(keys, k) end
  table.sort(keys)
  local want, seen = math.ceil(total * p / 100), 0
  for _, k in ipairs(keys) do
    seen = seen + hist[k]
    if seen >= want then return (k + 1) * BUCKET_US / 1000 end -- the bucket's upper edge
  end
  return (keys[#keys] + 1) * BUCKET_US / 1000
end

function bench_figures(threads, summary)
  local n, created, paid, fillers, max_us = 0, 0, 0, 0, 0
  local first, last = math.huge, 0
  local hist, outcomes = {}, {}
  for _, t in ipairs(threads) do
    n = n + (t:get("co_checkouts") or 0)
    created = created + (t:get("co_created") or 0)
    paid = paid + (t:get("co_paid") or 0)
    fillers = fillers + (t:get("co_fillers") or 0)
    max_us = math.max(max_us, t:get("co_max_us") or 0)
    local f, l = t:get("co_first_us") or 0, t:get("co_last_us") or 0
    if f > 0 and f < first then first = f end
    if l > last then last = l end
    for k, v in pairs(t:get("co_hist") or {}) do hist[k] = (hist[k] or 0) + v end
    for k, v in pairs(t:get("co_outcomes") or {}) do outcomes[k] = (outcomes[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(outcomes) do table.insert(parts, string.format('"%s":%d', k, v)) end
  table.sort(parts)
  local wrk_s = summary.duration / 1e6
  local span_s = (last > first) and (last - first) / 1e6 or 0
  -- The cycle modes run for wrk's duration; a flash sale ends when its attempts are
  -- answered, so its rate is over its own span (first checkout sent to last answered).
  local secs = checkout_mode == "flash" and span_s or wrk_s
  return string.format(
    '{"mode":"%s","checkouts":%d,"created":%d,"paid":%d,"fillers":%d,"seconds":%.3f,' ..
    '"checkouts_per_s":%.1f,"created_per_s":%.1f,"outcomes":{%s},' ..
    '"latency_ms":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f}}',
    checkout_mode, n, created, paid, fillers, secs,
    secs > 0 and n / secs or 0, secs > 0 and created / secs or 0, table.concat(parts, ","),
    percentile(hist, n, 50), percentile(hist, n, 90), percentile(hist, n, 99), max_us / 1000)
end
