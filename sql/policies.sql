-- The context-free and randomised policies: semantics, and the same seed
-- giving the same output.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

CREATE TABLE plog AS
SELECT i, (1 + (i % 5))::text AS arm,
       ARRAY[1, cmab_uniform(10, i), (i % 2)::float8] AS context,
       (cmab_uniform(11, i) < 0.1 * (1 + (i % 5)))::integer AS reward
  FROM generate_series(1, 2000) AS i;

DO $$
DECLARE
    p text;
BEGIN
    FOREACH p IN ARRAY '{random,popularity,thompson,lingreedy,linucb,lints,clusters_ts}'::text[] LOOP
        PERFORM cmab_model_create('p_' || p, p, dim => 3, arms => '{1,2,3,4,5}', n_clusters => 3, seed => 7);
        PERFORM cmab_fit_query('p_' || p, 'SELECT arm, context, reward FROM plog');
    END LOOP;
END $$;
SELECT name, fit_rows, centroids IS NOT NULL AS has_centroids, array_length(centroids, 1) AS k
  FROM cmab_model ORDER BY model_id;

-- same seed, same list; every policy
SELECT m.name,
       (SELECT array_agg(arm ORDER BY rank) FROM cmab_recommend(m.name, '{1,0.5,1}', k => 5, seed => 42)) =
       (SELECT array_agg(arm ORDER BY rank) FROM cmab_recommend(m.name, '{1,0.5,1}', k => 5, seed => 42)) AS reproducible,
       (SELECT count(DISTINCT l) FROM generate_series(1, 50) AS s,
               LATERAL (SELECT array_agg(arm ORDER BY rank) AS l FROM cmab_recommend(m.name, '{1,0.5,1}', k => 5, seed => s)) AS q) > 1 AS varies_with_seed
  FROM cmab_model AS m ORDER BY m.model_id;

-- many contexts at once give what one context at a time gives, seed for
-- seed, every policy (the batch scores linear arms with BLAS: equal to 1e-9)
SELECT m.name,
       bool_and(b.arm = r.arm AND abs(b.expectation - r.expectation) < 1e-9) AS batch_equals_single,
       count(*) AS rows
  FROM cmab_model AS m,
       LATERAL cmab_recommend_batch(m.name, '{{1,0.5,1},{1,0.1,0},{0,2,1}}', k => 3,
                                    exclude => '{2}', seeds => '{42,43,44}') AS b,
       LATERAL cmab_recommend(m.name, (ARRAY['{1,0.5,1}', '{1,0.1,0}', '{0,2,1}']::text[])[b.item]::float8[],
                              k => 3, exclude => '{2}', seed => 41 + b.item) AS r
 WHERE r.rank = b.rank
 GROUP BY m.name, m.model_id ORDER BY m.model_id;

-- the random policies rank by the logged click rates (arm 5 best, arm 1
-- worst) more often than not: how often each arm is ranked first over 400 seeds
SELECT m.name, array_agg(top ORDER BY arm) AS times_first
  FROM cmab_model AS m,
       LATERAL (SELECT a.arm, count(*) FILTER (WHERE r.arm = a.arm) AS top
                  FROM unnest('{1,2,3,4,5}'::text[]) AS a(arm),
                       generate_series(1, 400) AS s,
                       LATERAL cmab_recommend(m.name, '{1,0.5,1}', k => 1, seed => s) AS r
                 GROUP BY a.arm) AS q
 WHERE m.name IN ('p_popularity', 'p_thompson', 'p_clusters_ts')
 GROUP BY m.name ORDER BY m.name;

-- Random: expectations are uniform draws in [0, 1)
SELECT min(expectation) >= 0 AND max(expectation) < 1 AS in_unit_interval
  FROM generate_series(1, 100) AS s, cmab_recommend('p_random', '{1,0.5,1}', k => 5, seed => s);
-- Popularity: one Dirichlet draw, so a request's expectations sum to 1
SELECT round(sum(expectation)::numeric, 9) AS total
  FROM cmab_recommend('p_popularity', '{1,0.5,1}', k => 5, seed => 3);

-- LinGreedy with epsilon = 0 is the ridge expectation; with epsilon = 1 every
-- request explores with uniform random expectations
SELECT cmab_model_create('p_greedy0', 'lingreedy', dim => 3, arms => '{1,2,3,4,5}', epsilon => 0) > 0 AS created;
SELECT * FROM cmab_fit_query('p_greedy0', 'SELECT arm, context, reward FROM plog');
SELECT r.arm, abs(r.expectation - cmab_linear_expectation(a.state, '{1,0.5,1}')) < 1e-12 AS is_ridge
  FROM cmab_recommend('p_greedy0', '{1,0.5,1}', k => 5, seed => 1) AS r
  JOIN cmab_arm AS a ON a.arm = r.arm AND a.model_id = (SELECT model_id FROM cmab_model WHERE name = 'p_greedy0')
 ORDER BY r.rank;
