-- Text features: tokenizer, TF-IDF + truncated SVD embedding.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

SELECT cmab_tokenize('Flat White: double-shot espresso, 220ml milk & a_b I');
SELECT cmab_tokenize('');
SELECT cmab_tokenize('Crème brûlée — CAFÉ');

CREATE TABLE docs (id integer, doc text);
INSERT INTO docs VALUES
  (1, 'beef burger with cheese'), (2, 'chicken burger with salad'),
  (3, 'margherita pizza with basil'), (4, 'pepperoni pizza with cheese'),
  (5, 'flat white coffee'), (6, 'long black coffee');
CREATE TABLE tm AS SELECT * FROM cmab_text_model_fit(ARRAY(SELECT doc FROM docs ORDER BY id), 3);
SELECT terms, array_length(components, 1) AS rows, array_length(components, 2) AS cols FROM tm;
-- idf = ln((1 + n) / (1 + df)) + 1: "with" is in 4 of 6 documents
SELECT round(idf[array_position(terms, 'with')]::numeric, 6) AS idf_with,
       round((ln(7.0 / 5.0) + 1)::numeric, 6) AS expected FROM tm;
-- components are orthonormal columns
SELECT i, j, round(sum(components[r][i] * components[r][j])::numeric, 9) AS dot
  FROM tm, generate_series(1, array_length(components, 1)) AS r, generate_series(1, 3) AS i, generate_series(1, 3) AS j
 WHERE i <= j GROUP BY i, j ORDER BY i, j;
-- sign convention: each component's largest-magnitude entry is positive;
-- of entries tied within rounding, the first (component 3 has such a tie)
SELECT c, (SELECT v.x FROM (SELECT components[r][c] AS x, r FROM generate_series(1, array_length(components, 1)) AS r) AS v
            WHERE abs(v.x) >= (SELECT max(abs(components[r][c])) FROM generate_series(1, array_length(components, 1)) AS r) * (1 - 1e-9)
            ORDER BY v.r LIMIT 1) > 0 AS positive
  FROM tm, generate_series(1, 3) AS c ORDER BY c;
-- embeddings: similar documents embed close; unseen words and empty text embed to zero
SELECT d.id, array(SELECT round(e::numeric, 4) FROM unnest(cmab_text_embed(d.doc, tm.terms, tm.idf, tm.components)) AS e) AS embedding
  FROM docs AS d, tm ORDER BY d.id;
SELECT cmab_text_embed('', terms, idf, components) AS empty,
       cmab_text_embed('zzz qqq', terms, idf, components) AS unseen FROM tm;
-- a 1 MB document embeds without trouble
SELECT array_length(cmab_text_embed(repeat('coffee pizza ', 80000), terms, idf, components), 1) AS dims FROM tm;

-- errors
SELECT cmab_text_model_fit('{}'::text[], 2);
SELECT cmab_text_model_fit('{"", "!"}'::text[], 1);
SELECT cmab_text_model_fit('{"a b c"}'::text[], 1);
SELECT cmab_text_model_fit(ARRAY['one doc', NULL], 1);
SELECT cmab_text_model_fit('{"cat dog", "dog emu"}'::text[], 5);
SELECT cmab_text_model_fit('{"cat dog", "dog emu"}'::text[], 0);
SELECT cmab_text_embed('cat', '{dog,cat}', '{1,1}', '{{1},{1}}');
SELECT cmab_text_embed('cat', '{cat,dog}', '{1}', '{{1},{1}}');
SELECT cmab_text_embed('cat', '{cat,dog}', '{1,1}', '{1,1}');
