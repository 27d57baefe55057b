-- Data and models for the benchmark (test/bench/bench.sh).  Seeded: the
-- same every run.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
DROP TABLE IF EXISTS log100k, log10k, plain_arm, plain_log CASCADE;

-- 100,000 events over 2,000 arms, d = 15 (uniform contexts, clicks ~15%)
CREATE TABLE log100k AS
SELECT i AS event_id,
       (1 + floor(cmab_uniform(11, i) * 2000))::integer AS arm,
       ARRAY(SELECT round(cmab_uniform(12, i::bigint * 16 + j)::numeric, 3)::float8
               FROM generate_series(1, 15) AS j) AS context,
       (cmab_uniform(13, i) < 0.15)::integer::float8 AS reward
  FROM generate_series(1, 100000) AS i;
-- the first 10,000 events over 200 arms
CREATE TABLE log10k AS
SELECT event_id, (1 + (arm - 1) % 200)::text AS arm, context, reward
  FROM log100k WHERE event_id <= 10000;
ALTER TABLE log100k ALTER COLUMN arm TYPE text;
ANALYZE log100k;
ANALYZE log10k;

SELECT cmab_model_create('m200', 'linucb', dim => 15,
       arms => ARRAY(SELECT g::text FROM generate_series(1, 200) AS g));
SELECT cmab_model_create('m2000', 'linucb', dim => 15,
       arms => ARRAY(SELECT g::text FROM generate_series(1, 2000) AS g));
SELECT * FROM cmab_fit_query('m200', 'SELECT arm, context, reward FROM log10k');
SELECT * FROM cmab_fit_query('m2000', 'SELECT arm, context, reward FROM log100k');

-- d = 50 and d = 100, 200 arms each, 20 events an arm
DO $$
DECLARE
    d integer;
BEGIN
    FOREACH d IN ARRAY ARRAY[50, 100] LOOP
        PERFORM cmab_model_create('m200_d' || d, 'linucb', dim => d,
                arms => ARRAY(SELECT g::text FROM generate_series(1, 200) AS g));
        EXECUTE format($q$
            SELECT cmab_fit_query('m200_d%1$s', $s$
                SELECT (1 + i %% 200)::text,
                       ARRAY(SELECT cmab_uniform(21, i::bigint * 128 + j) FROM generate_series(1, %1$s) AS j),
                       (cmab_uniform(22, i) < 0.15)::integer
                  FROM generate_series(1, 4000) AS i $s$)$q$, d);
    END LOOP;
END $$;

-- the floors: a plain table with rows of the same size as m200's arms, and
-- a plain log to scan
CREATE TABLE plain_arm (id integer PRIMARY KEY, state bytea NOT NULL);
INSERT INTO plain_arm
SELECT a.arm_ord, a.state FROM cmab_arm AS a
 WHERE a.model_id = (SELECT model_id FROM cmab_model WHERE name = 'm200');
ANALYZE plain_arm;
VACUUM ANALYZE cmab_arm;
CHECKPOINT;
