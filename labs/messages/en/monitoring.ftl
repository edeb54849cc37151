## perflab serve: how to point Prometheus at the shop (lab 4.1)
serve-metrics = { $on ->
    [yes] metrics     { $url }/metrics
   *[no] metrics     off (monitoring.metrics = true in shop.toml turns it on)
}
    prometheus  set targets: ['{ $target }'] in fixtures/monitoring/prometheus.yml and run `prometheus --config.file=fixtures/monitoring/prometheus.yml`
