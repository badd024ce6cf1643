-- GET /api/v1/customers?q=…: free-text search over name, email and phone, a random term each time.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local terms = {}
for term in string.gmatch(os.getenv("BENCH_SEARCH_TERMS") or "wang", "[^,]+") do
  terms[#terms + 1] = term
end
local limit = os.getenv("BENCH_SEARCH_LIMIT") or "50"
local function escape(s)
  return (string.gsub(s, "[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
request = function()
  local term = terms[math.random(#terms)]
  return wrk.format("GET", "/api/v1/customers?limit=" .. limit .. "&q=" .. escape(term), auth_headers)
end
