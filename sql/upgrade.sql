-- The upgrade path: install 1.0, use it, update to the current version; the
-- model keeps working and the updated extension equals a fresh install.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

CREATE EXTENSION cmab VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'cmab';
SELECT cmab_model_create('old', 'linucb', dim => 2, arms => '{a,b}') > 0 AS created;
SELECT cmab_update('old', 'a', '{1,0}', 1) AS n;
CREATE TEMP TABLE states_before AS SELECT arm, state FROM cmab_arm;

ALTER EXTENSION cmab UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'cmab';
SELECT name, owner = current_user::regrole AS owned_by_updater FROM cmab_model;
SELECT a.arm, a.state = b.state AS state_unchanged
  FROM cmab_arm AS a JOIN states_before AS b USING (arm) ORDER BY a.arm;
SELECT rank, arm FROM cmab_recommend('old', '{1,0}', k => 2);
SELECT cmab_update('old', 'b', '{0,1}', 1) AS n;
SELECT * FROM cmab_fit_query('old', $$SELECT 'a', '{1,1}'::float8[], 1$$);

-- what the extension consists of, after the update ...
CREATE TEMP VIEW cmab_objects AS
SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
       || ' ' || p.provolatile::text || p.proparallel::text || p.proisstrict::text || p.prosecdef::text
       || ' ' || coalesce(array_to_string(p.proconfig, ','), '') || ' ' || md5(p.prosrc)
       || ' ' || pg_get_function_result(p.oid) || ' ' || coalesce(obj_description(p.oid, 'pg_proc'), '-') AS obj
  FROM pg_proc AS p JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cmab') AND d.deptype = 'e'
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' ' || a.attnotnull::text || ' ' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '')
  FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef AS ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
 WHERE c.relname IN ('cmab_model', 'cmab_arm')
UNION ALL
SELECT 'table ' || c.relname || ' rls=' || c.relrowsecurity::text || ' ' || coalesce(array_to_string(c.reloptions, ','), '')
       || ' ' || coalesce(array_to_string(c.relacl, ','), '')
  FROM pg_class AS c WHERE c.relname IN ('cmab_model', 'cmab_arm', 'cmab_model_model_id_seq')
UNION ALL
SELECT 'policy ' || pol.polname || ' ' || pg_get_expr(pol.polqual, pol.polrelid)
       || ' ' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')
  FROM pg_policy AS pol
UNION ALL
SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE conrelid IN (SELECT oid FROM pg_class WHERE relname IN ('cmab_model', 'cmab_arm'));
CREATE TEMP TABLE updated AS SELECT obj FROM cmab_objects;

-- ... and after a fresh install
SET client_min_messages = warning;
DROP EXTENSION cmab CASCADE;
RESET client_min_messages;
CREATE EXTENSION cmab;
SELECT count(*) > 40 AS many_objects FROM updated;
SELECT 'only after update' AS side, obj FROM (SELECT obj FROM updated EXCEPT SELECT obj FROM cmab_objects) AS x
UNION ALL
SELECT 'only in a fresh install', obj FROM (SELECT obj FROM cmab_objects EXCEPT SELECT obj FROM updated) AS y
ORDER BY 1, 2;
