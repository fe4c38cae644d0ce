-- @server: cached
-- @group: search
-- @lib: search
-- @description: GET /v1/search?q=<a Korean word>&limit=20 with all facets, the word drawn per request from place and product names inside the synthetic titles (김치 matches 순무김치, 꽃게 matches 옹진 꽃게); answered from the Redis result cache (JIKGU_STOREFRONT_CACHE on) after the first ask of each question

request = search_request
