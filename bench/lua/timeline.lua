-- GET /api/v1/customers/{id}/timeline: the first page of 25 of one customer's 1,000 activities and
-- orders (the customer bench/run made for it, in BENCH_TIMELINE_CUSTOMER).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local path = "/api/v1/customers/" .. os.getenv("BENCH_TIMELINE_CUSTOMER") .. "/timeline?limit=25"
request = function()
  return wrk.format("GET", path, auth_headers)
end
