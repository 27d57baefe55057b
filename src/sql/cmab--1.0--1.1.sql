/* cmab 1.0 -> 1.1: model owners, privileges for every role, row-level security */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cmab UPDATE TO '1.1'" to load this file. \quit

-- Existing models belong to the role that runs the update (1.0 had no
-- owners); hand them on with UPDATE cmab_model SET owner = ... as needed.
ALTER TABLE @extschema@.cmab_model ADD COLUMN owner regrole NOT NULL DEFAULT current_user::regrole;

GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.cmab_model, @extschema@.cmab_arm TO PUBLIC;
GRANT USAGE ON SEQUENCE @extschema@.cmab_model_model_id_seq TO PUBLIC;
ALTER TABLE @extschema@.cmab_model ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.cmab_arm ENABLE ROW LEVEL SECURITY;
CREATE POLICY cmab_model_owner ON @extschema@.cmab_model
    USING (pg_catalog.pg_has_role(owner, 'MEMBER'))
    WITH CHECK (pg_catalog.pg_has_role(owner, 'MEMBER'));
CREATE POLICY cmab_arm_owner ON @extschema@.cmab_arm
    USING (EXISTS (SELECT 1 FROM @extschema@.cmab_model AS m WHERE m.model_id = cmab_arm.model_id));

-- functions whose bodies read the model row type change with it

