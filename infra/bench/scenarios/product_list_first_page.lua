-- @server: cached
-- @group: catalog
-- @description: GET /v1/products?limit=20, the storefront's first page (newest first), served from the Redis list cache after the first miss

local req

function bench_init(args)
  req = get("/v1/products?limit=20")
end

function request()
  return req
end
