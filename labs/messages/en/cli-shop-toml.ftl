# shop.toml errors (src/lab/shop_toml.rs): each names the key and the line.
# $key is the dotted key (cache.backend), $line the line (1, 2…).

shop-toml-unreadable = Cannot read { $path }: { $error }.
shop-toml-syntax = shop.toml, line { $line }: not valid TOML ({ $detail }).
shop-toml-unknown-value = shop.toml: `{ $key }`, line { $line }: unknown value `{ $value }`, expected { $expected }.
shop-toml-duration = shop.toml: `{ $key }`, line { $line }: `{ $value }` is not a duration; write it like "30s", "5m" or "1h".
shop-toml-unknown-key = shop.toml: `{ $key }`, line { $line }: no such key; this table has { $expected }.
shop-toml-bad-value = shop.toml: `{ $key }`, line { $line }: invalid value ({ $detail }).
shop-toml-invalid-at = shop.toml, line { $line }: { $reason }.
shop-toml-invalid = shop.toml: { $reason }.

# What follows the error in perflab check and perflab grade.
shop-toml-fix = { $problem } Fix it in shop.toml (or go back to the lab's starting state with perflab reset LAB).
