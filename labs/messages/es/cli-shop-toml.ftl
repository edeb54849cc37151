# Errores de shop.toml (src/lab/shop_toml.rs): cada uno nombra la clave y la
# línea. $key es la clave con puntos (cache.backend), $line la línea (1, 2…).

shop-toml-unreadable = No se puede leer { $path }: { $error }.
shop-toml-syntax = shop.toml, línea { $line }: no es TOML válido ({ $detail }).
shop-toml-unknown-value = shop.toml: `{ $key }`, línea { $line }: valor desconocido `{ $value }`; se espera { $expected }.
shop-toml-duration = shop.toml: `{ $key }`, línea { $line }: `{ $value }` no es una duración; escríbela como "30s", "5m" o "1h".
shop-toml-unknown-key = shop.toml: `{ $key }`, línea { $line }: esa clave no existe; aquí caben { $expected }.
shop-toml-bad-value = shop.toml: `{ $key }`, línea { $line }: valor no válido ({ $detail }).
shop-toml-invalid-at = shop.toml, línea { $line }: { $reason }.
shop-toml-invalid = shop.toml: { $reason }.

# Lo que sigue al error en perflab check y perflab grade.
shop-toml-fix = { $problem } Corrígelo en shop.toml (o vuelve al estado inicial del laboratorio con perflab reset LAB).
