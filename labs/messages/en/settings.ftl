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
setting-cache-fallback-local = a naive in-process cache: no query per hit, but another instance's writes reach it only at the TTL (stale prices).
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

setting-rate-limit-enabled = Rate limiting: too many requests from one caller get 429 (→ on or off).
setting-rate-limit-algorithm = How the limiter counts.
setting-rate-limit-algorithm-gcra = GCRA: a token bucket that refills steadily; exact under concurrency.
setting-rate-limit-algorithm-sliding-log = the course's sliding log, bugs included: one entry per second, so a same-second burst counts once.
setting-rate-limit-store = Where the limiter keeps its counts.
setting-rate-limit-store-memory = this process: each shop instance counts alone.
setting-rate-limit-store-redis = Redis: every instance spends one shared budget.
setting-rate-limit-requests = Requests one caller may send per period (when per_tier is off).
setting-rate-limit-period = The period the budget refills over (← half, → double).
setting-rate-limit-burst = Requests one caller may send at once, before the refill paces them.
setting-rate-limit-key = Whose budget a request spends.
setting-rate-limit-key-user = the token's user; the client's address when anonymous.
setting-rate-limit-key-ip = the client's address, logged in or not.
setting-rate-limit-per-tier = Budgets by user tier (guest, basic, premium, admin) instead of one for all (→ on or off).
setting-rate-limit-tiers-guest = Requests per period for anonymous callers.
setting-rate-limit-tiers-basic = Requests per period for basic users.
setting-rate-limit-tiers-premium = Requests per period for premium users.
setting-rate-limit-tiers-admin = Requests per period for admins.
setting-rate-limit-per-endpoint = Endpoint multipliers (login ×0.1, search ×0.5, orders ×0.3), each with its own count (→ on or off).
setting-rate-limit-on-store-error = What a request gets while the limiter's Redis does not answer.
setting-rate-limit-on-store-error-open = counted in this process until Redis is back: limits hold per instance.
setting-rate-limit-on-store-error-closed = 429 until Redis is back: nobody gets through.

setting-middleware-request-id = X-Request-Id on every response: the client's, or a new one; the request log turns it on too (→ on or off).
setting-middleware-timing = Server-Timing (db, cache, total) and X-Response-Time on every response (→ on or off).
setting-middleware-compression-enabled = Response compression (→ on or off).
setting-middleware-compression-algorithms = The encodings offered (→ turns the selected one on or off).
setting-middleware-compression-algorithms-gzip = gzip: understood by every client.
setting-middleware-compression-algorithms-br = br (Brotli): smaller than gzip at the same speed for text.
setting-middleware-compression-min-bytes = Bodies smaller than this many bytes are sent as they are.
setting-middleware-compression-level = Compression level: 1 is fastest, 9 is smallest.
setting-middleware-request-log-enabled = One log line per request in the shop's log file (→ on or off).
setting-middleware-request-log-format = How each line is written.
setting-middleware-request-log-format-text = text: an access-log line for people; no tool can query it.
setting-middleware-request-log-format-json = JSON: one object per line, one field per fact.
setting-middleware-request-log-headers = Which request headers each line carries.
setting-middleware-request-log-headers-none = none.
setting-middleware-request-log-headers-redacted = all, with tokens and cookies replaced by [redacted].
setting-middleware-request-log-headers-all = all as received: tokens and cookies end up in the log.
setting-monitoring-metrics = GET /metrics on the shop's port, in Prometheus text format (→ on or off).
setting-monitoring-route-label = What the route label of the request series holds.
setting-monitoring-route-label-path = path: the path as requested (/products/42): one series per id, so series grow with traffic.
setting-monitoring-route-label-template = template: the matched route (/products/{"{"}id{"}"}): a fixed number of series.
setting-monitoring-breakdown = Time per part of each request (database, cache, serialisation, compute), summed per route (→ on or off).
setting-reports-top-products = Where GET /reports/top-products reads its numbers.
setting-reports-top-products-live = live: aggregates every order item on each call.
setting-reports-top-products-summary = summary: reads a per-product summary the order writes keep current.
