-- GET /api/v1/customers with a filter: the first keyset page of 50, the API's default order.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local path = "/api/v1/customers?" .. (os.getenv("BENCH_LIST_QUERY") or "lifecycle_stage=customer&limit=50")
request = function()
  return wrk.format("GET", path, auth_headers)
end
