-- Offline evaluation metrics on a log small enough to check by hand.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

-- three arms; arm "a" is good for context (1,0), "b" for (0,1), "c" never
CREATE TABLE train AS
SELECT i, arm, ctx, CASE WHEN (arm = 'a' AND ctx[1] = 1) OR (arm = 'b' AND ctx[2] = 1) THEN 1 ELSE 0 END AS reward
  FROM generate_series(1, 60) AS i,
       LATERAL (SELECT (ARRAY['a', 'b', 'c'])[1 + i % 3] AS arm,
                       CASE WHEN i % 2 = 0 THEN '{1,0}'::float8[] ELSE '{0,1}'::float8[] END AS ctx) AS x;
SELECT cmab_model_create('ev', 'linucb', dim => 2, arms => '{a,b,c}', alpha => 0) > 0 AS created;
SELECT * FROM cmab_fit_query('ev', 'SELECT arm, ctx, reward FROM train');

-- the test log: one logged (arm, reward) per event
CREATE TABLE test (event_id integer, ctx float8[], arm text, reward integer);
INSERT INTO test VALUES
  (1, '{1,0}', 'a', 1),   -- clicked, ranked 1st: hit at rank 1
  (2, '{0,1}', 'a', 1),   -- clicked, ranked 2nd with k = 2: hit at rank 2
  (3, '{0,1}', 'c', 0),   -- not clicked, c not in the top 2: unmatched
  (4, '{1,0}', 'c', 1),   -- clicked but c not in the top 2: a miss
  (5, '{1,0}', 'b', 0);   -- not clicked, b ranked 2nd: matched negative
SELECT t.event_id, array_agg(r.arm ORDER BY r.rank) AS top2
  FROM test AS t, cmab_recommend('ev', t.ctx, k => 2) AS r GROUP BY t.event_id ORDER BY t.event_id;
-- matched rows: events 1, 2, 5 (scores: ranks 1, 2, 2) -> CTR 2/3
-- users with clicks: 1, 2, 4; precision = hits/k: (1/2 + 1/2 + 0) / 3 = 1/3;
-- recall: (1 + 1 + 0) / 3; NDCG: (1 + 1/log2(3) + 0) / 3; MAP: (1 + 1/2 + 0) / 3
SELECT round(ctr::numeric, 6) AS ctr, round(precision_at_k::numeric, 6) AS precision,
       round(recall_at_k::numeric, 6) AS recall, round(ndcg_at_k::numeric, 6) AS ndcg,
       round(map_at_k::numeric, 6) AS map, matched_rows, clicked_users,
       round(((1 + 1 / log(2, 3)) / 3)::numeric, 6) AS expected_ndcg
  FROM cmab_evaluate('ev', 'SELECT event_id, ctx, arm, reward FROM test', k => 2);
-- AUC over matched rows by score, ties averaged (Mann-Whitney)
SELECT round(auc::numeric, 6) AS auc FROM cmab_evaluate('ev', 'SELECT event_id, ctx, arm, reward FROM test', k => 2);
SELECT r.event_id, r.arm, round(r.score::numeric, 6) AS score, t.reward
  FROM (SELECT event_id, x.* FROM test, cmab_recommend('ev', ctx, k => 2) AS x) AS r
  JOIN test AS t USING (event_id, arm) ORDER BY r.score;
-- one class only: AUC is undefined (NULL)
SELECT auc IS NULL AS undefined FROM cmab_evaluate('ev', 'SELECT event_id, ctx, arm, reward FROM test WHERE event_id = 1', k => 2);

-- errors
SELECT * FROM cmab_evaluate('nope', 'SELECT event_id, ctx, arm, reward FROM test');
SELECT * FROM cmab_evaluate('ev', 'SELECT event_id, ctx, arm, reward FROM test', k => 0);
SELECT * FROM cmab_evaluate('ev', NULL);
