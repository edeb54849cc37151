## metrics (laboratorio 4.1)
check-metrics-target = /metrics se lee como texto de Prometheus; las series del curso existen y se mueven con la carga; 404 contados; { $burst } ids distintos no añaden series
check-metrics-head = /metrics tiene { $series } muestras; el tráfico recibió { $sent } respuestas y http_requests_total subió { $counted }; { $burst } ids distintos añadieron { $added } valores de route.
check-metrics-status = GET { $path } respondió { $status }: Prometheus no tendría nada que leer.
check-metrics-unparsable = GET { $path } no se lee como texto de Prometheus: { $error }
check-metrics-missing = Falta la serie { $name }.
check-metrics-wrong-type = { $name } es de tipo { $found }, no { $wanted }.
check-metrics-not-counted = El tráfico recibió { $sent } respuestas, pero http_requests_total solo subió { $counted }.
check-metrics-not-observed = El tráfico recibió { $sent } respuestas, pero el histograma de latencia solo contó { $observed }.
check-metrics-no-target-bucket = http_request_duration_seconds no tiene un bucket le="0.2": «p95 < 200 ms» se tendría que interpolar en vez de leerse.
check-metrics-404-not-counted = Se enviaron { $sent } peticiones que respondieron 404, pero http_requests_total{"{"}status="404"{"}"} solo subió { $counted }.
check-metrics-cardinality = { $burst } peticiones a ids distintos añadieron { $added } valores nuevos de la etiqueta route: cada id es una serie más, y Prometheus guarda cada serie en memoria. La etiqueta debe ser la ruta declarada, no la ruta pedida.
check-metrics-hint = { $mode ->
    [target] Exporta las series con la ruta declarada como etiqueta (/products/{"{"}id{"}"}, no /products/42) y un bucket de 0.2 s.
   *[shop] Mira /metrics mientras corre el tráfico: ¿cuántas series tiene http_requests_total y qué dice su etiqueta route? Los ajustes de [monitoring] deciden qué va en ella.
}
