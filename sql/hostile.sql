-- Regressions from a hostile-input review: each of these once crashed the
-- server, returned a wrong number or gave a poor error.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

-- Thompson draws on a reward sum outside [0, n] (crashed: unbounded recursion)
SELECT cmab_thompson_score(cmab_state_add(cmab_counts_prior(), NULL, -10000000), 1, 0);
SELECT cmab_thompson_score(cmab_state_add(cmab_counts_prior(), NULL, 5), 1, 0);

-- Popularity with negative rewards (crashed through the public API)
SELECT cmab_model_create('pop', 'popularity', 0, '{a,b}') > 0 AS created;
SELECT cmab_update('pop', 'a', NULL, -1e9);
SELECT * FROM cmab_fit_query('pop', $$SELECT 'a', NULL::float8[], -3$$);
SELECT cmab_update('pop', 'a', NULL, 2) AS n;
SELECT count(*) FROM cmab_recommend('pop', NULL, seed => 1);
-- a negative mean smuggled into the table is refused when scoring
BEGIN;
UPDATE cmab_arm SET state = cmab_state_add(state, NULL, -10) WHERE arm = 'b';
SELECT * FROM cmab_recommend('pop', NULL, seed => 1);
ROLLBACK;

-- k-means on values whose squared distances overflowed (crashed, or
-- returned leftover memory as centroids)
SELECT cmab_kmeans_agg(c, 2, 1) FROM (VALUES (array_fill(1e200::float8, ARRAY[1000])),
  (array_fill(-1e200::float8, ARRAY[1000])), (array_fill(0::float8, ARRAY[1000]))) AS v(c);
SELECT cmab_kmeans_agg(c, 2, 1) FROM (VALUES ('{1e308}'::float8[]), ('{-1e308}'), ('{1e308}')) AS v(c);
SELECT cmab_kmeans_agg(c, 2, 1) FROM (VALUES ('{1e100}'::float8[]), ('{-1e100}'), ('{1e100}')) AS v(c);
SELECT cmab_kmeans_agg(c, 2, 1) FROM (VALUES ('{5}'::float8[]), ('{5}'), ('{5}')) AS v(c);
SELECT cmab_kmeans_agg(c, i, 1) FROM (VALUES ('{1}'::float8[], 1), ('{2}', 2)) AS v(c, i);
SELECT cmab_nearest_centroid('{{-1e200},{1e200}}', '{1.5e200}');
SELECT cmab_nearest_centroid('{{-1e100},{1e100}}', '{0.5e100}');

-- values that overflowed a state's sums into a state the validator rejects
SELECT cmab_state_add(cmab_state_prior(2), '{1e200,1}', 1);
SELECT cmab_state_add(cmab_state_prior(2), '{1,1}', 1e300);
SELECT cmab_linear_agg('{1e10,1}', 1e300);
SELECT cmab_state_merge(cmab_state_prior(1, 1e308), cmab_state_prior(1, 1e308));

