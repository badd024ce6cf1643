-- Shared by the wrk scripts: the bearer token, the sample of customer ids, per-thread random
-- seeds, and a machine-readable summary line that bench/run parses.

token = os.getenv("BENCH_TOKEN") or ""
auth_headers = { ["Authorization"] = "Bearer " .. token }
json_headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/json",
}

function read_ids()
  local ids = {}
  local path = os.getenv("BENCH_IDS")
  if path then
    for line in io.lines(path) do
      if #line > 0 then ids[#ids + 1] = line end
    end
  end
  return ids
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_no", thread_count)
  thread:set("thread_total", tonumber(os.getenv("BENCH_THREADS") or "1"))
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_no)
  if thread_init then thread_init(args) end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  local unidentified, paid = 0, 0
  for _, t in ipairs(threads) do
    unidentified = unidentified + (tonumber(t:get("unidentified")) or 0)
    paid = paid + (tonumber(t:get("paid")) or 0)
  end
  io.write(string.format(
    "WRK requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f p999_ms=%.3f " ..
    "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d unidentified=%d paid=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000,
    errors.status, errors.connect, errors.read, errors.write, errors.timeout, unidentified, paid))
end
