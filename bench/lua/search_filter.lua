-- POST /api/v1/customers/search: three indexed conditions (stage, city, tag), a page of 50,
-- with the values drawn at random from the data's most common ones each time.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local stages = { "customer", "prospect", "lead" }
local cities = { "上海市", "北京市", "广州市", "深圳市" }
local tags = { "vip", "新客", "回头客" }
request = function()
  local body = string.format(
    '{"filter":{"and":[{"field":"lifecycle_stage","op":"eq","value":"%s"},' ..
    '{"field":"address.city","op":"eq","value":"%s"},' ..
    '{"field":"tags","op":"contains","value":"%s"}]},"limit":50}',
    stages[math.random(#stages)], cities[math.random(#cities)], tags[math.random(#tags)])
  return wrk.format("POST", "/api/v1/customers/search", json_headers, body)
end
