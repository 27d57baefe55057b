-- The café-pub recommender of the original prototype, as SQL.
--
-- Everything lives in schema "cafe"; every random draw comes from
-- cmab_uniform(seed, stream), so the same seed gives the same data,
-- whatever order rows are evaluated in.  Run through demo.sql.

CREATE SCHEMA cafe;
SET search_path = cafe, public;

-- 1. the catalogue ----------------------------------------------------------
CREATE TABLE menu_item (
    item_id     integer PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL,
    price       numeric(6, 2) NOT NULL,
    category    text NOT NULL,
    is_coffee   boolean NOT NULL
);
\ir catalogue.sql

-- 2. synthetic users --------------------------------------------------------
CREATE TABLE app_user (
    user_id        integer PRIMARY KEY,
    first_name     text NOT NULL,
    last_name      text NOT NULL,
    email          text NOT NULL,
    age            integer NOT NULL,
    gender         text NOT NULL,
    latitude       double precision NOT NULL,
    longitude      double precision NOT NULL,
    traffic_source text NOT NULL
);

CREATE FUNCTION generate_users(seed bigint, n integer DEFAULT 1000)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    f_names text[] := '{Olivia,Charlotte,Amelia,Isla,Mia,Ava,Grace,Chloe,Zoe,Ruby,Sophie,Lily,Ella,Harper,Matilda,Evie,Sienna,Layla,Hannah,Priya}';
    m_names text[] := '{Oliver,Jack,William,Noah,Leo,Thomas,Henry,Lucas,James,Charlie,Liam,Ethan,Max,Harrison,Archie,Samuel,Hugo,Mason,Arjun,Kai}';
    l_names text[] := '{Smith,Jones,Williams,Brown,Wilson,Taylor,Nguyen,Johnson,Martin,White,Anderson,Walker,Thompson,Thomas,Lee,Ryan,Kelly,King,Harris,Campbell,Chen,Singh,Murphy,Clarke,Patel,Russo,Papadopoulos,Robinson,Wright,Mitchell}';
    rows bigint;
BEGIN
    TRUNCATE app_user;
    INSERT INTO app_user
    SELECT g.i, g.first, g.last,
           lower(g.first || '.' || g.last || g.i) || '@example.com',
           16 + floor(cmab_uniform(seed, g.i * 16 + 1) * 55)::integer,
           g.gender,
           -37.8136 + 0.12 * cmab_normal(seed, g.i * 16 + 2),
           144.9631 + 0.16 * cmab_normal(seed, g.i * 16 + 3),
           CASE WHEN g.u < 0.70 THEN 'Search' WHEN g.u < 0.85 THEN 'Organic'
                WHEN g.u < 0.91 THEN 'Facebook' WHEN g.u < 0.96 THEN 'Email'
                ELSE 'Display' END
      FROM (SELECT i, gender, u,
                   CASE gender WHEN 'F' THEN f_names[1 + floor(uf * 20)::integer]
                               ELSE m_names[1 + floor(uf * 20)::integer] END AS first,
                   l_names[1 + floor(ul * 30)::integer] AS last
              FROM (SELECT i,
                           CASE WHEN cmab_uniform(seed, i * 16 + 4) < 0.5 THEN 'F' ELSE 'M' END AS gender,
                           cmab_uniform(seed, i * 16 + 5) AS uf,
                           cmab_uniform(seed, i * 16 + 6) AS ul,
                           cmab_uniform(seed, i * 16 + 7) AS u
                      FROM generate_series(1, n) AS i) AS r) AS g;
    GET DIAGNOSTICS rows = ROW_COUNT;
    RETURN rows;
END $$;

-- 3. feature engineering, with stored artefacts -----------------------------
-- min-max ranges and category lists, fitted once; new users and items are
-- transformed with these same values later.
CREATE TABLE scaler (feature text PRIMARY KEY, min double precision, max double precision);
CREATE TABLE category_list (feature text PRIMARY KEY, categories text[] NOT NULL);
CREATE TABLE text_model (id integer PRIMARY KEY DEFAULT 1, terms text[], idf double precision[],
                         components double precision[]);

