## metrics (lab 4.1)
check-metrics-target = /metrics reads as Prometheus text; the course's series exist and move under load; 404s counted; { $burst } distinct ids add no series
check-metrics-head = /metrics has { $series } samples; the traffic got { $sent } responses and http_requests_total rose by { $counted }; { $burst } distinct ids added { $added } route values.
check-metrics-status = GET { $path } answered { $status }: Prometheus would have nothing to read.
check-metrics-unparsable = GET { $path } does not read as Prometheus text: { $error }
check-metrics-missing = The series { $name } is missing.
check-metrics-wrong-type = { $name } is a { $found }, not a { $wanted }.
check-metrics-not-counted = The traffic got { $sent } responses, but http_requests_total rose by only { $counted }.
check-metrics-not-observed = The traffic got { $sent } responses, but the latency histogram counted only { $observed }.
check-metrics-no-target-bucket = http_request_duration_seconds has no le="0.2" bucket: "p95 < 200 ms" would be interpolated instead of read.
check-metrics-404-not-counted = { $sent } requests answered 404, but http_requests_total{"{"}status="404"{"}"} rose by only { $counted }.
check-metrics-cardinality = { $burst } requests to distinct ids added { $added } new values of the route label: every id is one more series, and Prometheus keeps every series in memory. The label must be the declared route, not the requested path.
check-metrics-hint = { $mode ->
    [target] Export the series with the declared route as the label (/products/{"{"}id{"}"}, not /products/42) and a 0.2 s bucket.
   *[shop] Watch /metrics while the traffic runs: how many series does http_requests_total have, and what does its route label hold? The [monitoring] settings decide what goes in it.
}
