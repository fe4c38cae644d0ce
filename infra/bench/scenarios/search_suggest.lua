-- @server: uncached
-- @group: search
-- @lib: search
-- @description: GET /v1/search/suggest?q=<a 1-3 syllable prefix>&limit=10, as a customer types; the cache off (JIKGU_STOREFRONT_CACHE=off), so Postgres answers every request

request = suggest_request