CREATE FUNCTION scale(feature text, v double precision) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.max > s.min THEN (v - s.min) / (s.max - s.min) ELSE 0 END
      FROM cafe.scaler AS s WHERE s.feature = scale.feature $$;

CREATE FUNCTION one_hot(feature text, v text) RETURNS double precision[]
LANGUAGE sql STABLE AS $$
    SELECT array_agg((c = v)::integer::double precision ORDER BY o)
      FROM cafe.category_list AS l, unnest(l.categories) WITH ORDINALITY AS u(c, o)
     WHERE l.feature = one_hot.feature $$;

CREATE FUNCTION fit_preprocessing() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE scaler, category_list, text_model;
    INSERT INTO scaler
    SELECT 'age', min(age), max(age) FROM app_user UNION ALL
    SELECT 'latitude', min(latitude), max(latitude) FROM app_user UNION ALL
    SELECT 'longitude', min(longitude), max(longitude) FROM app_user UNION ALL
    SELECT 'price', min(price), max(price) FROM menu_item;
    INSERT INTO category_list
    SELECT 'gender', array_agg(DISTINCT gender ORDER BY gender) FROM app_user UNION ALL
    SELECT 'traffic_source', array_agg(DISTINCT traffic_source ORDER BY traffic_source) FROM app_user UNION ALL
    SELECT 'category', array_agg(DISTINCT category ORDER BY category) FROM menu_item;
    -- TF-IDF of name + description, then a 10-dimensional truncated SVD
    INSERT INTO text_model (terms, idf, components)
    SELECT * FROM cmab_text_model_fit(
        ARRAY(SELECT name || ' ' || description FROM menu_item ORDER BY item_id), 10);
END $$;

-- the 10 user features: age, latitude, longitude scaled; gender and traffic
-- source one-hot (alphabetical)
CREATE FUNCTION user_features(u app_user) RETURNS double precision[]
LANGUAGE sql STABLE AS $$
    SELECT ARRAY[cafe.scale('age', u.age), cafe.scale('latitude', u.latitude),
                 cafe.scale('longitude', u.longitude)]
           || cafe.one_hot('gender', u.gender)
           || cafe.one_hot('traffic_source', u.traffic_source) $$;

CREATE FUNCTION item_embedding(i menu_item) RETURNS double precision[]
LANGUAGE sql STABLE AS $$
    SELECT cmab_text_embed(i.name || ' ' || i.description, t.terms, t.idf, t.components)
      FROM cafe.text_model AS t $$;

CREATE TABLE user_feature AS SELECT NULL::integer AS user_id, NULL::double precision[] AS features WITH NO DATA;
CREATE TABLE item_feature AS
    SELECT NULL::integer AS item_id, NULL::double precision[] AS categories,
           NULL::double precision AS price, NULL::boolean AS is_coffee,
           NULL::double precision[] AS embedding WITH NO DATA;

CREATE FUNCTION build_features() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fit_preprocessing();
    TRUNCATE user_feature, item_feature;
    INSERT INTO user_feature SELECT u.user_id, user_features(u) FROM app_user AS u;
    INSERT INTO item_feature
    SELECT i.item_id, one_hot('category', i.category), scale('price', i.price), i.is_coffee,
           item_embedding(i)
      FROM menu_item AS i;
    RETURN (SELECT count(*) FROM user_feature) + (SELECT count(*) FROM item_feature);
END $$;

