# Messages of each check kind (src/check/<kind>.rs): the target in words
# (…-target…) and what the student is told. Measured values come with their
# unit already ("4.49 ms", "98.8 %", "844 req/s"). $mode is "shop" (perflab's
# shop: speak of shop.toml) or "target" (another API, with --target URL: speak
# of what the API does, never of perflab's settings). $target is the target in
# words; $what, the traffic's paths ("GET /products/{id}").

## baseline (lab 1.1)
check-baseline-target = cache off, ≥ { $min } requests on each profile ({ $profiles })
check-baseline-profile = { $name }: { $requests } requests, p50 { $p50 } / p95 { $p95 } / p99 { $p99 }, { $rps }
check-baseline-measured = Baseline measured with the cache off: { $profiles }. The labs that follow compare with it. Target met.
check-baseline-too-few = { $mode ->
    [target] Too few requests on { $short } (at least { $min }): { $profiles }. Is the API failing or very slow? Look at its /health and check again on a quiet machine.
   *[shop] Too few requests on { $short } (at least { $min }): { $profiles }. Is the shop failing or very slow? Look at /health and check again on a quiet machine.
}
check-baseline-kept = { $mode ->
    [target] The baseline is already measured ({ $p95 }); with the cache on it is not measured again.
   *[shop] Your baseline is already measured ({ $p95 }); with the cache on it is not measured again. To redo it, set cache.backend = "off" in shop.toml and check again.
}
check-baseline-cache-on = The cache is on (cache.backend = "{ $backend }"): a baseline measured through a cache measures the cache, not your API. Set cache.backend = "off" in shop.toml and check again.
check-baseline-hits = { $mode ->
    [target] The API answered X-Cache: HIT when GET { $path } was requested twice: its cache is on, and a baseline measured through a cache measures the cache, not the API. Measure the baseline with the API's cache off (every answer MISS or BYPASS).
   *[shop] The shop answered X-Cache: HIT when GET { $path } was requested twice: a cache is on, and a baseline measured through a cache measures the cache, not your API. Set cache.backend = "off" in shop.toml and check again.
}

