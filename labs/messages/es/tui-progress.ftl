# Dónde está una ejecución de comprobaciones: la TUI lo muestra en el panel
# de comprobaciones y `perflab check` en una línea de stderr cuando es una
# terminal. Los segundos van sin decimales.

progress-starting-shop = Arrancando la tienda con tu shop.toml e indexes.sql… { $elapsed } s
progress-warm-up = { $check }: calentamiento (no cuenta) { $elapsed } s de { $expected } s
progress-measuring = { $check }: midiendo { $elapsed } s de ~{ $expected } s
progress-checking = { $check }: comprobando… { $elapsed } s
progress-restoring = Deteniendo la tienda y restaurando lo que cambiaron las comprobaciones… { $elapsed } s
