# What each of the shop's settings (shop.toml) means, for the TUI's
# Settings screen (src/tui/switches.rs, src/tui/ui/settings.rs). The key
# comes from the setting's path: cache.backend → setting-cache-backend, and
# each value adds its own: setting-cache-backend-redis. A new setting of the
# shop needs its help here (and its values') in both languages: a test fails
# when one is missing. One line each: the screen has two.

setting-cache-backend = Where cached responses live.
setting-cache-backend-off = no cache: every request reads the database.
setting-cache-backend-memory = this process's memory: fast, but every shop instance has its own.
setting-cache-backend-redis = Redis, shared by every instance; while it is down, cache.fallback decides.

setting-cache-strategy = How the cache is filled.
setting-cache-strategy-cache-aside = cache-aside: readers fill the cache on a miss.
setting-cache-strategy-write-through = write-through: writers also put the new value in the cache.

setting-cache-ttl = How long an entry lives in the cache (← half, → double).

setting-cache-endpoints = Which routes are cached (→ turns the selected one on or off).
setting-cache-endpoints-product-detail = GET /products/{"{"}id{"}"}: a product's detail.
setting-cache-endpoints-product-list = GET /products: the listing's pages.
setting-cache-endpoints-categories = GET /categories: the categories with their product counts.
setting-cache-endpoints-search = GET /products/search: the search.

setting-cache-invalidation = What a write does to the entries it makes stale.
setting-cache-invalidation-on-write = invalidate on write: no reader sees the old value after the write.
setting-cache-invalidation-ttl-only = nothing: they live out their TTL and reads go stale (lab 1.4's bug).

setting-cache-key-scheme = How a request becomes a cache key.
setting-cache-key-scheme-canonical = canonical: route and sorted parameters; every instance shares hits.
setting-cache-key-scheme-process-hash = per-process hash(), the course's bug: instances never share entries.

setting-cache-fallback = What answers a cached route while Redis does not.
setting-cache-fallback-memory = the process's in-memory cache: fast, but hits are no longer shared.
setting-cache-fallback-database = no cache: the database answers every request (X-Cache: BYPASS).
setting-cache-fallback-none = 503 until Redis is back: the naive code the course starts from.

setting-database-pool-size = The shop's maximum connections to PostgreSQL (the course's target: fewer than 20).
setting-database-acquire-timeout = How long a request waits for a free connection before answering 503.
setting-database-loading = How GET /orders/{"{"}id{"}"} loads its items' products.
setting-database-loading-lazy = lazy: one query per order item (N+1: 2 + N queries).
setting-database-loading-eager = eager: the items joined with their products (2 queries).

setting-export-mode = How GET /products/export sends the whole catalog.
setting-export-mode-buffered = buffered: builds the whole catalog in memory before sending it.
setting-export-mode-streamed = streamed: sends rows as the database yields them.
