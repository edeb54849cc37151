# The breakdown check (src/check/breakdown.rs, lab 4.2): a route's time per
# part. $dominant is db, cache, serialise or compute.

check-breakdown-target = the breakdown of { $route } names the part that takes the time
check-breakdown-target-p95 = { $named }; p95 < { $p95 }
check-breakdown-head = GET { $route }: { $requests } requests, p95 { $p95 }. Per request: db { $db } ms, cache { $cache } ms, serialisation { $serialise } ms, compute { $compute } ms. The time goes to { $dominant } ({ $share } %).
check-breakdown-hint = Look at what the route does in its { $dominant } part: for db, the query it runs on every call (perflab explain 4.2); for compute, perflab profile's flamegraph (if it is idle too, the time went waiting for a free pool connection).
check-breakdown-off = The breakdown is off, so there is nothing to read about { $route }: turn on [monitoring] breakdown in shop.toml.
check-breakdown-no-route = The breakdown saw no answered request of { $route }: check that the lab's traffic reaches that route.
