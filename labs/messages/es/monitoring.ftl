## perflab serve: cómo apuntar Prometheus a la tienda (laboratorio 4.1)
serve-metrics = { $on ->
    [yes] metrics     { $url }/metrics
   *[no] metrics     apagado (monitoring.metrics = true en shop.toml lo enciende)
}
    prometheus  pon targets: ['{ $target }'] en fixtures/monitoring/prometheus.yml y ejecuta `prometheus --config.file=fixtures/monitoring/prometheus.yml`
