-- wrk script: a realistic mix of group-rule allocations across accounts:
-- four of five requests set a rule on a small group (200), one of five on a
-- group larger than the account's seats (409). Deterministic order.
local paths = {}
local bodies = {
  '{"userBundleCodes":["IDU","RPADEVPRONU"],"useExternalLicense":false}',
  '{"userBundleCodes":["ACNU"],"useExternalLicense":false}',
  '{"userBundleCodes":["PMD","TSTNU","CTZDEVNU"],"useExternalLicense":false}',
}
local n = 0
for i = 0, 999 do
  local account = "bench-" .. (i % 4)
  local group
  if i % 5 == 4 then group = "large-" .. (i % 50) else group = "small-" .. (i % 200) end
  paths[#paths + 1] = "/lease_/api/account/" .. account .. "/user-license/group/" .. group
end

wrk.method = "PUT"
-- BENCH_TOKEN: a token from the token endpoint; by default an opaque one,
-- which lenient mode accepts without a signature check.
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "bench-token")
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n + 1
  local path = paths[(n % #paths) + 1]
  local body = bodies[(n % #bodies) + 1]
  return wrk.format("PUT", path, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("latency_p50_us %d\nlatency_p99_us %d\n", latency:percentile(50), latency:percentile(99)))
end
