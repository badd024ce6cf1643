-- POST /api/v1/orders (two variant lines) and then POST /api/v1/orders/{id}/pay, over and over.
-- Every order a thread creates is paid by the thread's next free request: a thread keeps a queue
-- of created orders, and a request pays the oldest one waiting or, when none waits, creates the
-- next. Creations and payments therefore alternate; `paid` in the summary counts the pairs
-- completed. The variants (BENCH_VARIANTS, two ids) and the buyers (BENCH_BUYERS_FILE, one id a
-- line, each order's buyer drawn at random) come from bench/run, which creates them through the
-- API with stock for every order of the run. With BENCH_COUPON_CODE set (coupon_redeem_pay),
-- every order takes that coupon code and its payment redeems it.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local variants = {}
for id in string.gmatch(os.getenv("BENCH_VARIANTS") or "", "[^,]+") do variants[#variants + 1] = id end
local buyers = {}
for line in io.lines(os.getenv("BENCH_BUYERS_FILE")) do
  if #line > 0 then buyers[#buyers + 1] = line end
end
local waiting = {}   -- ids of created orders not paid yet
local counter = 0
paid = 0
unidentified = 0

local create_body = '{"customer_id":"%s","currency":"CNY","shipping":1000,"lines":[' ..
  '{"variant_id":"' .. (variants[1] or "") .. '","quantity":1},' ..
  '{"variant_id":"' .. (variants[2] or "") .. '","quantity":2}],"channel":"web"' ..
  (os.getenv("BENCH_COUPON_CODE") and (',"coupon_code":"' .. os.getenv("BENCH_COUPON_CODE") .. '"') or "") .. '}'

request = function()
  local id = table.remove(waiting, 1)
  if id then
    counter = counter + 1
    local body = string.format('{"method":"wechat_pay","reference":"bench-%d-%d-%d"}',
      os.time(), thread_no, counter)
    return wrk.format("POST", "/api/v1/orders/" .. id .. "/pay", json_headers, body)
  end
  local buyer = buyers[math.random(#buyers)]
  return wrk.format("POST", "/api/v1/orders", json_headers, string.format(create_body, buyer))
end

response = function(status, headers, body)
  if status == 201 then
    local id = body and string.match(body, '"id"%s*:%s*"([0-9a-f%-]+)"')
    if id then waiting[#waiting + 1] = id else unidentified = unidentified + 1 end
  elseif status == 200 then
    paid = paid + 1
    wrk.thread:set("paid", paid)
  else
    unidentified = unidentified + 1
  end
  wrk.thread:set("unidentified", unidentified)
end
