-- wrk script for GET /__admin/health: only reports the latency percentiles.
done = function(summary, latency, requests)
  io.write(string.format("latency_p50_us %d\nlatency_p99_us %d\n", latency:percentile(50), latency:percentile(99)))
end
