-- Shared by every scenario. run.sh builds each wrk script as
--   data.lua (bench_data: ids collected from the bench database) .. this file .. scenario
-- (with a scenario's `-- @lib:` file before the scenario) so a scenario only defines
-- `request()` (and optionally `on_response(status, headers, body)`, `bench_init(args)`,
-- `expected_non2xx(status, body)` or `bench_figures(threads, summary)`).
--
-- Counts non-2xx responses in every thread (wrk runs one Lua state per thread) and, when
-- the run ends, prints one line `BENCH_JSON {...}` that run.sh parses:
--   requests, duration_s, rps, bytes, latency_ms {p50,p90,p95,p99,max,mean,stdev},
--   non2xx, statuses {"404": n, ...} (non-2xx only), errors {connect,read,write,status,timeout}
--   and `figures`, the JSON object `bench_figures(threads, summary)` returns, when the scenario has one.
-- A non-2xx answer for which `expected_non2xx(status, body)` is true (a flash sale's
-- "sold out") is counted in `statuses` but not in `non2xx`, which fails the run.
--
-- A scenario that defines neither `on_response` nor `expected_non2xx` never sees its
-- answers in Lua: wrk then copies no body or headers into Lua (for a kilobyte page that
-- copy costs wrk more than the request, CPU the server under test then lacks), and its
-- non-2xx count is wrk's own count of answers with a status of 400 or more
-- (`statuses` then has one entry, "4xx/5xx"). The ceilings are measured the same way.

-- main Lua state (setup/done) ------------------------------------------------------

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

local function fmt_ms(us)
  return string.format("%.3f", (us or 0) / 1000)
end

local function reads_answers()
  return on_response ~= nil or expected_non2xx ~= nil
end

function done(summary, latency, requests)
  local non2xx, statuses = 0, {}
  if not reads_answers() and summary.errors.status > 0 then
    non2xx = summary.errors.status
    statuses["4xx/5xx"] = summary.errors.status
  end
  for _, t in ipairs(threads) do
    non2xx = non2xx + (t:get("non2xx") or 0)
    local s = t:get("statuses")
    if type(s) == "table" then
      for code, n in pairs(s) do
        statuses[code] = (statuses[code] or 0) + n
      end
    end
  end
  local parts = {}
  for code, n in pairs(statuses) do
    table.insert(parts, string.format('"%s":%d', tostring(code), n))
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  local figures = bench_figures and (',"figures":' .. bench_figures(threads, summary)) or ""
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,' ..
    '"latency_ms":{"p50":%s,"p90":%s,"p95":%s,"p99":%s,"max":%s,"mean":%s,"stdev":%s},' ..
    '"non2xx":%d,"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}%s}\n',
    summary.requests, secs, secs > 0 and summary.requests / secs or 0, summary.bytes,
    fmt_ms(latency:percentile(50)), fmt_ms(latency:percentile(90)),
    fmt_ms(latency:percentile(95)), fmt_ms(latency:percentile(99)), fmt_ms(latency.max),
    fmt_ms(latency.mean), fmt_ms(latency.stdev),
    non2xx, table.concat(parts, ","),
    e.connect, e.read, e.write, e.status, e.timeout, figures))
end

-- per-thread Lua states (init/request/response) -------------------------------------

thread_id = 0 -- set by setup() before init() runs
non2xx = 0
statuses = {}

function init(args)
  -- Every thread has its own state; seed differently or they replay the same sequence.
  math.randomseed(os.time() + 7919 * thread_id)
  for _ = 1, 10 do math.random() end
  if bench_init then bench_init(args) end
  -- wrk asks after init() whether to hand answers to Lua.
  if not reads_answers() then response = nil end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    if not (expected_non2xx and expected_non2xx(status, body)) then non2xx = non2xx + 1 end
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
  end
  if on_response then on_response(status, headers, body) end
end

-- helpers for scenarios ----------------------------------------------------------------

-- A random element of a non-empty list.
function pick(list)
  return list[math.random(#list)]
end

function get(path)
  return wrk.format("GET", path)
end
