-- wrk script for a fixed URL: prints p50, p95 and p99 (wrk's table has no p95).
function done(summary, latency, requests)
  io.write(string.format("PERCENTILES p50=%.2fms p95=%.2fms p99=%.2fms\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