-- a factor whose diagonal was flipped to almost zero scored NaN
SELECT cmab_linucb_score(set_byte(s, 95, get_byte(s, 95) # 64), '{1,1,1}')
  FROM (SELECT cmab_state_add(cmab_state_add(cmab_state_add(cmab_state_prior(3), '{1,2,3}', 1),
                                             '{0,1,-1}', 0), '{2,0,1}', 1) AS s) AS x;

-- parameters so small or large that scores were infinite or NaN
SELECT cmab_model_create('tiny', 'linucb', dim => 2, l2_lambda => 1e-320);
SELECT cmab_model_create('huge', 'lints', dim => 2, alpha => 1e308);
SELECT cmab_linucb_score(cmab_state_prior(2), '{1,2}', 1e308);
SELECT round(cmab_linucb_score(cmab_state_prior(2, 1e-12), '{1,2}', 1e12)::numeric, 0) AS largest_score;

-- context-free models checked nothing about the context
SELECT cmab_model_create('th', 'thompson', dim => 3, arms => '{a}') > 0 AS created;
SELECT cmab_update('th', 'a', '{NaN,1,1}', 1);
SELECT cmab_update('th', 'a', NULL, 1);
SELECT cmab_update('th', 'a', '{1,2,3,4,5}', 0);
SELECT * FROM cmab_fit_query('th', $$SELECT 'a', '{NaN,1,1}'::float8[], 1$$);
SELECT cmab_update('th', 'a', '{1,2,3}', 1) AS n;

-- evaluation counted NaN rewards as clicks and NULL ids as users
SELECT cmab_model_create('ev', 'linucb', dim => 1, arms => '{a}') > 0 AS created;
SELECT * FROM cmab_evaluate('ev', $$SELECT 1, '{1}'::float8[], 'a', 'NaN'::float8$$);
SELECT * FROM cmab_evaluate('ev', $$SELECT 1, '{1}'::float8[], 'a', NULL::float8$$);
SELECT * FROM cmab_evaluate('ev', $$SELECT NULL::int, '{1}'::float8[], 'a', 1$$);

-- per-row parameters of an aggregate must not change within a group
SELECT cmab_linear_agg(c, 1, l) FROM (VALUES ('{1}'::float8[], 1::float8), ('{2}', 2)) AS v(c, l);
SELECT cmab_linear_agg(c, 1, l) FROM (VALUES ('{1}'::float8[], 1::float8), ('{2}', NULL)) AS v(c, l);

-- NULLs that were read as a default
SELECT cmab_state_add(cmab_counts_prior(2), NULL, 1, NULL);
SELECT cmab_model_create('fn', 'linucb', dim => 2, feature_names => '{a,NULL}');
SELECT cmab_arm_remove('ev', NULL);
SELECT cmab_arm_add('ev', '{{c,d},{e,f}}');

-- a text context in a fit query, and NaN inside a text model
SELECT * FROM cmab_fit_query('ev', $$SELECT 'a', 'x', 1$$);
SELECT cmab_text_embed('hello', '{hello,world}', '{NaN,1}', '{{1},{1}}');
SELECT cmab_text_embed('hello', '{hello,world}', '{1,1}', '{{Infinity},{1}}');
-- a text model too large to fit is refused before it is allocated
SELECT cmab_text_model_fit(ARRAY(SELECT 'w' || g FROM generate_series(1, 3000) AS g), 2);

-- the element named in an error counts from the array's lower bound
SELECT cmab_state_add(cmab_state_prior(3), '[0:2]={1,NaN,3}'::float8[], 1);

-- from a second review: cmab_evaluate never drops a table of the caller's,
-- refuses an event with two contexts, and returns no metrics for no rows
CREATE TEMP TABLE cmab_evaluate_test (precious text);
INSERT INTO cmab_evaluate_test VALUES ('keep me');
SELECT * FROM cmab_evaluate('ev', $$SELECT 1, '{1}'::float8[], 'a', 1$$);
SELECT * FROM cmab_evaluate_test;
DROP TABLE cmab_evaluate_test;
SELECT * FROM cmab_evaluate('ev', $$SELECT 1, '{1}'::float8[], 'a', 1 UNION ALL SELECT 1, '{2}', 'a', 0$$);
SELECT * FROM cmab_evaluate('ev', $$SELECT 1, '{1}'::float8[], 'a', 1 WHERE false$$);
SELECT * FROM cmab_evaluate('ev', $$SELECT 1, '{1,2}'::float8[], 'a', 1$$);
SELECT * FROM cmab_evaluate('ev', $$SELECT 1, NULL::float8[], 'a', 1$$);
SELECT * FROM cmab_evaluate('pop', $$SELECT 1, NULL::float8[], 'a', 1$$);
-- exclude must be one-dimensional; an empty batch recommends nothing
SELECT * FROM cmab_recommend('ev', '{1}', exclude => '{{a},{b}}');
SELECT count(*) FROM cmab_recommend_batch('ev', '{}');
-- a state put in by hand that does not fit its model: recommend refuses it,
-- and so does update, which leaves it as it was
BEGIN;
UPDATE cmab_arm SET state = cmab_counts_prior(1)
 WHERE model_id = (SELECT model_id FROM cmab_model WHERE name = 'ev');
SELECT * FROM cmab_recommend('ev', '{1}');
ROLLBACK;
BEGIN;
UPDATE cmab_arm SET state = cmab_counts_prior(1)
 WHERE model_id = (SELECT model_id FROM cmab_model WHERE name = 'ev');
SELECT cmab_update('ev', 'a', '{1}', 1);
ROLLBACK;
BEGIN;
UPDATE cmab_arm SET state = cmab_state_prior(1, 2)
 WHERE model_id = (SELECT model_id FROM cmab_model WHERE name = 'ev');
SELECT cmab_update('ev', 'a', '{1}', 1);
ROLLBACK;
BEGIN;
UPDATE cmab_arm SET state = cmab_counts_prior(5)
 WHERE model_id = (SELECT model_id FROM cmab_model WHERE name = 'th');
SELECT cmab_update('th', 'a', '{1,2,3}', 1);
ROLLBACK;
-- centroids of the wrong width set by hand on a Clusters model are refused
SELECT cmab_model_create('cl', 'clusters_ts', dim => 1, arms => '{a}', n_clusters => 2) > 0 AS created;
SELECT * FROM cmab_fit_query('cl', $$SELECT 'a', ARRAY[g::float8], g % 2 FROM generate_series(1, 10) AS g$$);
BEGIN;
UPDATE cmab_model SET centroids = '{{1,2},{3,4}}' WHERE name = 'cl';
SELECT * FROM cmab_recommend('cl', '{1}');
ROLLBACK;
-- centroids set by hand on a model that does not use them change nothing
BEGIN;
UPDATE cmab_model SET centroids = '{{1,2},{3,4}}' WHERE name = 'ev';
SELECT count(*) FROM cmab_recommend('ev', '{1}');
ROLLBACK;

-- none of the above changed a stored state
SELECT m.name, a.arm, (cmab_state_info(a.state)).n
  FROM cmab_arm AS a JOIN cmab_model AS m USING (model_id) ORDER BY m.name, a.arm;
