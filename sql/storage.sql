-- Arm rows stay inline (no TOAST) up to d = 30; from d = 31 a state no
-- longer fits the page-sized row and goes to the TOAST table.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never

SELECT reloptions FROM pg_class WHERE oid = 'cmab_arm'::regclass;
SELECT attstorage FROM pg_attribute WHERE attrelid = 'cmab_arm'::regclass AND attname = 'state';

CREATE FUNCTION toast_bytes() RETURNS bigint LANGUAGE sql AS $$
    SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'cmab_arm'::regclass $$;

SELECT cmab_model_create('d15', 'linucb', dim => 15, arms => ARRAY(SELECT g::text FROM generate_series(1, 50) AS g)) > 0 AS created;
SELECT cmab_model_create('d30', 'linucb', dim => 30, arms => ARRAY(SELECT g::text FROM generate_series(1, 50) AS g)) > 0 AS created;
SELECT cmab_update('d30', '1', array_fill(0.5::float8, ARRAY[30]), 1) AS n;
SELECT m.name, min(pg_column_size(a.state)) AS stored_bytes, max(pg_column_size(a.state)) AS max_bytes
  FROM cmab_arm AS a JOIN cmab_model AS m USING (model_id) GROUP BY m.name ORDER BY m.name;
SELECT toast_bytes() AS toast_bytes_up_to_d30;

-- (an untrained state compresses well; a trained one does not)
SELECT cmab_model_create('d31', 'linucb', dim => 31, arms => '{x}') > 0 AS created;
SELECT max(cmab_update('d31', 'x', ARRAY(SELECT cmab_uniform(i, j) FROM generate_series(1, 31) AS j), 1)) AS n
  FROM generate_series(1, 5) AS i;
SELECT toast_bytes() > 0 AS toasted_at_d31;
