-- The harness's 20 search words (infra/bench/lib/search.lua) with their gram codes, as
-- search::text::term_codes computes them, in public.bw of a scratch copy of an indexed
-- database: what search_short.sql and search_long.sql draw from. See search/EXPLAIN.md.
DROP TABLE IF EXISTS public.bw;
CREATE TABLE public.bw (k text, i int, w text, pat text, tg text[], ig int4[]);
CREATE OR REPLACE FUNCTION public.u(c text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN ascii(c) <= 65535 THEN ascii(c)::bigint ELSE (55296 | (ascii(c) & 2047))::bigint END $$;
CREATE OR REPLACE FUNCTION public.code(g text) RETURNS int4 LANGUAGE sql IMMUTABLE AS $$ SELECT (CASE WHEN char_length(g) = 1 THEN public.u(g) ELSE ((public.u(substr(g,1,1)) << 16) | public.u(substr(g,2,1))) - CASE WHEN ((public.u(substr(g,1,1)) << 16) | public.u(substr(g,2,1))) >= 2147483648 THEN 4294967296 ELSE 0 END END)::int4 $$;
INSERT INTO public.bw (k, i, w) SELECT CASE WHEN char_length(w) <= 2 THEN 's' ELSE 'l' END, 0, w FROM unnest(ARRAY['김치','꽃게','인삼','새우젓','강화','옹진','소래포구','까나리액젓','섬쌀','고구마','막걸리','딸기잼','월병','바구니','찻잔','도마','비누','원두','순무김치','인삼정과']) w;
UPDATE public.bw b SET i = x.rn FROM (SELECT w, row_number() OVER (PARTITION BY k ORDER BY w) rn FROM public.bw) x WHERE x.w = b.w;
UPDATE public.bw SET pat = '%' || w || '%', tg = ARRAY(SELECT DISTINCT substr(w, n, 2) FROM generate_series(1, char_length(w) - 1) n ORDER BY 1);
UPDATE public.bw SET ig = ARRAY(SELECT DISTINCT public.code(g) FROM unnest(tg) g ORDER BY 1);
SELECT k, count(*) FROM public.bw GROUP BY k;
