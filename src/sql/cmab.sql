/* cmab: contextual multi-armed bandits inside PostgreSQL (install script of the current version) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cmab" to load this file. \quit

--------------------------------------------------------------------------
-- Model registry: one row per model, one row per (model, arm)
--------------------------------------------------------------------------

CREATE TABLE @extschema@.cmab_model (
    model_id      serial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    policy        text NOT NULL,
    dim           integer NOT NULL,
    alpha         double precision NOT NULL,
    epsilon       double precision NOT NULL,
    l2_lambda     double precision NOT NULL,
    n_clusters    integer NOT NULL,
    seed          bigint NOT NULL,
    feature_names text[],
    centroids     double precision[],
    created_at    timestamptz NOT NULL DEFAULT now(),
    fitted_at     timestamptz,
    fit_rows      bigint,
    owner         regrole NOT NULL DEFAULT current_user::regrole,
    CHECK (policy IN ('random', 'popularity', 'thompson', 'lingreedy',
                      'linucb', 'lints', 'clusters_ts')),
    CHECK (dim BETWEEN 0 AND 1000),
    CHECK (alpha >= 0 AND alpha <= 1e12),
    CHECK (epsilon BETWEEN 0 AND 1),
    CHECK (l2_lambda >= 1e-12 AND l2_lambda <= 1e12),
    CHECK (n_clusters BETWEEN 1 AND 1000)
);
COMMENT ON TABLE @extschema@.cmab_model IS 'cmab models: policy, parameters and context dimension';

-- States stay inline: a d = 15 state is about 2 kB, and the toaster is told
-- to leave rows alone below a full page so a recommendation never fetches
-- TOAST chunks.  Pages are left half empty so that an update finds room for
-- the new row version beside the old one (a HOT update: no new index entry,
-- less WAL).  See README, "Storage".
CREATE TABLE @extschema@.cmab_arm (
    model_id integer NOT NULL REFERENCES @extschema@.cmab_model ON DELETE CASCADE,
    arm      text NOT NULL,
    arm_ord  integer NOT NULL,
    state    bytea NOT NULL,
    PRIMARY KEY (model_id, arm)
) WITH (toast_tuple_target = 8160, fillfactor = 50);
ALTER TABLE @extschema@.cmab_arm ALTER COLUMN state SET STORAGE MAIN;
COMMENT ON TABLE @extschema@.cmab_arm IS 'cmab arms: one row per (model, arm) holding the arm''s learned state';

-- models are user data: pg_dump must dump their rows
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cmab_model', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cmab_model_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cmab_arm', '');

-- Any role may create and use models; row-level security shows a model and
-- its arms only to members of the role that owns it (superusers and the
-- extension's owner see all).  Functions run with the caller's rights.
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.cmab_model, @extschema@.cmab_arm TO PUBLIC;
GRANT USAGE ON SEQUENCE @extschema@.cmab_model_model_id_seq TO PUBLIC;
ALTER TABLE @extschema@.cmab_model ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.cmab_arm ENABLE ROW LEVEL SECURITY;
CREATE POLICY cmab_model_owner ON @extschema@.cmab_model
    USING (pg_catalog.pg_has_role(owner, 'MEMBER'))
    WITH CHECK (pg_catalog.pg_has_role(owner, 'MEMBER'));
-- an arm is visible where its model is (the subquery sees cmab_model
-- through cmab_model's own policy)
CREATE POLICY cmab_arm_owner ON @extschema@.cmab_arm
    USING (EXISTS (SELECT 1 FROM @extschema@.cmab_model AS m WHERE m.model_id = cmab_arm.model_id));

--------------------------------------------------------------------------
-- Arm states: pure functions over bytea
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cmab_state_prior(dim integer, l2_lambda double precision DEFAULT 1)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_state_prior(integer, double precision)
IS 'state of an untrained linear arm: A = l2_lambda I, b = 0';

CREATE FUNCTION @extschema@.cmab_counts_prior(slots integer DEFAULT 1)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_counts_prior(integer)
IS 'state of an untrained context-free arm (one slot per cluster)';

-- not STRICT: a NULL context or reward is an error, never a silent NULL state
CREATE FUNCTION @extschema@.cmab_state_add(state bytea, context double precision[],
                                           reward double precision, slot integer DEFAULT 0)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_state_add(bytea, double precision[], double precision, integer)
IS 'the state with one more observation (MABWiser partial_fit of one event), O(d^2)';

CREATE FUNCTION @extschema@.cmab_state_merge(a bytea, b bytea)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_state_merge(bytea, bytea)
IS 'a state holding the observations of both (same dimension and l2_lambda)';

CREATE FUNCTION @extschema@.cmab_state_info(state bytea,
    OUT format_version integer, OUT family text, OUT dim integer, OUT n bigint,
    OUT reward_sum double precision, OUT l2_lambda double precision,
    OUT has_factor boolean, OUT bytes integer)
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_state_info(bytea)
IS 'validates a stored state and shows what it holds';

CREATE FUNCTION @extschema@.cmab_state_dim(state bytea)
RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_state_dim(bytea)
IS 'the dimension (context length, or slots) of a state, from its validated header alone';

CREATE FUNCTION @extschema@.cmab_state_count(state bytea)
RETURNS bigint
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_state_count(bytea)
IS 'the observation count of a state, from its validated header alone';

CREATE FUNCTION @extschema@.cmab_state_beta(state bytea)
RETURNS double precision[]
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_state_beta(bytea)
IS 'ridge coefficients beta = A^-1 b of a linear state';

--------------------------------------------------------------------------
-- Scoring: pure functions of (state, context, parameters)
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cmab_linucb_score(state bytea, context double precision[],
                                              alpha double precision DEFAULT 1)
RETURNS double precision
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_linucb_score(bytea, double precision[], double precision)
IS 'LinUCB score x.beta + alpha sqrt(x'' A^-1 x)';

CREATE FUNCTION @extschema@.cmab_linear_expectation(state bytea, context double precision[])
RETURNS double precision
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_linear_expectation(bytea, double precision[])
IS 'ridge expectation x.beta (LinGreedy''s exploiting score)';

CREATE FUNCTION @extschema@.cmab_lints_score(state bytea, context double precision[],
                                             alpha double precision DEFAULT 1,
                                             seed bigint DEFAULT 0)
RETURNS double precision
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_lints_score(bytea, double precision[], double precision, bigint)
IS 'LinTS score x.beta~ with beta~ ~ N(beta, alpha^2 A^-1) drawn from the seed';

CREATE FUNCTION @extschema@.cmab_thompson_score(state bytea, seed bigint DEFAULT 0,
                                                slot integer DEFAULT 0)
RETURNS double precision
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_thompson_score(bytea, bigint, integer)
IS 'Thompson sampling draw Beta(1 + successes, 1 + failures) from the seed';

CREATE FUNCTION @extschema@.cmab_nearest_centroid(centroids double precision[],
                                                  context double precision[])
RETURNS integer
AS 'MODULE_PATHNAME', 'cmab_nearest_centroid_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_nearest_centroid(double precision[], double precision[])
IS 'index (from 0) of the nearest row of a k x d centroid matrix';

CREATE FUNCTION @extschema@.cmab_sigmoid(x double precision)
RETURNS double precision
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_sigmoid(double precision)
IS '1 / (1 + exp(-x)): expectation to score, as Mab2Rec does';

-- validation helpers used by the SQL functions below; not STRICT: a NULL is
-- what some of them exist to refuse
CREATE FUNCTION @extschema@.cmab_check_context(context double precision[], dim integer)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_check_context(double precision[], integer)
IS 'true, or an error if the context is not a finite vector of the given length';

CREATE FUNCTION @extschema@.cmab_check_reward(reward double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'cmab_check_reward_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_check_reward(double precision)
IS 'the reward, or an error if it is NULL, NaN, infinite or out of range';

CREATE FUNCTION @extschema@.cmab_check_event_id(event_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_check_event_id(bigint)
IS 'the event id, or an error if it is NULL';

--------------------------------------------------------------------------
-- Seeded randomness and text features, for simulations and feature work
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cmab_uniform(seed bigint, stream bigint)
RETURNS double precision
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_uniform(bigint, bigint)
IS 'a uniform number in [0, 1) determined by (seed, stream)';

CREATE FUNCTION @extschema@.cmab_normal(seed bigint, stream bigint)
RETURNS double precision
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_normal(bigint, bigint)
IS 'a standard normal number determined by (seed, stream)';

CREATE FUNCTION @extschema@.cmab_tokenize(doc text)
RETURNS text[]
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_tokenize(text)
IS 'lower-cased tokens of two or more word characters';

CREATE FUNCTION @extschema@.cmab_text_model_fit(docs text[], n_components integer DEFAULT 10,
    OUT terms text[], OUT idf double precision[], OUT components double precision[])
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_text_model_fit(text[], integer)
IS 'fits a TF-IDF + truncated SVD text embedding; store the result to embed new text the same way';

CREATE FUNCTION @extschema@.cmab_text_embed(doc text, terms text[], idf double precision[],
                                            components double precision[])
RETURNS double precision[]
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_text_embed(text, text[], double precision[], double precision[])
IS 'embeds a document with a model from cmab_text_model_fit';

--------------------------------------------------------------------------
-- Aggregates: fit arm states from rows; parallel-safe with combine
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.cmab_linear_agg_transfn(internal, double precision[], double precision)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.cmab_linear_agg_transfn(internal, double precision[], double precision,
                                                    double precision)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.cmab_counts_agg_transfn(internal, double precision)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.cmab_counts_agg_transfn(internal, double precision, integer, integer)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.cmab_agg_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.cmab_agg_serial(internal)
RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cmab_agg_deserial(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cmab_agg_final(internal)
RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cmab_linear_agg_transfn(internal, double precision[], double precision)
IS 'transition function of cmab_linear_agg';
COMMENT ON FUNCTION @extschema@.cmab_linear_agg_transfn(internal, double precision[], double precision, double precision)
IS 'transition function of cmab_linear_agg';
COMMENT ON FUNCTION @extschema@.cmab_counts_agg_transfn(internal, double precision)
IS 'transition function of cmab_counts_agg';
COMMENT ON FUNCTION @extschema@.cmab_counts_agg_transfn(internal, double precision, integer, integer)
IS 'transition function of cmab_counts_agg';
COMMENT ON FUNCTION @extschema@.cmab_agg_combine(internal, internal) IS 'combine function of the cmab fitting aggregates';
COMMENT ON FUNCTION @extschema@.cmab_agg_serial(internal) IS 'serial function of the cmab fitting aggregates';
COMMENT ON FUNCTION @extschema@.cmab_agg_deserial(bytea, internal) IS 'deserial function of the cmab fitting aggregates';
COMMENT ON FUNCTION @extschema@.cmab_agg_final(internal) IS 'final function of the cmab fitting aggregates';

CREATE AGGREGATE @extschema@.cmab_linear_agg(context double precision[], reward double precision) (
    SFUNC = @extschema@.cmab_linear_agg_transfn, STYPE = internal, SSPACE = 2200,
    FINALFUNC = @extschema@.cmab_agg_final,
    COMBINEFUNC = @extschema@.cmab_agg_combine,
    SERIALFUNC = @extschema@.cmab_agg_serial, DESERIALFUNC = @extschema@.cmab_agg_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cmab_linear_agg(double precision[], double precision)
IS 'fits a linear arm state (ridge, l2_lambda = 1) from (context, reward) rows';

CREATE AGGREGATE @extschema@.cmab_linear_agg(context double precision[], reward double precision,
                                            l2_lambda double precision) (
    SFUNC = @extschema@.cmab_linear_agg_transfn, STYPE = internal, SSPACE = 2200,
    FINALFUNC = @extschema@.cmab_agg_final,
    COMBINEFUNC = @extschema@.cmab_agg_combine,
    SERIALFUNC = @extschema@.cmab_agg_serial, DESERIALFUNC = @extschema@.cmab_agg_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cmab_linear_agg(double precision[], double precision, double precision)
IS 'fits a linear arm state (ridge with the given l2_lambda) from (context, reward) rows';

CREATE AGGREGATE @extschema@.cmab_counts_agg(reward double precision) (
    SFUNC = @extschema@.cmab_counts_agg_transfn, STYPE = internal, SSPACE = 120,
    FINALFUNC = @extschema@.cmab_agg_final,
    COMBINEFUNC = @extschema@.cmab_agg_combine,
    SERIALFUNC = @extschema@.cmab_agg_serial, DESERIALFUNC = @extschema@.cmab_agg_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cmab_counts_agg(double precision)
IS 'fits a context-free arm state (observations and reward sum) from reward rows';

CREATE AGGREGATE @extschema@.cmab_counts_agg(reward double precision, slot integer, slots integer) (
    SFUNC = @extschema@.cmab_counts_agg_transfn, STYPE = internal, SSPACE = 120,
    FINALFUNC = @extschema@.cmab_agg_final,
    COMBINEFUNC = @extschema@.cmab_agg_combine,
    SERIALFUNC = @extschema@.cmab_agg_serial, DESERIALFUNC = @extschema@.cmab_agg_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cmab_counts_agg(double precision, integer, integer)
IS 'fits a context-free arm state with per-slot (per-cluster) counts';

CREATE FUNCTION @extschema@.cmab_kmeans_agg_transfn(internal, double precision[], integer, bigint)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C;
CREATE FUNCTION @extschema@.cmab_kmeans_agg_final(internal)
RETURNS double precision[] AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.cmab_kmeans_agg_transfn(internal, double precision[], integer, bigint)
IS 'transition function of cmab_kmeans_agg';
COMMENT ON FUNCTION @extschema@.cmab_kmeans_agg_final(internal) IS 'final function of cmab_kmeans_agg';

-- not parallel: k-means needs every context in one place
CREATE AGGREGATE @extschema@.cmab_kmeans_agg(context double precision[], k integer, seed bigint) (
    SFUNC = @extschema@.cmab_kmeans_agg_transfn, STYPE = internal,
    FINALFUNC = @extschema@.cmab_kmeans_agg_final
);
COMMENT ON AGGREGATE @extschema@.cmab_kmeans_agg(double precision[], integer, bigint)
IS 'k-means centroids (k-means++ seeding, 10 seeded restarts) as a k x d array';

--------------------------------------------------------------------------
-- Models: create, arms, fit, recommend, update, evaluate
--------------------------------------------------------------------------

-- internal: the model row, or a clear error
CREATE FUNCTION @extschema@.cmab_model_get(model text)
RETURNS @extschema@.cmab_model
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m @extschema@.cmab_model;
BEGIN
    IF model IS NULL THEN
        RAISE EXCEPTION 'model must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO m FROM @extschema@.cmab_model AS cm WHERE cm.name = model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = 'undefined_object';
    END IF;
    RETURN m;
END
$$;
COMMENT ON FUNCTION @extschema@.cmab_model_get(text) IS 'the registry row of a model (errors if there is none)';

-- internal: the untrained state of an arm of model m
CREATE FUNCTION @extschema@.cmab_model_prior(m @extschema@.cmab_model)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN m.policy IN ('lingreedy', 'linucb', 'lints')
            THEN @extschema@.cmab_state_prior(m.dim, m.l2_lambda)
        WHEN m.policy = 'clusters_ts'
            THEN @extschema@.cmab_counts_prior(m.n_clusters)
        ELSE @extschema@.cmab_counts_prior(1)
    END
$$;
COMMENT ON FUNCTION @extschema@.cmab_model_prior(@extschema@.cmab_model) IS 'the untrained arm state of a model';

CREATE FUNCTION @extschema@.cmab_arm_add(model text, arms text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m @extschema@.cmab_model := @extschema@.cmab_model_get(model);
    dup text;
    next_ord integer;
    added integer;
BEGIN
    IF arms IS NULL THEN
        RAISE EXCEPTION 'arms must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF array_ndims(arms) > 1 THEN
        RAISE EXCEPTION 'arms must be a one-dimensional array' USING ERRCODE = 'array_subscript_error';
    END IF;
    IF array_position(arms, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'arms must not contain null values' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT a INTO dup FROM unnest(arms) AS a GROUP BY a HAVING count(*) > 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'arm "%" is listed more than once', dup USING ERRCODE = 'duplicate_object';
    END IF;
    -- serialise arm registration per model so registration order is well defined
    PERFORM 1 FROM @extschema@.cmab_model AS cm WHERE cm.model_id = m.model_id FOR UPDATE;
    SELECT a.arm INTO dup FROM @extschema@.cmab_arm AS a
     WHERE a.model_id = m.model_id AND a.arm = ANY (arms) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'arm "%" already exists in model "%"', dup, model USING ERRCODE = 'duplicate_object';
    END IF;
    SELECT coalesce(max(a.arm_ord), 0) INTO next_ord FROM @extschema@.cmab_arm AS a
     WHERE a.model_id = m.model_id;
    INSERT INTO @extschema@.cmab_arm (model_id, arm, arm_ord, state)
    SELECT m.model_id, u.arm, next_ord + u.ord::integer, @extschema@.cmab_model_prior(m)
      FROM unnest(arms) WITH ORDINALITY AS u(arm, ord);
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
COMMENT ON FUNCTION @extschema@.cmab_arm_add(text, text[]) IS 'registers new arms (untrained) after the existing ones';

CREATE FUNCTION @extschema@.cmab_arm_remove(model text, arm text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m @extschema@.cmab_model := @extschema@.cmab_model_get(model);
BEGIN
    IF arm IS NULL THEN
        RAISE EXCEPTION 'arm must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    DELETE FROM @extschema@.cmab_arm AS a WHERE a.model_id = m.model_id AND a.arm = cmab_arm_remove.arm;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'arm "%" does not exist in model "%"', arm, model USING ERRCODE = 'undefined_object';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.cmab_arm_remove(text, text) IS 'removes an arm and its state';

CREATE FUNCTION @extschema@.cmab_model_create(
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

CREATE FUNCTION @extschema@.cmab_model_drop(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM @extschema@.cmab_model AS cm
     WHERE cm.model_id = (@extschema@.cmab_model_get(cmab_model_drop.name)).model_id;
END
$$;
COMMENT ON FUNCTION @extschema@.cmab_model_drop(text) IS 'drops a model and all its arms';

CREATE FUNCTION @extschema@.cmab_model_arms(model text)
RETURNS TABLE (arm text, arm_ord integer, n bigint, reward_sum double precision, bytes integer)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.arm, a.arm_ord, i.n, i.reward_sum, i.bytes
      FROM @extschema@.cmab_arm AS a,
           LATERAL @extschema@.cmab_state_info(a.state) AS i
     WHERE a.model_id = (@extschema@.cmab_model_get(model)).model_id
     ORDER BY a.arm_ord
$$;
COMMENT ON FUNCTION @extschema@.cmab_model_arms(text) IS 'the arms of a model in registration order, with what each has learned';

-- Fit: discards what the model learned and fits every arm from the rows of
-- a query whose first three columns are (arm, context, reward).
--
-- The caller's query must resolve names as the caller would, while cmab's
-- own statements must not be redirected by the caller's search_path.  So
-- the work is done by cmab_fit_run() with a pinned search_path, given the
-- caller's search_path by a thin SQL wrapper; it switches to the caller's
-- only for the statement that runs the caller's query, whose own parts are
-- schema-qualified, operators included.
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
CREATE FUNCTION @extschema@.cmab_fit_query(model text, query text, add_arms boolean DEFAULT false)
RETURNS TABLE (arms_fitted integer, rows_used bigint)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM @extschema@.cmab_fit_run(model, query, add_arms,
                                          pg_catalog.current_setting('search_path'))
$$;
COMMENT ON FUNCTION @extschema@.cmab_fit_query(text, text, boolean)
IS 'fits a model from a query returning (arm, context, reward); replaces what it had learned';

CREATE FUNCTION @extschema@.cmab_fit(model text, source regclass,
                                     arm_column name DEFAULT 'arm',
                                     context_column name DEFAULT 'context',
                                     reward_column name DEFAULT 'reward',
                                     add_arms boolean DEFAULT false)
RETURNS TABLE (arms_fitted integer, rows_used bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col name;
BEGIN
    IF source IS NULL OR arm_column IS NULL OR context_column IS NULL OR reward_column IS NULL THEN
        RAISE EXCEPTION 'source and column names must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOREACH col IN ARRAY ARRAY[arm_column, context_column, reward_column] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS att
                        WHERE att.attrelid = source AND att.attname = col
                          AND att.attnum > 0 AND NOT att.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of relation % does not exist', col, source
                USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
    RETURN QUERY SELECT * FROM @extschema@.cmab_fit_query(model,
        format('SELECT %I, %I, %I FROM %s', arm_column, context_column, reward_column, source),
        add_arms);
END
$$;
COMMENT ON FUNCTION @extschema@.cmab_fit(text, regclass, name, name, name, boolean)
IS 'fits a model from a table''s arm, context and reward columns';

-- STABLE: reads the model's rows; for exploring policies without an explicit
-- seed, the draw is seeded from the model seed, the context and the
-- statement start time, so it is constant within a statement.
CREATE FUNCTION @extschema@.cmab_recommend(model text, context double precision[],
                                           k integer DEFAULT 5, exclude text[] DEFAULT NULL,
                                           seed bigint DEFAULT NULL)
RETURNS TABLE (rank integer, arm text, score double precision, expectation double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 5;
COMMENT ON FUNCTION @extschema@.cmab_recommend(text, double precision[], integer, text[], bigint)
IS 'top-k arms of a model for a context: rank, arm, score = sigmoid(expectation), expectation';

-- STABLE for the same reasons as cmab_recommend
CREATE FUNCTION @extschema@.cmab_recommend_batch(model text, contexts double precision[],
                                                 k integer DEFAULT 5, exclude text[] DEFAULT NULL,
                                                 seeds bigint[] DEFAULT NULL)
RETURNS TABLE (item integer, rank integer, arm text, score double precision,
               expectation double precision)
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.cmab_recommend_batch(text, double precision[], integer, text[], bigint[])
IS 'top-k arms for every row of a 2-D array of contexts (item = row number), scored together with BLAS';

-- VOLATILE: writes the arm's row.  The UPDATE locks only that row and
-- recomputes from the newest version, so concurrent updates are never lost
-- and readers never wait.
CREATE FUNCTION @extschema@.cmab_update(model text, arm text, context double precision[],
                                        reward double precision)
RETURNS bigint
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.cmab_update(text, text, double precision[], double precision)
IS 'learns from one event (MABWiser partial_fit); returns the arm''s observation count';

-- Offline evaluation: recommend top-k for every event of a test query
-- (event_id, context, arm, reward) and score the lists against the logged
-- rewards.  Metric definitions: README, "Offline evaluation".  As for fits,
-- a thin SQL wrapper hands the caller's search_path to a worker that runs
-- only the caller's query with it (into a temporary table) and the rest
-- with its own.  VOLATILE because it runs a caller-supplied query.
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

CREATE FUNCTION @extschema@.cmab_evaluate(model text, test_query text, k integer DEFAULT 5,
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
