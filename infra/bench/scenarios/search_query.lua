-- @server: uncached
-- @group: search
-- @lib: search
-- @description: GET /v1/search?q=<a Korean word>&limit=20 with all facets, the word drawn per request from place and product names inside the synthetic titles (김치 matches 순무김치, 꽃게 matches 옹진 꽃게); the cache off (JIKGU_STOREFRONT_CACHE=off), so Postgres answers every request

request = search_request
