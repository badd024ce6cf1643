-- GET /api/v1/customers/{id}, a random id from the sample on every request.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids
function thread_init() ids = read_ids() end
request = function()
  return wrk.format("GET", "/api/v1/customers/" .. ids[math.random(#ids)], auth_headers)
end
