-- Models: create, arms, fit, recommend, update; and bad input, which must
-- change nothing.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

SELECT cmab_model_create('menu', 'linucb', dim => 3, arms => '{a,b,c,d}', alpha => 0.5) AS model_id;
SELECT name, policy, dim, alpha, epsilon, l2_lambda, n_clusters, seed FROM cmab_model;
SELECT * FROM cmab_model_arms('menu');

-- an untrained model recommends: every arm scores the prior, ties go to the
-- arm registered first
SELECT * FROM cmab_recommend('menu', '{1,0,0}', k => 3);

CREATE TABLE menu_log (item text, ctx float8[], clicked integer);
INSERT INTO menu_log VALUES
  ('a', '{1,0,0}', 1), ('a', '{0,1,0}', 0), ('b', '{0,1,0}', 1), ('b', '{0,0,1}', 1),
  ('c', '{1,1,0}', 0), ('c', '{1,0,1}', 0), ('a', '{1,0,1}', 1);

-- fit from a table, naming its columns
SELECT * FROM cmab_fit('menu', 'menu_log', arm_column => 'item', context_column => 'ctx', reward_column => 'clicked');
SELECT arm, n, reward_sum FROM cmab_model_arms('menu');
SELECT rank, arm, round(score::numeric, 6) AS score, round(expectation::numeric, 6) AS expectation
  FROM cmab_recommend('menu', '{1,0,0}', k => 4);

-- exclusion happens before the cut and the list is back-filled to k
SELECT rank, arm FROM cmab_recommend('menu', '{1,0,0}', k => 2, exclude => '{a,zzz}');
SELECT rank, arm FROM cmab_recommend('menu', '{1,0,0}', k => 3, exclude => '{a,b,c,d}');
-- k larger than the number of arms returns every arm
SELECT count(*) FROM cmab_recommend('menu', '{1,0,0}', k => 1000000);
-- usable in ORDER BY: the pure scorer over the arm rows agrees with cmab_recommend
SELECT a.arm, round(cmab_linucb_score(a.state, '{1,0,0}', 0.5)::numeric, 6) AS score
  FROM cmab_arm AS a JOIN cmab_model AS m USING (model_id)
 WHERE m.name = 'menu'
 ORDER BY cmab_linucb_score(a.state, '{1,0,0}', 0.5) DESC, a.arm_ord LIMIT 2;

-- update: one event, one arm; equals fitting on the log plus that event
SELECT cmab_update('menu', 'd', '{1,0,0}', 1) AS n;
SELECT cmab_update('menu', 'd', '{1,0,0}', 1) AS n;
INSERT INTO menu_log VALUES ('d', '{1,0,0}', 1), ('d', '{1,0,0}', 1);
SELECT cmab_model_create('menu_refit', 'linucb', dim => 3, arms => '{a,b,c,d}', alpha => 0.5) > 0 AS created;
SELECT * FROM cmab_fit_query('menu_refit', 'SELECT item, ctx, clicked FROM menu_log');
SELECT a.arm, (SELECT max(abs(x - y)) < 1e-12 FROM unnest(cmab_state_beta(a.state), cmab_state_beta(b.state)) AS u(x, y)) AS same
  FROM cmab_arm AS a JOIN cmab_arm AS b USING (arm)
 WHERE a.model_id = (SELECT model_id FROM cmab_model WHERE name = 'menu')
   AND b.model_id = (SELECT model_id FROM cmab_model WHERE name = 'menu_refit')
 ORDER BY a.arm;

-- fitting on zero rows leaves every arm at the prior, and recommending works
SELECT * FROM cmab_fit_query('menu_refit', 'SELECT item, ctx, clicked FROM menu_log WHERE false');
SELECT arm, n FROM cmab_model_arms('menu_refit');
SELECT rank, arm FROM cmab_recommend('menu_refit', '{0,1,0}', k => 2);

-- arms: add, remove, refit with new arms
SELECT cmab_arm_add('menu', '{e}') AS added;
SELECT arm, arm_ord FROM cmab_model_arms('menu');
SELECT cmab_arm_remove('menu', 'e');
INSERT INTO menu_log VALUES ('f', '{0,0,1}', 1);
SELECT * FROM cmab_fit_query('menu_refit', 'SELECT item, ctx, clicked FROM menu_log');
SELECT * FROM cmab_fit_query('menu_refit', 'SELECT item, ctx, clicked FROM menu_log', add_arms => true);
SELECT arm, arm_ord, n FROM cmab_model_arms('menu_refit');
DELETE FROM menu_log WHERE item = 'f';

