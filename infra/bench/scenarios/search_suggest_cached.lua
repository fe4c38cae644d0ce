-- @server: cached
-- @group: search
-- @lib: search
-- @description: GET /v1/search/suggest?q=<a 1-3 syllable prefix>&limit=10, as a customer types; answered from the Redis result cache (JIKGU_STOREFRONT_CACHE on) after the first ask of each question

request = suggest_request
