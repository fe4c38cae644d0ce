-- One GET /v1/search?q=<word> with all facets, as the Postgres backend sends it
-- (search::postgres::search_statement), for a word of one or two syllables.
\set i random(1, 11)
SELECT ig AS g, w AS w FROM public.bw WHERE k = 's' AND i = :i \gset
WITH m AS MATERIALIZED (SELECT e.id, (strpos(e.title_folded, :w) > 0)::int AS k0, char_length(e.title_folded) AS k1, e.popularity AS k2, e.category_id, e.category_ids, e.vendor_id, e.vendor_name, e.certified, e.certification_kinds, CASE WHEN e.price < 10000 THEN 'under_10000' WHEN e.price < 30000 THEN '10000_30000' WHEN e.price < 50000 THEN '30000_50000' ELSE '50000_plus' END AS bucket FROM search.entries e WHERE e.grams @> :g::int4[]),
page AS (SELECT id, row_number() OVER () AS pos FROM (SELECT m.id FROM m ORDER BY k0 DESC, k1, k2 DESC, id LIMIT 21 OFFSET 0) p)
SELECT p.pos, d.id, d.title, d.description, d.price, d.vendor_id, d.vendor_name, d.category_id, d.tags, d.certified, d.in_stock, d.image, d.published_at, NULL::uuid[] AS category_ids, NULL::text[] AS certification_kinds, NULL::text AS bucket, NULL::bigint AS n FROM page p JOIN search.documents d ON d.id = p.id
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, m.vendor_id, m.vendor_name, NULL, NULL, m.certified, NULL, NULL, NULL, m.category_ids, m.certification_kinds, m.bucket, count(*) FROM m GROUP BY GROUPING SETS ((m.category_id, m.category_ids), (m.vendor_id, m.certified, m.vendor_name, m.certification_kinds), (m.bucket));