-- with epsilon = 0.1, about one request in ten explores
SELECT count(*) FILTER (WHERE explored) BETWEEN 20 AND 60 AS about_a_tenth
  FROM (SELECT bool_or(abs(r.expectation - cmab_linear_expectation(a.state, '{1,0.5,1}')) > 1e-12) AS explored
          FROM generate_series(1, 400) AS s,
               cmab_recommend('p_lingreedy', '{1,0.5,1}', k => 5, seed => s) AS r
          JOIN cmab_arm AS a ON a.arm = r.arm AND a.model_id = (SELECT model_id FROM cmab_model WHERE name = 'p_lingreedy')
         GROUP BY s) AS q;

-- LinTS: draws centre on the ridge expectation with spread alpha sqrt(x' A^-1 x)
SELECT a.arm,
       abs(avg(cmab_lints_score(a.state, '{1,0.5,1}', 1, s)) - cmab_linear_expectation(a.state, '{1,0.5,1}'))
         < 4 * (cmab_linucb_score(a.state, '{1,0.5,1}', 1) - cmab_linear_expectation(a.state, '{1,0.5,1}')) / sqrt(2000) AS mean_ok,
       abs(stddev(cmab_lints_score(a.state, '{1,0.5,1}', 1, s))
           / (cmab_linucb_score(a.state, '{1,0.5,1}', 1) - cmab_linear_expectation(a.state, '{1,0.5,1}')) - 1) < 0.1 AS spread_ok
  FROM cmab_arm AS a, generate_series(1, 2000) AS s
 WHERE a.model_id = (SELECT model_id FROM cmab_model WHERE name = 'p_lints')
 GROUP BY a.arm, a.state ORDER BY a.arm;
SELECT cmab_lints_score(a.state, '{1,0.5,1}', 0, 99) = cmab_linear_expectation(a.state, '{1,0.5,1}') AS alpha0_is_ridge
  FROM cmab_arm AS a WHERE a.model_id = (SELECT model_id FROM cmab_model WHERE name = 'p_lints') AND a.arm = '1';

-- Thompson sampling: Beta(1 + s, 1 + f) draws; mean (1 + s) / (2 + n)
SELECT round(avg(cmab_thompson_score(cmab_state_add(cmab_state_add(cmab_state_add(cmab_counts_prior(), NULL, 1), NULL, 1), NULL, 0), s))::numeric, 2) AS mean_about_0_6
  FROM generate_series(1, 4000) AS s;

-- ClustersTS: an update lands in the slot of the nearest centroid
SELECT cmab_nearest_centroid('{{0,0},{10,10}}', '{9,8}') AS nearest;
SELECT cmab_update('p_clusters_ts', '1', '{1,0.5,1}', 1) AS n;
SELECT (cmab_state_info(a.state)).n FROM cmab_arm AS a
 WHERE a.model_id = (SELECT model_id FROM cmab_model WHERE name = 'p_clusters_ts') AND a.arm = '1';

-- errors
SELECT cmab_update('p_thompson', '1', NULL, 0.5);
SELECT cmab_model_create('p_ct2', 'clusters_ts', dim => 3, arms => '{1}') > 0 AS created;
SELECT cmab_recommend('p_ct2', '{1,0.5,1}');
SELECT cmab_update('p_ct2', '1', '{1,0.5,1}', 1);
SELECT * FROM cmab_fit_query('p_thompson', 'SELECT arm, context, reward * 2 FROM plog');
SELECT * FROM cmab_fit_query('p_ct2', 'SELECT arm, context, reward FROM plog LIMIT 2');
SELECT cmab_linucb_score(cmab_counts_prior(), '{1}');
SELECT cmab_thompson_score(cmab_state_prior(2));
SELECT cmab_thompson_score(cmab_counts_prior(2), 1, 5);
SELECT cmab_linucb_score(cmab_state_prior(2), '{1,1}', -1);
SELECT cmab_nearest_centroid('{1,2}', '{1,2}');
SELECT cmab_nearest_centroid('{{1,2}}', '{1,2,3}');
SELECT cmab_kmeans_agg(c, 0, 1) FROM (VALUES ('{1,2}'::float8[])) AS v(c);
SELECT cmab_kmeans_agg(c, 3, 1) FROM (VALUES ('{1,2}'::float8[])) AS v(c);
