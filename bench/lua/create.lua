-- POST /api/v1/customers: a new customer with a unique email and phone on every request.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local counter = 0
local run = os.time()
request = function()
  counter = counter + 1
  local n = string.format("%d%02d%07d", run % 100000, thread_no, counter)
  local body = string.format(
    '{"name":"压测客户 %s","email":"load.%s@bench.example.com","phone":"+86 139 %s",' ..
    '"tags":["vip","新客"],"lifecycle_stage":"lead","source":"website",' ..
    '"address":{"country":"CN","province":"上海市","city":"上海市","district":"浦东新区","street":"世纪大道 100 号","postal_code":"200120"},' ..
    '"marketing_consent":{"opted_in":true,"channel":"web"}}',
    n, n, n)
  return wrk.format("POST", "/api/v1/customers", json_headers, body)
end