-- Bad input: a specific error each, and the stored model unchanged
CREATE TABLE snapshot AS SELECT model_id, arm, md5(state) AS h FROM cmab_arm;
SELECT cmab_recommend('nope', '{1,0,0}');
SELECT cmab_recommend(NULL, '{1,0,0}');
SELECT cmab_recommend('menu', NULL);
SELECT cmab_recommend('menu', '{1,0}');
SELECT cmab_recommend('menu', '{1,0,0,0}');
SELECT cmab_recommend('menu', '{1,NaN,0}');
SELECT cmab_recommend('menu', '{1,NULL,0}');
SELECT cmab_recommend('menu', '{1,0,0}', k => 0);
SELECT cmab_recommend('menu', '{1,0,0}', k => -3);
SELECT cmab_recommend('menu', '{1,0,0}', k => NULL);
SELECT cmab_update('nope', 'a', '{1,0,0}', 1);
SELECT cmab_update('menu', 'zzz', '{1,0,0}', 1);
SELECT cmab_update('menu', NULL, '{1,0,0}', 1);
SELECT cmab_update('menu', 'a', '{1,0}', 1);
SELECT cmab_update('menu', 'a', '{1,Infinity,0}', 1);
SELECT cmab_update('menu', 'a', '{1,-Infinity,0}', 1);
SELECT cmab_update('menu', 'a', NULL, 1);
SELECT cmab_update('menu', 'a', '{1,0,0}', 'NaN');
SELECT cmab_update('menu', 'a', '{1,0,0}', NULL);
SELECT cmab_model_create('menu', 'linucb', dim => 3);
SELECT cmab_model_create('m2', 'linucb', dim => 3, alpha => -1);
SELECT cmab_model_create('m2', 'linucb', dim => 3, l2_lambda => 0);
SELECT cmab_model_create('m2', 'linucb', dim => 3, l2_lambda => -2);
SELECT cmab_model_create('m2', 'linucb', dim => 3, alpha => 'NaN');
SELECT cmab_model_create('m2', 'lingreedy', dim => 3, epsilon => 1.5);
SELECT cmab_model_create('m2', 'linucb', dim => 0);
SELECT cmab_model_create('m2', 'linucb', dim => 1001);
SELECT cmab_model_create('m2', 'ucb2', dim => 3);
SELECT cmab_model_create('m2', 'linucb', dim => 3, feature_names => '{x,y}');
SELECT cmab_model_create('', 'linucb', dim => 3);
SELECT cmab_model_create(NULL, 'linucb', dim => 3);
SELECT cmab_model_create('m2', 'linucb', dim => 3, arms => '{a,a}');
SELECT cmab_model_create('m2', 'linucb', dim => 3, arms => '{a,NULL}');
SELECT cmab_arm_add('menu', '{a}');
SELECT cmab_arm_add('menu', NULL);
SELECT cmab_arm_remove('menu', 'zzz');
SELECT cmab_model_drop('nope');
-- a training row whose context has NaN (a user without features) fails the fit
INSERT INTO menu_log VALUES ('a', '{1,NaN,0}', 1);
SELECT * FROM cmab_fit('menu', 'menu_log', arm_column => 'item', context_column => 'ctx', reward_column => 'clicked');
DELETE FROM menu_log WHERE ctx[2] = 'NaN';
INSERT INTO menu_log VALUES ('a', '{1,0}', 1);
SELECT * FROM cmab_fit('menu', 'menu_log', arm_column => 'item', context_column => 'ctx', reward_column => 'clicked');
DELETE FROM menu_log WHERE cardinality(ctx) = 2;
INSERT INTO menu_log VALUES ('a', NULL, 1);
SELECT * FROM cmab_fit('menu', 'menu_log', arm_column => 'item', context_column => 'ctx', reward_column => 'clicked');
DELETE FROM menu_log WHERE ctx IS NULL;
INSERT INTO menu_log VALUES (NULL, '{1,0,0}', 1);
SELECT * FROM cmab_fit('menu', 'menu_log', arm_column => 'item', context_column => 'ctx', reward_column => 'clicked');
DELETE FROM menu_log WHERE item IS NULL;
SELECT * FROM cmab_fit('menu', 'menu_log', arm_column => 'nosuchcolumn');
SELECT * FROM cmab_fit('menu', 'no_such_table');
SELECT * FROM cmab_fit_query('menu', 'SELECT 1');
-- a damaged stored state is reported, not used
BEGIN;
UPDATE cmab_arm SET state = substr(state, 1, 100) WHERE arm = 'b' AND model_id = (SELECT model_id FROM cmab_model WHERE name = 'menu');
SELECT cmab_recommend('menu', '{1,0,0}');
ROLLBACK;
-- nothing above changed a stored state
SELECT count(*) AS changed FROM cmab_arm AS a JOIN snapshot AS s USING (model_id, arm) WHERE md5(a.state) <> s.h;
SELECT count(*) AS arms FROM cmab_arm;

SELECT cmab_model_drop('menu_refit');
SELECT name FROM cmab_model;
