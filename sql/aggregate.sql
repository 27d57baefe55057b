-- Fitting arm states with aggregates, serially and in parallel plans.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

-- a deterministic log: 30,000 rows, 7 arms, d = 4
CREATE TABLE agg_log AS
SELECT i, (i % 7)::text AS arm,
       ARRAY[1, cmab_uniform(1, i), cmab_uniform(2, i), cmab_normal(3, i)] AS context,
       (cmab_uniform(4, i) < 0.3)::integer::float8 AS reward
  FROM generate_series(1, 30000) AS i;
ANALYZE agg_log;

-- the aggregate equals a replay of the events one by one
CREATE FUNCTION replay(arm text) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    s bytea := cmab_state_prior(4);
    r record;
BEGIN
    FOR r IN SELECT * FROM agg_log AS l WHERE l.arm = replay.arm ORDER BY i LOOP
        s := cmab_state_add(s, r.context, r.reward);
    END LOOP;
    RETURN s;
END $$;
SELECT a.arm, (cmab_state_info(a.s)).n,
       (SELECT max(abs(x - y)) < 1e-9 FROM unnest(cmab_state_beta(a.s), cmab_state_beta(replay(a.arm))) AS u(x, y)) AS equals_replay
  FROM (SELECT arm, cmab_linear_agg(context, reward) AS s FROM agg_log GROUP BY arm) AS a
 ORDER BY a.arm;

-- serial fit, kept for comparison
CREATE TABLE serial_fit AS
SELECT arm, cmab_linear_agg(context, reward, 0.5) AS s, cmab_counts_agg(reward) AS c
  FROM agg_log GROUP BY arm;

-- a forced parallel plan: Partial Aggregate in the workers, combine in the leader
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT arm, cmab_linear_agg(context, reward, 0.5), cmab_counts_agg(reward) FROM agg_log GROUP BY arm;
CREATE TABLE parallel_fit AS
SELECT arm, cmab_linear_agg(context, reward, 0.5) AS s, cmab_counts_agg(reward) AS c
  FROM agg_log GROUP BY arm;
SELECT p.arm, (cmab_state_info(p.s)).n = (cmab_state_info(s.s)).n AS same_n,
       (SELECT max(abs(x - y)) < 1e-9 FROM unnest(cmab_state_beta(p.s), cmab_state_beta(s.s)) AS u(x, y)) AS same_beta,
       (cmab_state_info(p.c)).reward_sum = (cmab_state_info(s.c)).reward_sum AS same_rewards
  FROM parallel_fit AS p JOIN serial_fit AS s USING (arm)
 ORDER BY p.arm;
-- the whole table in one group, too
EXPLAIN (COSTS OFF) SELECT cmab_linear_agg(context, reward) FROM agg_log;
SELECT (cmab_state_info(cmab_linear_agg(context, reward))).n FROM agg_log;
RESET ALL;

-- zero rows: no state (a fit then leaves arms at the prior)
SELECT cmab_linear_agg(context, reward) IS NULL AS no_state FROM agg_log WHERE false;
SELECT cmab_counts_agg(reward) IS NULL AS no_state FROM agg_log WHERE false;

-- per-slot counts
SELECT * FROM cmab_state_info((SELECT cmab_counts_agg(reward, (i % 3)::integer, 3) FROM agg_log));

-- bad rows are errors, not skipped rows
SELECT cmab_linear_agg(c, r) FROM (VALUES ('{1,2}'::float8[], 1::float8), (NULL, 0)) AS v(c, r);
SELECT cmab_linear_agg(c, r) FROM (VALUES ('{1,2}'::float8[], 1::float8), ('{1,NaN}', 0)) AS v(c, r);
SELECT cmab_linear_agg(c, r) FROM (VALUES ('{1,2}'::float8[], 1::float8), ('{1,2}', NULL)) AS v(c, r);
SELECT cmab_linear_agg(c, r) FROM (VALUES ('{1,2}'::float8[], 1::float8), ('{1,2,3}', 0)) AS v(c, r);
SELECT cmab_linear_agg(c, r) FROM (VALUES ('{}'::float8[], 1::float8)) AS v(c, r);
SELECT cmab_linear_agg(c, r, 0) FROM (VALUES ('{1,2}'::float8[], 1::float8)) AS v(c, r);
SELECT cmab_counts_agg(r) FROM (VALUES (1::float8), ('Infinity')) AS v(r);
SELECT cmab_counts_agg(r, 3, 3) FROM (VALUES (1::float8)) AS v(r);

-- states of different dimension meeting in a parallel combine are refused
CREATE TABLE mixed_log AS
SELECT CASE WHEN i <= 20000 THEN ARRAY[1, 2]::float8[] ELSE ARRAY[1, 2, 3]::float8[] END AS context,
       1::float8 AS reward
  FROM generate_series(1, 40000) AS i;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
DO $$
BEGIN
    PERFORM cmab_linear_agg(context, reward) FROM mixed_log;
    RAISE EXCEPTION 'mixed dimensions were accepted';
EXCEPTION WHEN data_exception OR array_subscript_error THEN
    RAISE NOTICE 'mixed dimensions refused';
END $$;
RESET ALL;
