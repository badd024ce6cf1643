-- GET /health/live (or any fixed path, for the nginx baseline): no credentials, no database.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local path = os.getenv("BENCH_PATH") or "/health/live"
request = function()
  return wrk.format("GET", path)
end
