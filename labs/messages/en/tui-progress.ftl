# Where a checks run stands: the TUI shows it in the checks pane and
# `perflab check` on one stderr line when it is a terminal. Seconds are
# whole numbers.

progress-starting-shop = Starting the shop with your shop.toml and indexes.sql… { $elapsed } s
progress-warm-up = { $check }: warm-up (not counted) { $elapsed } s of { $expected } s
progress-measuring = { $check }: measuring { $elapsed } s of ~{ $expected } s
progress-checking = { $check }: checking… { $elapsed } s
progress-restoring = Stopping the shop and restoring what the checks changed… { $elapsed } s
