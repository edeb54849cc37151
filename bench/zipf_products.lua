-- wrk script: GET /products/{id} with Zipf-skewed ids, the traffic the caching
-- labs use (a few products are hot, most are cold).
--   wrk -s bench/zipf_products.lua URL -- [products] [exponent]
-- Each thread builds the Zipf CDF once, then draws ids by binary search.
local products, exponent = 100000, 1.0
local cdf = {}

function init(args)
  products = tonumber(args[1]) or products
  exponent = tonumber(args[2]) or exponent
  -- a different stream per thread: the address of a fresh table differs
  local address = tonumber(tostring({}):match("0x(%x+)"), 16) or 0
  math.randomseed(os.time() + address % 1000003)
  local total = 0
  for k = 1, products do
    total = total + 1 / (k ^ exponent)
    cdf[k] = total
  end
  for k = 1, products do
    cdf[k] = cdf[k] / total
  end
end

local function zipf()
  local u = math.random()
  local lo, hi = 1, products
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

function request()
  return wrk.format("GET", "/products/" .. zipf())
end

-- wrk's --latency table has no p95: print the three the course uses.
function done(summary, latency, requests)
  io.write(string.format("PERCENTILES p50=%.2fms p95=%.2fms p99=%.2fms\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
