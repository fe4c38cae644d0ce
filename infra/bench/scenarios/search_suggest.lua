-- @server: uncached
-- @group: search
-- @description: GET /v1/search/suggest?q=<a 1-3 syllable prefix>&limit=10, as a customer types

local prefixes = {"강", "강화", "옹", "옹진", "김", "김치", "꽃", "꽃게", "인삼", "새우", "소래", "백령", "막걸", "딸기", "월병"}

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  return get("/v1/search/suggest?limit=10&q=" .. urlencode(pick(prefixes)))
end