CREATE OR REPLACE FUNCTION @extschema@.cmab_model_create(
    name text,
    policy text,
    dim integer,
    arms text[] DEFAULT NULL,
    alpha double precision DEFAULT 1,
    epsilon double precision DEFAULT 0.1,
    l2_lambda double precision DEFAULT 1,
    n_clusters integer DEFAULT 10,
    seed bigint DEFAULT 1237,
    feature_names text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id integer;
BEGIN
    IF name IS NULL OR policy IS NULL OR dim IS NULL OR alpha IS NULL OR epsilon IS NULL
       OR l2_lambda IS NULL OR n_clusters IS NULL OR seed IS NULL THEN
        RAISE EXCEPTION 'only arms and feature_names may be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF name = '' THEN
        RAISE EXCEPTION 'model name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF policy NOT IN ('random', 'popularity', 'thompson', 'lingreedy', 'linucb', 'lints', 'clusters_ts') THEN
        RAISE EXCEPTION 'unknown policy "%"', policy USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Valid policies are random, popularity, thompson, lingreedy, linucb, lints and clusters_ts.';
    END IF;
    IF dim < 0 OR dim > 1000 THEN
        RAISE EXCEPTION 'dim must be between 0 and 1000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF dim = 0 AND policy IN ('lingreedy', 'linucb', 'lints', 'clusters_ts') THEN
        RAISE EXCEPTION 'policy "%" needs a context dimension of at least 1', policy
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (alpha >= 0 AND alpha <= 1e12) THEN
        RAISE EXCEPTION 'alpha must be between 0 and 1e+12' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (epsilon >= 0 AND epsilon <= 1) THEN
        RAISE EXCEPTION 'epsilon must be between 0 and 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (l2_lambda >= 1e-12 AND l2_lambda <= 1e12) THEN
        RAISE EXCEPTION 'l2_lambda must be between 1e-12 and 1e+12' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF n_clusters < 1 OR n_clusters > 1000 THEN
        RAISE EXCEPTION 'n_clusters must be between 1 and 1000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(feature_names, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'feature_names must not contain null values' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF feature_names IS NOT NULL AND coalesce(cardinality(feature_names), 0) <> dim THEN
        RAISE EXCEPTION 'feature_names has % names but dim is %', cardinality(feature_names), dim
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- model names are unique across roles: another role's model of this name
    -- is invisible here, but still taken
    BEGIN
        INSERT INTO @extschema@.cmab_model (name, policy, dim, alpha, epsilon, l2_lambda,
                                            n_clusters, seed, feature_names)
        VALUES (name, policy, dim, alpha, epsilon, l2_lambda, n_clusters, seed, feature_names)
        RETURNING model_id INTO id;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'model "%" already exists', name USING ERRCODE = 'duplicate_object',
            HINT = 'Model names are shared by all roles; it may belong to a role whose models you cannot see.';
    END;
    IF arms IS NOT NULL THEN
        PERFORM @extschema@.cmab_arm_add(name, arms);
    END IF;
    RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.cmab_model_create(text, text, integer, text[], double precision,
    double precision, double precision, integer, bigint, text[])
IS 'creates a model (policy, parameters, context dimension) with optional arms';

-- fits and evaluations keep the caller's search_path for the caller's query only

CREATE FUNCTION @extschema@.cmab_fit_run(model text, query text, add_arms boolean,
                                         caller_search_path text)
RETURNS TABLE (arms_fitted integer, rows_used bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m @extschema@.cmab_model := @extschema@.cmab_model_get(model);
    v_arms text[];
    v_states bytea[];
    v_narms integer;
    v_null_arm boolean;
    v_bad_dim integer;
    v_rows bigint;
    v_binary boolean;
    v_min_reward double precision;
    v_ctx_ok boolean;
    v_centroids double precision[];
    v_bad text;
    v_prior bytea;
    v_kmeans_sql text;
    v_fit_sql text;
    v_expect_dim integer;
    src text;
BEGIN
    IF query IS NULL OR add_arms IS NULL THEN
        RAISE EXCEPTION 'query and add_arms must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- one fit at a time per model
    PERFORM 1 FROM @extschema@.cmab_model AS cm WHERE cm.model_id = m.model_id FOR UPDATE;
    src := pg_catalog.format('(%s) AS src(arm, context, reward)', query);

    -- Everything that is not the caller's query is decided here, with our
    -- search_path: while the caller's is in force (below) nothing but
    -- EXECUTE of these strings runs, since even an = in a plpgsql condition
    -- would be resolved through it.
    IF m.policy = 'clusters_ts' THEN
        v_kmeans_sql := pg_catalog.format(
            'SELECT @extschema@.cmab_kmeans_agg(src.context::double precision[], $1, $2) FROM %s', src);
    END IF;
    v_expect_dim := CASE WHEN m.policy IN ('lingreedy', 'linucb', 'lints') THEN m.dim ELSE m.n_clusters END;
    -- the fitted state of every arm in the data (arrays in the same order;
    -- no ORDER BY, which would sort megabytes of states)
    v_fit_sql := pg_catalog.format($q$
        SELECT pg_catalog.array_agg(f.arm), pg_catalog.array_agg(f.state),
               pg_catalog.count(*)::integer,
               coalesce(pg_catalog.sum(@extschema@.cmab_state_count(f.state)), 0)::bigint,
               coalesce(pg_catalog.bool_and(f.bin), true), pg_catalog.min(f.min_reward),
               pg_catalog.bool_and(f.ctx_ok), pg_catalog.bool_or(f.arm IS NULL),
               pg_catalog.min(@extschema@.cmab_state_dim(f.state))
                   FILTER (WHERE @extschema@.cmab_state_dim(f.state) OPERATOR(pg_catalog.<>) $1)
          FROM (SELECT src.arm::pg_catalog.text AS arm, %s AS state, %s
                  FROM %s
                 GROUP BY 1) AS f$q$,
        CASE
            WHEN m.policy IN ('lingreedy', 'linucb', 'lints')
                THEN '@extschema@.cmab_linear_agg(src.context::double precision[], src.reward::double precision, $2)'
            WHEN m.policy = 'clusters_ts'
                THEN '@extschema@.cmab_counts_agg(src.reward::double precision, '
                     '@extschema@.cmab_nearest_centroid($3, src.context::double precision[]), $4)'
            ELSE '@extschema@.cmab_counts_agg(src.reward::double precision)'
        END,
        -- what the reward rules of the policy need; the context-free policies
        -- do not read the context, but a bad one is still refused
        CASE WHEN m.policy IN ('lingreedy', 'linucb', 'lints')
             THEN 'true AS bin, NULL::double precision AS min_reward, true AS ctx_ok'
             ELSE 'pg_catalog.bool_and(src.reward::double precision OPERATOR(pg_catalog.=) ANY (''{0,1}'')) AS bin, '
                  'pg_catalog.min(src.reward::double precision) AS min_reward, '
                  || CASE WHEN m.policy = 'clusters_ts' THEN 'true'
                          ELSE 'pg_catalog.bool_and(@extschema@.cmab_check_context(src.context::double precision[], $5))'
                     END || ' AS ctx_ok'
        END,
        src);

    -- the caller's query runs with the caller's search_path (restored to
    -- ours below; on exit the function's SET clause restores the caller's)
    PERFORM pg_catalog.set_config('search_path', caller_search_path, true);
    IF v_kmeans_sql IS NOT NULL THEN
        EXECUTE v_kmeans_sql INTO v_centroids USING m.n_clusters, m.seed;
    END IF;
    EXECUTE v_fit_sql
       INTO v_arms, v_states, v_narms, v_rows, v_binary, v_min_reward, v_ctx_ok, v_null_arm, v_bad_dim
      USING v_expect_dim, m.l2_lambda, v_centroids, m.n_clusters, m.dim;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

    IF v_null_arm THEN
        RAISE EXCEPTION 'arm must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT v_binary AND m.policy IN ('thompson', 'clusters_ts') THEN
        RAISE EXCEPTION 'policy "%" needs rewards of 0 or 1', m.policy USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_min_reward < 0 AND m.policy = 'popularity' THEN
        RAISE EXCEPTION 'policy "popularity" needs non-negative rewards' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_bad_dim IS NOT NULL AND m.policy IN ('lingreedy', 'linucb', 'lints') THEN
        RAISE EXCEPTION 'context has % elements but model "%" expects %', v_bad_dim, model, m.dim
            USING ERRCODE = 'array_subscript_error';
    END IF;

    SELECT u.arm INTO v_bad FROM pg_catalog.unnest(v_arms) AS u(arm)
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.cmab_arm AS a WHERE a.model_id = m.model_id AND a.arm = u.arm)
     ORDER BY u.arm LIMIT 1;
    IF FOUND THEN
        IF NOT add_arms THEN
            RAISE EXCEPTION 'arm "%" does not exist in model "%"', v_bad, model
                USING ERRCODE = 'undefined_object',
                      HINT = 'Register it with cmab_arm_add(), or fit with add_arms => true.';
        END IF;
        PERFORM @extschema@.cmab_arm_add(model, pg_catalog.array_agg(u.arm ORDER BY u.arm))
           FROM pg_catalog.unnest(v_arms) AS u(arm)
          WHERE NOT EXISTS (SELECT 1 FROM @extschema@.cmab_arm AS a WHERE a.model_id = m.model_id AND a.arm = u.arm);
    END IF;

    -- every arm is rewritten once: fitted, or back to the prior
    UPDATE @extschema@.cmab_arm AS a SET state = f.state
      FROM ROWS FROM (pg_catalog.unnest(v_arms), pg_catalog.unnest(v_states)) AS f(arm, state)
     WHERE a.model_id = m.model_id AND a.arm = f.arm;
    v_prior := @extschema@.cmab_model_prior(m);
    UPDATE @extschema@.cmab_arm AS a SET state = v_prior
     WHERE a.model_id = m.model_id AND a.arm <> ALL (coalesce(v_arms, '{}'));

    UPDATE @extschema@.cmab_model AS cm
       SET centroids = v_centroids, fitted_at = pg_catalog.now(), fit_rows = v_rows
     WHERE cm.model_id = m.model_id;

    arms_fitted := coalesce(v_narms, 0);
    rows_used := v_rows;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.cmab_fit_run(text, text, boolean, text)
IS 'worker of cmab_fit_query: runs the caller''s query with the caller''s search_path, the rest with its own';

-- VOLATILE: writes the arm rows
CREATE OR REPLACE FUNCTION @extschema@.cmab_fit_query(model text, query text, add_arms boolean DEFAULT false)
RETURNS TABLE (arms_fitted integer, rows_used bigint)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM @extschema@.cmab_fit_run(model, query, add_arms,
                                          pg_catalog.current_setting('search_path'))
$$;
COMMENT ON FUNCTION @extschema@.cmab_fit_query(text, text, boolean)
IS 'fits a model from a query returning (arm, context, reward); replaces what it had learned';

CREATE FUNCTION @extschema@.cmab_evaluate_run(model text, test_query text, k integer,
                                              seed bigint, caller_search_path text)
RETURNS TABLE (auc double precision, ctr double precision, precision_at_k double precision,
               recall_at_k double precision, ndcg_at_k double precision, map_at_k double precision,
               matched_rows bigint, clicked_users bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_model @extschema@.cmab_model;
    v_sql text;
BEGIN
    v_model := @extschema@.cmab_model_get(model);
    IF test_query IS NULL OR k IS NULL OR seed IS NULL THEN
        RAISE EXCEPTION 'test_query, k and seed must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF k <= 0 THEN
        RAISE EXCEPTION 'k must be positive' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_model.dim = 0 THEN
        RAISE EXCEPTION 'cmab_evaluate needs a model with a context dimension of at least 1'
            USING ERRCODE = 'feature_not_supported';
    END IF;
    -- the test rows are staged in a temporary table of this name; a table
    -- of the caller's by that name is never dropped
    IF pg_catalog.to_regclass('pg_temp.cmab_evaluate_test') IS NOT NULL THEN
        RAISE EXCEPTION 'a temporary table named cmab_evaluate_test already exists'
            USING ERRCODE = 'duplicate_table', HINT = 'cmab_evaluate stages the test rows under that name.';
    END IF;
    v_sql := pg_catalog.format($q$
        CREATE TEMPORARY TABLE cmab_evaluate_test ON COMMIT DROP AS
        SELECT @extschema@.cmab_check_event_id(t.event_id::pg_catalog.int8) AS event_id,
               t.context::double precision[] AS context,
               t.arm::pg_catalog.text AS arm,
               @extschema@.cmab_check_reward(t.reward::double precision) AS reward,
               @extschema@.cmab_check_context(t.context::double precision[], %s) AS context_ok
          FROM (%s) AS t(event_id, context, arm, reward)$q$, v_model.dim, test_query);
    PERFORM pg_catalog.set_config('search_path', caller_search_path, true);
    EXECUTE v_sql;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF EXISTS (SELECT 1 FROM pg_temp.cmab_evaluate_test AS t GROUP BY t.event_id
                HAVING pg_catalog.count(DISTINCT t.context) > 1) THEN
        RAISE EXCEPTION 'an event of the test query has more than one context'
            USING ERRCODE = 'cardinality_violation', HINT = 'Every row of one event_id must carry the same context.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_temp.cmab_evaluate_test) THEN
        DROP TABLE pg_temp.cmab_evaluate_test;
        auc := NULL; ctr := NULL; precision_at_k := NULL; recall_at_k := NULL;
        ndcg_at_k := NULL; map_at_k := NULL; matched_rows := 0; clicked_users := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    RETURN QUERY
    WITH test AS MATERIALIZED (
        SELECT * FROM pg_temp.cmab_evaluate_test),
    events AS MATERIALIZED (
        SELECT e.event_id, e.context, pg_catalog.row_number() OVER (ORDER BY e.event_id) AS item
          FROM (SELECT DISTINCT ON (t.event_id) t.event_id, t.context
                  FROM test AS t ORDER BY t.event_id) AS e),
    recs AS MATERIALIZED (
        SELECT e.event_id, r.rank, r.arm, r.score
          FROM @extschema@.cmab_recommend_batch(model,
                   (SELECT pg_catalog.array_agg(e.context ORDER BY e.item) FROM events AS e), k, NULL::text[],
                   (SELECT pg_catalog.array_agg(pg_catalog.hashint8extended(e.event_id, seed) ORDER BY e.item)
                      FROM events AS e)) AS r
          JOIN events AS e ON e.item = r.item),
    matched AS (
        SELECT r.score, t.reward FROM recs AS r JOIN test AS t USING (event_id, arm)),
    ranked AS (
        SELECT (m.reward > 0)::integer AS pos,
               pg_catalog.rank() OVER (ORDER BY m.score)
                 + (pg_catalog.count(*) OVER (PARTITION BY m.score) - 1) / 2.0 AS avgrank
          FROM matched AS m),
    auc AS (
        SELECT CASE WHEN pg_catalog.sum(pos) > 0 AND pg_catalog.sum(1 - pos) > 0
                    THEN (pg_catalog.sum(avgrank * pos) - pg_catalog.sum(pos) * (pg_catalog.sum(pos) + 1) / 2.0)
                         / (pg_catalog.sum(pos) * pg_catalog.sum(1 - pos)) END::double precision AS auc,
               pg_catalog.avg(pos)::double precision AS ctr,
               pg_catalog.count(*) AS matched_rows
          FROM ranked),
    clicks AS (
        SELECT DISTINCT t.event_id, t.arm FROM test AS t WHERE t.reward > 0),
    users AS (
        SELECT c.event_id, pg_catalog.count(*) AS nclicks FROM clicks AS c GROUP BY c.event_id),
    hits AS (
        SELECT r.event_id, r.rank,
               pg_catalog.row_number() OVER (PARTITION BY r.event_id ORDER BY r.rank) AS nth
          FROM recs AS r JOIN clicks AS c USING (event_id, arm)),
    per_user AS (
        SELECT u.event_id, u.nclicks,
               pg_catalog.count(h.rank) AS nhits,
               coalesce(pg_catalog.sum(1.0 / pg_catalog.log(2.0, h.rank + 1.0)), 0) AS dcg,
               coalesce(pg_catalog.sum(h.nth::numeric / h.rank), 0) AS ap,
               (SELECT pg_catalog.sum(1.0 / pg_catalog.log(2.0, i + 1.0)) FROM pg_catalog.generate_series(1, u.nclicks) AS i) AS idcg
          FROM users AS u LEFT JOIN hits AS h USING (event_id)
         GROUP BY u.event_id, u.nclicks),
    ranking AS (
        SELECT pg_catalog.avg(nhits::numeric / k)::double precision AS precision_at_k,
               pg_catalog.avg(nhits::numeric / nclicks)::double precision AS recall_at_k,
               pg_catalog.avg(dcg / idcg)::double precision AS ndcg_at_k,
               pg_catalog.avg(ap / least(k, nclicks))::double precision AS map_at_k,
               pg_catalog.count(*) AS clicked_users
          FROM per_user)
    SELECT a.auc, a.ctr, r.precision_at_k, r.recall_at_k, r.ndcg_at_k, r.map_at_k,
           a.matched_rows, r.clicked_users
      FROM auc AS a, ranking AS r;
    DROP TABLE pg_temp.cmab_evaluate_test;
END
$$;
COMMENT ON FUNCTION @extschema@.cmab_evaluate_run(text, text, integer, bigint, text)
IS 'worker of cmab_evaluate: runs the caller''s query with the caller''s search_path, the rest with its own';

CREATE OR REPLACE FUNCTION @extschema@.cmab_evaluate(model text, test_query text, k integer DEFAULT 5,
                                          seed bigint DEFAULT 0)
RETURNS TABLE (auc double precision, ctr double precision, precision_at_k double precision,
               recall_at_k double precision, ndcg_at_k double precision, map_at_k double precision,
               matched_rows bigint, clicked_users bigint)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM @extschema@.cmab_evaluate_run(model, test_query, k, seed,
                                               pg_catalog.current_setting('search_path'))
$$;
COMMENT ON FUNCTION @extschema@.cmab_evaluate(text, text, integer, bigint)
IS 'offline evaluation of a model on a test query (event_id, context, arm, reward): AUC, CTR, precision, recall, NDCG and MAP at k';