## latency
check-latency-target-p95 = p95 < { $p95 }
# $factor: 2 for "p95 ≤ half the baseline's".
check-latency-target-relative = p95 < { $bound } ({ $factor ->
    [2] half
   *[other] 1/{ $factor } of
} your baseline's { $base })
check-latency-target-relative-unknown = p95 ≤ { $factor ->
    [2] half
   *[other] 1/{ $factor } of
} your baseline's
check-latency-target-measured = p95 measured
check-latency-target-p99 = p99 < { $p99 }
check-latency-target-rps = ≥ { $rps }
check-latency-target-requests = ≥ { $count } requests
check-latency-head = p95 was { $p95 } (p99 { $p99 }, { $rps }, { $non2xx } non-2xx) on { $what } (target { $target }).
check-latency-paths = p95 per path: { $paths }.
check-latency-slowest = Slowest: { $path } (p95 { $p95 }).
check-latency-errors = { $mode ->
    [target] Too many non-2xx answers: look at the API's status codes (429s? 503s?) before latency.
   *[shop] Too many non-2xx answers: look at the status codes (429s? 503s from the connection pool?) before latency.
}
check-latency-few = { $mode ->
    [target] Too few requests for a reliable measurement: is the API slow to answer or failing? Look at its /health.
   *[shop] Too few requests for a reliable measurement: is the shop slow to answer or failing? Look at /health.
}
check-latency-rps = { $mode ->
    [target] Throughput is low: is the API waiting on database connections, or on the database itself?
   *[shop] Throughput is low: is the shop waiting on pool connections (database.pool_size) or the database?
}
check-latency-slow = { $mode ->
    [target] Look at its queries' plans (EXPLAIN ANALYZE: a Seq Scan?), the cache (X-Cache) and queries per request (X-Query-Count).
   *[shop] Look at the query's plan (perflab explain with the lab, or the plan panel of the TUI dashboard: a Seq Scan?), the cache (X-Cache) and queries per request (X-Query-Count).
}

## hit_ratio
check-hit-ratio-target = hit ratio ≥ { $min }
check-hit-ratio-target-writes = hit ratio ≥ { $min } with { $share } writes
check-hit-ratio-no-header = None of the { $responses } answers on { $what } carried an X-Cache header (target { $target }): without it there are no hits to count. The API contract asks for X-Cache: HIT, MISS or BYPASS on every cacheable route.
check-hit-ratio-no-lookup = { $mode ->
    [target] No answer on { $what } went through the cache ({ $bypasses } X-Cache: BYPASS; target { $target }): the API does not cache this route.
   *[shop] The cache saw no lookup on { $what } ({ $bypasses } X-Cache: BYPASS; target { $target }): the route is not cached. Check cache.backend and cache.endpoints in shop.toml.
}
check-hit-ratio-head = Hit ratio was { $ratio } over { $lookups } lookups on { $what } ({ $hits } X-Cache: HIT, { $misses } MISS, after a { $warmup } warm-up that does not count; target { $target }).
check-hit-ratio-head-writes = Hit ratio was { $ratio } over { $lookups } lookups on { $what } with { $writes } price writes ({ $share } of requests) ({ $hits } X-Cache: HIT, { $misses } MISS, after a { $warmup } warm-up that does not count; target { $target }). Misses per write: { $per_write } (every MISS over the writes, the long tail's that would miss without writes too: compare it with another strategy at the same rate).
check-hit-ratio-hint = { $mode ->
    [target] A TTL too short for the rate of requests? Keys that change per request?
   *[shop] A TTL too short for the rate of requests (cache.ttl)? Keys that change per request? Look at GET /cache/stats on the control API.
}
check-hit-ratio-hint-writes = { $mode ->
    [target] Does each write retire more than it changed (the whole cache instead of the product's entry)? A TTL too short?
   *[shop] Does each write retire more than it changed (the whole cache instead of the product's entry)? A TTL too short (cache.ttl)? Look at GET /cache/stats on the control API.
}

## headers
check-headers-target-require = carries { $headers }
check-headers-target-expect = request { $request }: { $header } { $wanted }
check-headers-ok = GET { $path } carries the expected headers ({ $target }).
check-headers-missing = On request { $request } to GET { $path }, the { $header } header is missing (target { $target }).
check-headers-wrong = On request { $request } to GET { $path }, { $header } was "{ $seen }" (expected { $wanted }; target { $target }).
check-headers-hint = { $mode ->
    [target] Does the API cache this route, and say so in the X-Cache header of every answer?
   *[shop] Is the route in cache.endpoints and the cache on (cache.backend)?
}

## health
check-health-ok = GET { $path } answers { $status } as expected: { $target }.
check-health-head = GET { $path } answered { $status } without what was expected ({ $target }): { $list }.
check-health-mismatch = { $field }: "{ $seen }" (wanted "{ $wanted }")
check-health-missing = { $field } is missing (wanted "{ $wanted }")
check-health-hint-cache = { $mode ->
    [target] Connect the API to Redis: its /health must say the cache is Redis and that it answers.
   *[shop] Connect the shop to Redis and set cache.backend = "redis" in shop.toml (lab 1.2); `perflab doctor` says whether Redis answers, and where.
}
check-health-hint = { $mode ->
    [target] Read the API's whole /health answer: it says which service is missing.
   *[shop] Read the whole /health answer and run `perflab doctor` to see which service is missing.
}

check-health-unavailable = { $mode ->
    [target] GET { $path } answered { $status }: the API says it cannot serve (target { $target }). Its /health says which service it lacks.
   *[shop] GET { $path } answered { $status }: the shop says it cannot serve (target { $target }). Does its database answer? `perflab doctor` says.
}

## stale_reads
check-stale-target = stale reads ≤ { $max }
check-stale-head = { $stale } stale reads out of { $reads } on GET /products/{ $product } during { $writes } writes (target { $target }).
check-stale-hint = { $mode ->
    [target] Each write must retire or rewrite the cached entry before it answers (invalidate on write, or write-through), not leave it to live out its TTL.
   *[shop] Each write must retire or rewrite the cached entry before it answers: cache.invalidation = "on-write" in shop.toml (or strategy = "write-through").
}

## shared_keys (lab 1.5; A is the API measured, B the second instance)
check-shared-target = hits shared across instances, 0 stale listing reads
check-shared-ok = Both instances share hits and no listing read was stale (A = { $a }, B = { $b }; target: { $target }).
check-shared-not-shared = GET { $path } on B answered X-Cache: { $b } right after A served it ({ $a })
check-shared-other-body = GET { $path } on B answered X-Cache: { $b } with another body than A's (an entry of B's own, not A's)
check-shared-stale = GET { $path } on { $instance } showed price { $seen } instead of { $wanted } after the write
check-shared-head = { $count ->
    [one] 1 failure (A = { $a }, B = { $b }): { $list } (target: { $target }).
   *[other] { $count } failures (A = { $a }, B = { $b }): { $list } (target: { $target }).
}
check-shared-hint-keys = { $mode ->
    [target] Cache keys must be equal in every process and for any parameter order: build them from the route and the normalised, sorted parameters, never from a per-process hash.
   *[shop] Cache keys must be equal in every process and for any parameter order: build them from the route and the normalised, sorted parameters (cache.key_scheme = "canonical"), never from a per-process hash.
}
check-shared-hint-stale = A product write must retire every cached listing: namespace invalidation (a generation number in the listing keys that each write increments).

## query_count
check-query-count-target = X-Query-Count ≤ { $max }
check-query-count-head = GET { $path } took { $count } SQL queries (target { $target }).
check-query-count-items = The answer holds { $items } items: loading each item's product on its own (lazy) takes 2 + { $items } = { $lazy } queries, loading them together (eager) 2.
check-query-count-hint = { $mode ->
    [target] One query per item (N+1)? Load the items in one query (a JOIN, or WHERE id = ANY(…)) and watch X-Query-Count.
   *[shop] One query per item (N+1)? Try database.loading = "eager" in shop.toml and watch X-Query-Count.
}

## pool_connections (perflab's shop only: it needs its database)
check-pool-target = < { $below } connections
check-pool-head = The shop opened up to { $max } PostgreSQL connections under load on { $what } (target { $target }).
check-pool-hint = { $mode ->
    [target] Size the API's connection pool: a few busy connections beat many waiting ones.
   *[shop] Size database.pool_size in shop.toml: a few busy connections beat many waiting ones.
}

## extension (perflab's shop only: it needs its database)
check-extension-target = { $name } available on the server
check-extension-available = The PostgreSQL server can create the { $name } extension.
check-extension-missing = This PostgreSQL server does not have the { $name } extension: install the { $package } package (or run perflab doctor --fix), restart PostgreSQL and check again.

## explain (perflab's shop only: it needs its control API)
check-explain-target-index = uses { $index }
check-explain-target-any-index = uses an index
check-explain-target-no-seq-scan = { $uses }, no Seq Scan on { $table }
check-explain-head = The { $query } plan took { $time }; indexes used: { $indexes }; Seq Scan on: { $scans } (target: { $target }).
check-explain-as-if-large = Planned as on a large table (enable_seqscan = off for this plan only: on a small catalog reading the whole table is cheaper than any index).
check-explain-hint = Run perflab explain { $query } to see the plan as a tree (the marked nodes first), then write the index in indexes.sql: every check applies it.

## memory (perflab's shop only: it needs its process)
check-memory-target = RSS < { $below }
check-memory-target-growth = RSS < { $below }, growth ≤ { $growth } across { $runs } runs
check-memory-target-concurrent = { $target } with { $at_once } requests at once
check-memory-target-streamed = { $target }, sent as streamed
check-memory-buffered = Its answer declared Content-Length: { $length }: the shop had the whole body in memory before sending the first byte.
check-memory-head = The shop's resident memory reached { $max } during GET { $path } (target { $target }).
check-memory-head-growth = The shop's resident memory reached { $max } during GET { $path } and grew { $growth } from the first request to the last (target { $target }).
check-memory-hint-growth = Memory grows from one request to the next: is something kept between requests (a buffer, an unbounded cache)?
check-memory-hint-peak = { $mode ->
    [target] Is the whole response built in memory? Stream it out as it is read.
   *[shop] Is the whole response built in memory? Try export.mode = "streamed" in shop.toml.
}

## redis_outage (lab 1.6; only with the private Redis the runner starts)
check-outage-target = ≤ { $max } 5xx while Redis is down, hits resume within { $within }
check-outage-probes = With Redis stopped for { $down }, { $failed } of { $requests } probe requests got a 5xx ({ $errors }) or no answer within { $answer } ({ $unanswered }); target: { $target }.
check-outage-resumed = Once Redis was back, GET { $path } got a hit served from Redis after { $after }.
check-outage-not-resumed = Once Redis was back, GET { $path } got no hit served from Redis within { $within }.
check-outage-load-5xx = The lab's traffic got { $errors } 5xx answers out of { $requests } over the whole run.
check-outage-no-probe = { $mode ->
    [target] Not a single probe request was sent: is the API answering? Look at its /health.
   *[shop] Not a single probe request was sent: is the shop answering? Look at /health.
}
check-outage-hint-served = { $mode ->
    [target] A Redis failure must become a cache miss: short timeouts on every call, and serve from the database or an in-process cache. Watch /health during the outage.
   *[shop] A Redis failure must become a cache miss: short timeouts on every call, and serve from the database or the in-process cache (cache.fallback in shop.toml). Watch /health during the outage.
}
check-outage-hint-resumed = The shop did not read from Redis again: does its connection reconnect after a failure (a ConnectionManager, not a MultiplexedConnection)? In /health, cache.status must return to "up".
check-outage-pool-timeouts = Over the run, { $timeouts } requests waited for a pool connection past its timeout and got a 503 (GET /pool).
check-outage-peer = With Redis down, { $writes } price writes on instance A, each followed by a read on instance B ({ $failed } more writes got a 5xx, with no read after them): B answered { $reads }, { $hits } from its in-memory cache, and { $stale } showed an earlier price (stale reads).
check-outage-hint-stale = The other instance served a price that had already changed: what lab 1.4 calls a bug. An in-memory cache standing in for Redis must know which writes the other instances made (or cache nothing while Redis is away).

## rate_limit
check-rate-limit-target = exactly { $allowed } of { $requests } through
check-rate-limit-target-advertised = of { $requests }, exactly the advertised budget through
check-rate-limit-head = { $passed } of { $requests } requests got through and { $limited } got 429, in { $ms } ms (target { $target }).
check-rate-limit-refills = The budget refilled { $refills } during the burst, so up to that many more may pass.
check-rate-limit-broken = { $count } answers were errors (5xx or no answer): a limiter must answer 429 or let the request through.
check-rate-limit-no-budget = { $count } answers lacked X-RateLimit-Limit, X-RateLimit-Remaining or X-RateLimit-Reset: a client cannot see its budget.
check-rate-limit-no-retry-after = { $count } answers 429 had no Retry-After in whole seconds: a client cannot know when to come back.
check-rate-limit-other-user = Another user's first request did not pass with a full budget: one caller's burst must not spend anyone else's.
check-rate-limit-hint = { $why ->
    [spoofed] Every request claimed another address in X-Forwarded-For, and that bought it a fresh budget: key anonymous callers by the socket's address unless a proxy you trust set the header.
    [instances] Each instance counted on its own: the budget must live where every instance spends it.
    [too-few] Fewer requests got through than the budget: is the limit lower than the target, or are rejected requests counted as spending?
   *[too-many] More requests got through than the budget. Send a burst yourself and read X-RateLimit-Remaining on each answer: does it go down once per request?
}

## compression
check-compression-target = large answers { $encodings } at ≤ { $percent } % of their size, small ones as they are
check-compression-head = GET { $path } is { $plain } bytes plain; encoded, the largest was { $percent } % of that (target { $target }).
check-compression-not-encoded = GET { $path } asked with Accept-Encoding: { $encoding } came plain ({ $bytes } bytes).
check-compression-corrupt = The { $encoding } answer does not decode to the plain answer.
check-compression-too-large = The { $encoding } answer is { $bytes } of { $plain } bytes ({ $percent } %).
check-compression-no-vary = The { $encoding } answer lacks Vary: Accept-Encoding: a cache between you and the client could hand it to a client that cannot decode it.
check-compression-small-encoded = GET { $path } (small) came { $encoding }-encoded: below a minimum size, compressing costs CPU and saves nothing.
check-compression-hint = { $mode ->
    [target] Compress responses from about 1 KiB up, with the encodings the client offers, and add Vary: Accept-Encoding.
   *[shop] Look at the middleware.compression settings: which answers get compressed, from what size, with which encodings?
}

## timing
check-timing-target = Server-Timing (db, cache, total) and X-Response-Time on every answer, consistent with the client's wait
check-timing-head = { $requests } requests, { $problems } problems with their timing.
check-timing-example = GET { $path }: db { $db } ms + cache { $cache } ms of { $total } ms in the server; the client waited { $waited } ms.
check-timing-missing = GET { $path } came without { $header }.
check-timing-parts = GET { $path }: Server-Timing lacks db, cache or total with a dur=.
check-timing-parts-exceed = GET { $path }: db { $db } ms + cache { $cache } ms is more than the total { $total } ms.
check-timing-longer-than-wait = GET { $path }: the server says { $total } ms but the client waited { $waited } ms: the total must be measured inside the round trip.
check-timing-hint = { $mode ->
    [target] Measure each request from its arrival to its answer, add the time spent in the database and the cache, and send them as Server-Timing: db;dur=…, cache;dur=…, total;dur=… and X-Response-Time.
   *[shop] Ask the shop for a product with curl -i: which headers say where its time went? The middleware settings hold the answer.
}

## request_log
check-log-target = one JSON line per request with its X-Request-Id, no secret anywhere
check-log-head = { $requests } requests (a login, a token, a failed login, a cookie); the log got { $lines } new lines, { $json } of them JSON.
check-log-empty = Nothing was written: is the request log on?
check-log-not-json = { $count } lines are not JSON objects: a tool cannot query them.
check-log-no-request-id = { $count } answers had no X-Request-Id: a line cannot be matched to the request a user complains about.
check-log-unlogged = { $count } request ids of the answers are not the request_id of any line.
check-log-leaked = { $secret ->
    [password] The user's password is in the log.
    [wrong-password] The failed login's password is in the log (people mistype one password for another).
    [cookie] The cookie's value is in the log.
   *[token] The bearer token is in the log: whoever reads the log can act as the user until it expires.
}
check-log-hint = { $mode ->
    [target] Write one JSON object per request (time, request id, method, route, status, latency, user) and never the values of Authorization, Cookie or a body.
   *[shop] Open the log file the dashboard shows and read a line as a tool would: the request_log settings decide its format and what it copies from the request.
}
