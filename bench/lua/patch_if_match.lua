-- PATCH /api/v1/customers/{id} with If-Match. Each connection works on its own customer: a
-- thread holds as many customers from the sample as it has connections, each one in flight on
-- at most one connection at a time, and keeps the ETag every answer brings back. A customer
-- whose version is not known yet is first read with GET (a handful of requests per run).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local free = {}      -- customers ready for their next request
local version = {}   -- id -> last ETag seen
local counter = 0
unidentified = 0

function thread_init()
  local ids = read_ids()
  local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "1")
  local per_thread = math.ceil(connections / thread_total) + 2
  local first = (thread_no - 1) * per_thread
  for i = 1, per_thread do
    local id = ids[first + i]
    if id then free[#free + 1] = id end
  end
end

request = function()
  local id = table.remove(free)
  if id == nil then
    -- Never expected: every connection already holds a customer.
    return wrk.format("GET", "/health/live")
  end
  local etag = version[id]
  if etag == nil then
    return wrk.format("GET", "/api/v1/customers/" .. id, auth_headers)
  end
  counter = counter + 1
  local headers = {
    ["Authorization"] = auth_headers["Authorization"],
    ["Content-Type"] = "application/json",
    ["If-Match"] = etag,
  }
  local body = string.format('{"notes":"bench patch %d.%d.%d"}', os.time(), thread_no, counter)
  return wrk.format("PATCH", "/api/v1/customers/" .. id, headers, body)
end

response = function(status, headers, body)
  local id = body and string.match(body, '"id"%s*:%s*"([0-9a-f%-]+)"')
  if id == nil and body then
    -- A problem+json answer names the customer's path in `instance`.
    id = string.match(body, '/customers/([0-9a-f%-]+)')
  end
  if id == nil then
    if not (body and string.match(body, '"status"%s*:%s*"ok"')) then
      unidentified = unidentified + 1
      wrk.thread:set("unidentified", unidentified)
    end
    return
  end
  local etag = headers["ETag"] or headers["etag"] or headers["Etag"]
  if etag then version[id] = etag else version[id] = nil end
  free[#free + 1] = id
end
