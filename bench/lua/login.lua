-- POST /api/v1/auth/login with the administrator's credentials (Argon2id verification, a new
-- refresh token row, the last sign-in time).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local body = string.format('{"email":"%s","password":"%s"}',
  os.getenv("BENCH_LOGIN_EMAIL") or "admin@localhost", os.getenv("BENCH_LOGIN_PASSWORD") or "")
local headers = { ["Content-Type"] = "application/json" }
request = function()
  return wrk.format("POST", "/api/v1/auth/login", headers, body)
end
