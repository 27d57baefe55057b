-- Bad input, table-driven: every statement must fail with the SQLSTATE
-- shown and leave the stored model unchanged.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never

SELECT cmab_model_create('m', 'linucb', dim => 3, arms => '{a,b}') > 0 AS created;
SELECT cmab_model_create('t', 'thompson', dim => 0, arms => '{a}') > 0 AS created;
SELECT cmab_update('m', 'a', '{1,0,0}', 1) AS n;
CREATE TABLE bad_log (arm text, ctx float8[], r float8);
CREATE TABLE before AS SELECT model_id, arm, md5(state) AS h FROM cmab_arm;
-- a valid state (format version 1, d = 2) to damage
CREATE TABLE good AS SELECT '\x434d41420100010102000000000000000200000000000000000000000000f03f000000000000f03f0000000000000240000000000000f83f0000000000001840010000000000f83ffeffffffffffef3fa9f4979b77e30140000000000000f03f0000000000000040'::bytea AS s;

CREATE TABLE cases (id serial, sql text);
INSERT INTO cases (sql) VALUES
  -- NULL in each argument position
  ($$SELECT cmab_recommend(NULL, '{1,0,0}')$$),
  ($$SELECT cmab_recommend('m', NULL)$$),
  ($$SELECT cmab_recommend('m', '{1,0,0}', NULL)$$),
  ($$SELECT cmab_update(NULL, 'a', '{1,0,0}', 1)$$),
  ($$SELECT cmab_update('m', NULL, '{1,0,0}', 1)$$),
  ($$SELECT cmab_update('m', 'a', NULL, 1)$$),
  ($$SELECT cmab_update('m', 'a', '{1,0,0}', NULL)$$),
  ($$SELECT cmab_model_create(NULL, 'linucb', 3)$$),
  ($$SELECT cmab_model_create('x', NULL, 3)$$),
  ($$SELECT cmab_model_create('x', 'linucb', NULL)$$),
  ($$SELECT cmab_arm_add('m', NULL)$$),
  ($$SELECT cmab_arm_remove('m', NULL)$$),
  ($$SELECT cmab_fit_query('m', NULL)$$),
  ($$SELECT cmab_fit('m', NULL)$$),
  ($$SELECT cmab_evaluate('m', NULL)$$),
  ($$SELECT cmab_recommend_batch('m', NULL)$$),
  ($$SELECT cmab_state_add(NULL, '{1,0,0}', 1)$$),
  ($$SELECT cmab_state_merge(cmab_state_prior(3), NULL)$$),
  -- NaN, infinities and NULL elements in contexts and rewards
  ($$SELECT cmab_update('m', 'a', '{1,NaN,0}', 1)$$),
  ($$SELECT cmab_update('m', 'a', '{1,Infinity,0}', 1)$$),
  ($$SELECT cmab_update('m', 'a', '{1,-Infinity,0}', 1)$$),
  ($$SELECT cmab_update('m', 'a', '{1,NULL,0}', 1)$$),
  ($$SELECT cmab_update('m', 'a', '{1,0,0}', 'NaN')$$),
  ($$SELECT cmab_update('m', 'a', '{1,0,0}', 'Infinity')$$),
  ($$SELECT cmab_recommend('m', '{NaN,0,0}')$$),
  ($$SELECT cmab_recommend_batch('m', '{{1,0,0},{0,NaN,0}}')$$),
  ($$SELECT cmab_linear_agg(c, 1) FROM (VALUES ('{1,NULL}'::float8[])) AS v(c)$$),
  -- empty arrays, wrong and too large dimensions
  ($$SELECT cmab_update('m', 'a', '{}', 1)$$),
  ($$SELECT cmab_recommend('m', '{}')$$),
  ($$SELECT cmab_recommend('m', '{1,0}')$$),
  ($$SELECT cmab_recommend('m', '{{1,0,0}}')$$),
  ($$SELECT cmab_update('m', 'a', '{1,0,0,0}', 1)$$),
  ($$SELECT cmab_model_create('x', 'linucb', 1001)$$),
  ($$SELECT cmab_state_prior(1001)$$),
  ($$SELECT cmab_recommend('m', array_fill(1::float8, ARRAY[1001]))$$),
  -- huge and non-positive sizes and parameters
  ($$SELECT cmab_recommend('m', '{1,0,0}', k => 0)$$),
  ($$SELECT cmab_recommend('m', '{1,0,0}', k => -2147483648)$$),
  ($$SELECT cmab_state_prior(2147483647)$$),
  ($$SELECT cmab_counts_prior(2147483647)$$),
  ($$SELECT cmab_model_create('x', 'linucb', 3, alpha => -1)$$),
  ($$SELECT cmab_model_create('x', 'linucb', 3, l2_lambda => 0)$$),
  ($$SELECT cmab_model_create('x', 'linucb', 3, l2_lambda => -1)$$),
  ($$SELECT cmab_model_create('x', 'lingreedy', 3, epsilon => -0.1)$$),
  ($$SELECT cmab_model_create('x', 'clusters_ts', 3, n_clusters => 0)$$),
  ($$SELECT cmab_linucb_score(cmab_state_prior(3), '{1,0,0}', 'NaN')$$),
  -- a 3.2 GB TF-IDF matrix is refused before anything is allocated
  ($$SELECT cmab_text_model_fit(ARRAY(SELECT 'w' || g FROM generate_series(1, 20000) AS g), 2)$$),
  -- unknown names, duplicates
  ($$SELECT cmab_recommend('nope', '{1,0,0}')$$),
  ($$SELECT cmab_update('m', 'nope', '{1,0,0}', 1)$$),
  ($$SELECT cmab_model_create('x', 'ucb9', 3)$$),
  ($$SELECT cmab_model_create('m', 'linucb', 3)$$),
  ($$SELECT cmab_arm_add('m', '{a}')$$),
  ($$SELECT cmab_arm_add('m', '{z,z}')$$),
  ($$SELECT cmab_arm_remove('m', 'nope')$$),
  ($$SELECT cmab_fit('m', 'no_such_table')$$),
  ($$SELECT cmab_fit_query('m', 'SELECT ''zz'', ''{1,0,0}''::float8[], 1')$$),
  ($$SELECT cmab_update('t', 'a', NULL, 0.5)$$),
  -- damaged states: truncated, byte-flipped, wrong version, wrong byte order
  ($$SELECT cmab_state_info(substr((SELECT s FROM good), 1, 50))$$),
  ($$SELECT cmab_state_info(overlay((SELECT s FROM good) placing '\xc0'::bytea from 48 for 1))$$),
  ($$SELECT cmab_state_info(overlay((SELECT s FROM good) placing '\x0900'::bytea from 5 for 2))$$),
  ($$SELECT cmab_state_info(overlay((SELECT s FROM good) placing '\x42414d43'::bytea from 1 for 4))$$),
  ($$SELECT cmab_state_info(decode(repeat('ff', 100000), 'hex'))$$),
  ($$SELECT cmab_state_info(overlay((SELECT s FROM good) placing '\xffffff7f'::bytea from 9 for 4))$$),
  -- a state of one model fed to another of a different dimension
  ($$SELECT cmab_linucb_score(cmab_state_prior(5), '{1,0,0}')$$),
  ($$SELECT cmab_state_merge(cmab_state_prior(5), (SELECT state FROM cmab_arm WHERE arm = 'a' AND model_id = (SELECT model_id FROM cmab_model WHERE name = 'm')))$$),
  ($$UPDATE cmab_arm SET state = cmab_state_add(state, '{1,0,0,0,0}', 1) WHERE arm = 'a'$$),
  -- the batch recommender's own inputs
  ($$SELECT cmab_recommend_batch('m', '{{1,0},{0,1}}')$$),
  ($$SELECT cmab_recommend_batch('m', '{1,0,0}')$$),
  ($$SELECT cmab_recommend_batch('m', '{{1,0,NULL}}')$$),
  ($$SELECT cmab_recommend_batch('m', '{{1,0,Infinity}}')$$),
  ($$SELECT cmab_recommend_batch('m', array_fill(1::float8, ARRAY[1, 1001]))$$),
  ($$SELECT cmab_recommend_batch('m', '{{1,0,0},{0,1,0}}', seeds => '{1}')$$),
  ($$SELECT cmab_recommend_batch('m', '{{1,0,0},{0,1,0}}', seeds => '{1,NULL}')$$),
  -- aggregate arguments that must not be NULL or change within a group
  ($$SELECT cmab_linear_agg('{1}', 1, NULL)$$),
  ($$SELECT cmab_counts_agg(1, NULL, 2)$$),
  ($$SELECT cmab_counts_agg(1, 0, s) FROM (VALUES (2), (3)) AS v(s)$$),
  ($$SELECT cmab_nearest_centroid('{{1,NULL}}', '{1,2}')$$),
  -- text features
  ($$SELECT cmab_text_embed('x', '{a,NULL}', '{1,1}', '{{1},{1}}')$$),
  ($$SELECT cmab_text_model_fit('{""}', 1)$$),
  ($$SELECT cmab_text_embed('x', '{b,a}', '{1,1}', '{{1},{1}}')$$);

CREATE TABLE results (id integer, sqlstate text, message text);
DO $$
DECLARE
    c record;
    st text;
    msg text;
BEGIN
    FOR c IN SELECT * FROM cases ORDER BY id LOOP
        BEGIN
            EXECUTE c.sql;
            INSERT INTO results VALUES (c.id, 'no error', NULL);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            INSERT INTO results VALUES (c.id, st, msg);
        END;
    END LOOP;
END $$;

SELECT c.id, r.sqlstate, r.message FROM cases AS c JOIN results AS r USING (id) ORDER BY c.id;
SELECT count(*) AS cases, count(*) FILTER (WHERE sqlstate = 'no error') AS accepted,
       count(*) FILTER (WHERE sqlstate LIKE 'XX%') AS internal_errors FROM results;
-- the stored model is unchanged and still works
SELECT count(*) AS changed FROM cmab_arm AS a JOIN before AS b USING (model_id, arm) WHERE md5(a.state) <> b.h;
SELECT rank, arm FROM cmab_recommend('m', '{1,0,0}', k => 2);
