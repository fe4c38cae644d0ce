-- What the search scenarios ask: words and prefixes found inside the synthetic titles
-- (김치 matches 순무김치, 꽃게 matches 옹진 꽃게), the same for the cached and uncached runs.

search_words = {"김치", "꽃게", "인삼", "새우젓", "강화", "옹진", "소래포구", "까나리액젓", "섬쌀", "고구마",
                "막걸리", "딸기잼", "월병", "바구니", "찻잔", "도마", "비누", "원두", "순무김치", "인삼정과"}

search_prefixes = {"강", "강화", "옹", "옹진", "김", "김치", "꽃", "꽃게", "인삼", "새우", "소래", "백령", "막걸", "딸기", "월병"}

function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function search_request()
  return get("/v1/search?limit=20&q=" .. urlencode(pick(search_words)))
end

function suggest_request()
  return get("/v1/search/suggest?limit=10&q=" .. urlencode(pick(search_prefixes)))
end
