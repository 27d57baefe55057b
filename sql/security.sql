-- Privileges, row-level security, a hostile search_path and injection.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
DROP ROLE IF EXISTS cmab_alice;
DROP ROLE IF EXISTS cmab_bob;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

-- nothing runs with elevated rights
SELECT count(*) AS security_definer FROM pg_proc AS p
  JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'cmab'
 WHERE p.prosecdef;

CREATE ROLE cmab_alice;
CREATE ROLE cmab_bob;
GRANT CREATE, USAGE ON SCHEMA public TO cmab_alice, cmab_bob;

-- a role without any special right creates and uses a model of its own
SET ROLE cmab_alice;
CREATE TABLE alice_log (item text, ctx float8[], clicked integer);
INSERT INTO alice_log VALUES ('a', '{1,0}', 1), ('b', '{0,1}', 1), ('a', '{0,1}', 0);
SELECT cmab_model_create('alice_menu', 'linucb', dim => 2, arms => '{a,b}') > 0 AS created;
SELECT * FROM cmab_fit('alice_menu', 'alice_log', 'item', 'ctx', 'clicked');
SELECT rank, arm FROM cmab_recommend('alice_menu', '{1,0}', k => 2);
SELECT cmab_update('alice_menu', 'a', '{1,0}', 1) AS n;
SELECT name, owner FROM cmab_model;
CREATE TABLE pg_temp.before AS SELECT arm, md5(state) AS h FROM cmab_arm;
RESET ROLE;

-- another role sees nothing of it and can change nothing
SET ROLE cmab_bob;
SELECT count(*) AS models_visible FROM cmab_model;
SELECT count(*) AS arms_visible FROM cmab_arm;
SELECT cmab_recommend('alice_menu', '{1,0}');
SELECT cmab_update('alice_menu', 'a', '{1,0}', 1);
SELECT cmab_arm_add('alice_menu', '{c}');
SELECT cmab_model_drop('alice_menu');
SELECT * FROM cmab_fit_query('alice_menu', 'SELECT ''a'', ''{1,1}''::float8[], 1');
UPDATE cmab_arm SET state = cmab_state_prior(2);
DELETE FROM cmab_arm;
UPDATE cmab_model SET alpha = 100;
-- a model of one's own cannot be handed to another role
INSERT INTO cmab_model (name, policy, dim, alpha, epsilon, l2_lambda, n_clusters, seed, owner)
VALUES ('planted', 'linucb', 2, 1, 0.1, 1, 10, 1, 'cmab_alice');
-- model names are shared by all roles
SELECT cmab_model_create('alice_menu', 'linucb', dim => 2);
RESET ROLE;

SET ROLE cmab_alice;
SELECT count(*) AS arms_changed FROM cmab_arm AS a JOIN pg_temp.before AS b USING (arm) WHERE md5(a.state) <> b.h;
SELECT alpha FROM cmab_model WHERE name = 'alice_menu';
RESET ROLE;

-- a hostile search_path: look-alike functions and operators earlier on the
-- path are never called by cmab
CREATE SCHEMA evil;
CREATE FUNCTION evil.cmab_state_add(bytea, float8[], float8, integer) RETURNS bytea
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'evil cmab_state_add called'; END $$;
CREATE FUNCTION evil.cmab_model_get(text) RETURNS cmab_model
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'evil cmab_model_get called'; END $$;
CREATE FUNCTION evil.texteq(text, text) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'evil = called'; END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
CREATE FUNCTION evil.int4eq(integer, integer) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'evil int = called'; END $$;
CREATE OPERATOR evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4eq);
CREATE FUNCTION evil.array_agg(anynonarray) RETURNS anyarray
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'evil array_agg called'; END $$;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
SET ROLE cmab_alice;
SET search_path = evil, public, pg_catalog;
SELECT rank, arm FROM cmab_recommend('alice_menu', '{1,0}', k => 2);
SELECT count(*) FROM cmab_recommend_batch('alice_menu', '{{1,0},{0,1}}', k => 2);
SELECT cmab_update('alice_menu', 'b', '{0,1}', 1) AS n;
SELECT * FROM cmab_fit('alice_menu', 'alice_log', 'item', 'ctx', 'clicked');
SELECT * FROM cmab_fit_query('alice_menu', 'SELECT item, ctx, clicked FROM public.alice_log');
SELECT matched_rows FROM cmab_evaluate('alice_menu', 'SELECT row_number() OVER (), ctx, item, clicked FROM public.alice_log');
SELECT cmab_arm_add('alice_menu', '{c}') AS added;
SELECT cmab_arm_remove('alice_menu', 'c');
SELECT arm, n FROM cmab_model_arms('alice_menu');
RESET search_path;

-- a look-alike overload in the extension's own schema, which a role with
-- CREATE there can add, is never picked by cmab's internal calls either
-- (an untyped NULL once let this one win inside cmab_evaluate)
CREATE FUNCTION public.cmab_recommend_batch(model text, contexts float8[], k int, exclude text, seeds bigint[])
RETURNS TABLE (item int, rank int, arm text, score float8, expectation float8)
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'look-alike cmab_recommend_batch called'; END $$;
SELECT matched_rows FROM cmab_evaluate('alice_menu', 'SELECT row_number() OVER (), ctx, item, clicked FROM public.alice_log');
DROP FUNCTION public.cmab_recommend_batch(text, float8[], int, text, bigint[]);

-- names in fits are quoted identifiers or regclass: injection fails
SELECT * FROM cmab_fit('alice_menu', 'alice_log; DROP TABLE alice_log');
SELECT * FROM cmab_fit('alice_menu', 'alice_log', arm_column => 'item", 1, 1 FROM alice_log; DROP TABLE alice_log; --');
SELECT count(*) AS alice_log_still_there FROM alice_log;
DROP TABLE pg_temp.before;
RESET ROLE;

SET client_min_messages = warning;
DROP SCHEMA evil CASCADE;
DROP TABLE alice_log;
DROP EXTENSION cmab CASCADE;
REVOKE ALL ON SCHEMA public FROM cmab_alice, cmab_bob;
DROP ROLE cmab_alice;
DROP ROLE cmab_bob;
CREATE EXTENSION cmab;