-- 4. dynamic context at a timestamp -----------------------------------------
-- is_morning 06-11h, is_afternoon 12-17h, is_evening 18-23h, is_weekend,
-- is_weekday; with the 10 user features this is the d = 15 context.
CREATE FUNCTION time_features(ts timestamp) RETURNS double precision[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[(h BETWEEN 6 AND 11)::integer, (h BETWEEN 12 AND 17)::integer,
                 (h BETWEEN 18 AND 23)::integer, (dow IN (0, 6))::integer,
                 (dow NOT IN (0, 6))::integer]::double precision[]
      FROM (SELECT extract(hour FROM ts)::integer AS h, extract(dow FROM ts)::integer AS dow) AS t $$;

CREATE FUNCTION context(user_id integer, ts timestamp) RETURNS double precision[]
LANGUAGE sql STABLE AS $$
    SELECT f.features || cafe.time_features(ts) FROM cafe.user_feature AS f
     WHERE f.user_id = context.user_id $$;

-- 5. the hidden oracle ------------------------------------------------------
CREATE FUNCTION click_probability(user_id integer, item_id integer, ts timestamp)
RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT cmab_sigmoid(-2.5
        + CASE WHEN t[1] = 1 AND i.is_coffee THEN 2.5 ELSE 0 END
        + CASE WHEN t[4] = 1 AND m.category IN ('Pizzas', 'Burgers & Sandwiches') THEN 1.8 ELSE 0 END
        + CASE WHEN u.features[1] < 0.25 AND i.price > 0.8 THEN -3.0 ELSE 0 END
        + CASE WHEN u.features[10] = 1 THEN 0.5 ELSE 0 END)
      FROM cafe.user_feature AS u, cafe.item_feature AS i, cafe.menu_item AS m,
           cafe.time_features(ts) AS t
     WHERE u.user_id = click_probability.user_id AND i.item_id = click_probability.item_id
       AND m.item_id = click_probability.item_id $$;

-- 6. the simulated log ------------------------------------------------------
CREATE TABLE event_log (
    event_id integer PRIMARY KEY,
    user_id  integer NOT NULL,
    item_id  integer NOT NULL,
    ts       timestamp NOT NULL,
    context  double precision[] NOT NULL,
    click    integer NOT NULL
);

CREATE FUNCTION simulate_log(seed bigint, n integer DEFAULT 10000,
                             start timestamp DEFAULT '2025-03-03 00:00')
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    rate double precision;
BEGIN
    TRUNCATE event_log;
    INSERT INTO event_log
    SELECT e.i, e.user_id, e.item_id, e.ts, context(e.user_id, e.ts),
           (cmab_uniform(seed, e.i * 8 + 4) < click_probability(e.user_id, e.item_id, e.ts))::integer
      FROM (SELECT i,
                   1 + floor(cmab_uniform(seed, i * 8 + 1) * 1000)::integer AS user_id,
                   1 + floor(cmab_uniform(seed, i * 8 + 2) * 200)::integer AS item_id,
                   start + date_trunc('second', cmab_uniform(seed, i * 8 + 3) * interval '90 days') AS ts
              FROM generate_series(1, n) AS i) AS e;
    SELECT avg(click) INTO rate FROM event_log;
    RETURN rate;
END $$;

-- 7. the offline benchmark --------------------------------------------------
CREATE FUNCTION benchmark(seed bigint, n_train integer DEFAULT 8000, k integer DEFAULT 5)
RETURNS TABLE (policy text, auc numeric, ctr numeric, precision_at_k numeric, recall_at_k numeric,
               ndcg_at_k numeric, map_at_k numeric, matched bigint)
LANGUAGE plpgsql AS $$
DECLARE
    p record;
    arms text[] := ARRAY(SELECT item_id::text FROM menu_item ORDER BY item_id);
BEGIN
    FOR p IN SELECT * FROM (VALUES (1, 'Random', 'random'), (2, 'Popularity', 'popularity'),
                                   (3, 'LinGreedy', 'lingreedy'), (4, 'LinUCB', 'linucb'),
                                   (5, 'LinTS', 'lints'), (6, 'ClustersTS', 'clusters_ts')) AS v(o, label, name)
             ORDER BY o
    LOOP
        IF EXISTS (SELECT 1 FROM cmab_model AS cm WHERE cm.name = 'bench_' || p.name) THEN
            PERFORM cmab_model_drop('bench_' || p.name);
        END IF;
        PERFORM cmab_model_create('bench_' || p.name, p.name, dim => 15, arms => arms,
                                  alpha => 1, epsilon => 0.1, l2_lambda => 1, n_clusters => 10,
                                  seed => seed);
        PERFORM cmab_fit_query('bench_' || p.name, format(
            'SELECT item_id, context, click FROM cafe.event_log WHERE event_id <= %s', n_train));
        RETURN QUERY
        SELECT p.label, round(e.auc::numeric, 4), round(e.ctr::numeric, 4),
               round(e.precision_at_k::numeric, 4), round(e.recall_at_k::numeric, 4),
               round(e.ndcg_at_k::numeric, 4), round(e.map_at_k::numeric, 4), e.matched_rows
          FROM cmab_evaluate('bench_' || p.name, format(
                   'SELECT event_id, context, item_id, click FROM cafe.event_log WHERE event_id > %s',
                   n_train), k => k, seed => seed) AS e;
    END LOOP;
END $$;

-- 8. the live loop ----------------------------------------------------------
CREATE FUNCTION live_loop(seed bigint, visits integer DEFAULT 30,
                          start timestamp DEFAULT '2025-06-02 00:00')
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    arms text[] := ARRAY(SELECT item_id::text FROM menu_item ORDER BY item_id);
    v integer;
    uid integer;
    age integer;
    ts timestamp;
    ctx double precision[];
    recs text[];
    clicked text;
    clicks integer := 0;
BEGIN
    IF EXISTS (SELECT 1 FROM cmab_model AS cm WHERE cm.name = 'live') THEN
        PERFORM cmab_model_drop('live');
    END IF;
    PERFORM cmab_model_create('live', 'linucb', dim => 15, arms => arms, alpha => 1, seed => seed);
    PERFORM cmab_fit_query('live', 'SELECT item_id, context, click FROM cafe.event_log');
    FOR v IN 1 .. visits LOOP
        uid := 1 + floor(cmab_uniform(seed, 1000000 + v * 4 + 1) * 1000)::integer;
        ts := start + date_trunc('minute', cmab_uniform(seed, 1000000 + v * 4 + 2) * interval '7 days');
        SELECT u.age INTO age FROM app_user AS u WHERE u.user_id = uid;
        ctx := context(uid, ts);
        recs := ARRAY(SELECT r.arm FROM cmab_recommend('live', ctx, k => 5) AS r ORDER BY r.rank);
        -- the user walks the list in order and clicks the first item the oracle accepts
        SELECT r.arm INTO clicked
          FROM unnest(recs) WITH ORDINALITY AS r(arm, pos)
         WHERE cmab_uniform(seed, 2000000 + v * 8 + r.pos) < click_probability(uid, r.arm::integer, ts)
         ORDER BY r.pos LIMIT 1;
        IF clicked IS NOT NULL THEN
            clicks := clicks + 1;
            PERFORM cmab_update('live', clicked, ctx, 1);
        ELSE
            PERFORM cmab_update('live', recs[1], ctx, 0);
        END IF;
        RETURN NEXT format('User %s (%s yo) @ %s -> Recs: [%s] -> Clicked: %s (%s)',
                           lpad(uid::text, 4, '0'), age, to_char(ts, 'Dy HH24:MI'),
                           (SELECT string_agg(lpad(a, 3, '0'), ', ') FROM unnest(recs) AS a),
                           lpad(coalesce(clicked, recs[1]), 3, '0'),
                           CASE WHEN clicked IS NULL THEN 'no' ELSE 'yes' END);
    END LOOP;
    RETURN NEXT format('Click-through rate: %s of %s visits = %s%%', clicks, visits,
                       round(100.0 * clicks / visits, 1));
END $$;
