-- wrk script for bench/serve_bench.sh: POSTs one review per request to the predict endpoint.
-- Any answer >= 400 is counted by wrk in summary.errors.status, printed as non2xx below.
local model = os.getenv("FENLEI_BENCH_MODEL") or "model"
local auth = os.getenv("FENLEI_BENCH_AUTH") or ""  -- "Bearer TOKEN" for a server with tokens
local reviews = {
  "房间很干净，服务也很周到，下次还会再来",
  "太吵了，隔音很差，不会再住了",
  "位置不错，离地铁站很近，早餐一般",
  "The room was clean and the staff were friendly.",
  "前台态度冷淡，等了半个小时才办好入住",
  "性价比很高，推荐给大家",
}
local bodies = {}
for i, text in ipairs(reviews) do
  bodies[i] = '{"instances": ["' .. text .. '"]}'
end

local counter = 0
request = function()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  local headers = {["Content-Type"] = "application/json"}
  if auth ~= "" then headers["Authorization"] = auth end
  return wrk.format("POST", "/v1/models/" .. model .. ":predict", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format("requests=%d errors(socket)=%d non2xx=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
