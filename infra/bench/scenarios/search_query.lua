-- @server: uncached
-- @group: search
-- @description: GET /v1/search?q=<a Korean word>&limit=20 with all facets, the word drawn per request from place and product names inside the synthetic titles (김치 matches 순무김치, 꽃게 matches 옹진 꽃게)

local words = {"김치", "꽃게", "인삼", "새우젓", "강화", "옹진", "소래포구", "까나리액젓", "섬쌀", "고구마",
               "막걸리", "딸기잼", "월병", "바구니", "찻잔", "도마", "비누", "원두", "순무김치", "인삼정과"}

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  return get("/v1/search?limit=20&q=" .. urlencode(pick(words)))
end
