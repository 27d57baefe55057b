-- Timings of bulk operations: each run several times, median and max in ms.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE TEMP TABLE timing (op text, run integer, ms double precision);

CREATE FUNCTION pg_temp.timeit(op text, sql text, runs integer DEFAULT 7) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    FOR r IN 1 .. runs LOOP
        t0 := clock_timestamp();
        EXECUTE sql;
        INSERT INTO timing VALUES (op, r, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
END $$;

CREATE TEMP TABLE ctx2000 AS
SELECT array_agg(context ORDER BY event_id) AS c FROM log100k WHERE event_id > 98000;
CREATE TEMP TABLE seeds2000 AS
SELECT array_agg(event_id::bigint ORDER BY event_id) AS s FROM log100k WHERE event_id > 98000;

SELECT pg_temp.timeit('floor: GROUP BY arm scan, 10k events',
    'SELECT count(*) FROM (SELECT arm, count(*), sum(reward) FROM log10k GROUP BY arm) AS g');
SELECT pg_temp.timeit('fit 10k events x 200 arms',
    'SELECT cmab_fit_query(''m200'', ''SELECT arm, context, reward FROM log10k'')');
SELECT pg_temp.timeit('floor: GROUP BY arm scan, 100k events',
    'SELECT count(*) FROM (SELECT arm, count(*), sum(reward) FROM log100k GROUP BY arm) AS g', 5);
SET max_parallel_workers_per_gather = 0;
SELECT pg_temp.timeit('fit 100k events x 2000 arms',
    'SELECT cmab_fit_query(''m2000'', ''SELECT arm, context, reward FROM log100k'')', 5);
RESET max_parallel_workers_per_gather;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT pg_temp.timeit('fit 100k events x 2000 arms, parallel plan',
    'SELECT cmab_fit_query(''m2000'', ''SELECT arm, context, reward FROM log100k'')', 5);
RESET ALL;
SET client_min_messages = warning;
-- the fits above left dead arm rows behind; autovacuum would clear them,
-- here we do not wait for it
VACUUM ANALYZE cmab_arm;
SELECT pg_temp.timeit('score 2000 contexts x 200 arms, top-5',
    'SELECT count(*) FROM cmab_recommend_batch(''m200'', (SELECT c FROM ctx2000), 5, NULL, (SELECT s FROM seeds2000))', 9);
-- the demo's step 7 on the demo's log: six policies created, fitted on
-- 8,000 events and evaluated on 2,000 (test/demo/cafe.sql, loaded by bench.sh)
SET search_path = cafe, public;
SELECT pg_temp.timeit('six-policy offline benchmark, 10k events',
    'SELECT count(*) FROM cafe.benchmark(1237)', 3);
RESET search_path;

\pset format unaligned
\pset tuples_only on
\pset fieldsep '|'
\o :outfile
SELECT op, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), max(ms) FROM timing GROUP BY op;
SELECT 'bytes per arm, d = ' || i.dim, percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_column_size(a.state)), NULL
  FROM cmab_arm AS a CROSS JOIN LATERAL cmab_state_info(a.state) AS i
 WHERE a.model_id IN (SELECT model_id FROM cmab_model WHERE name IN ('m200', 'm200_d50', 'm200_d100'))
 GROUP BY i.dim;
SELECT 'toast bytes of cmab_arm', pg_relation_size(reltoastrelid), NULL FROM pg_class WHERE oid = 'cmab_arm'::regclass;
SELECT 'blas', (SELECT setting FROM pg_settings WHERE name = 'server_version'), NULL;
\o
