-- The main job: the café-pub recommender story, end to end in SQL.
--   psql -v seed=1237 -f demo.sql    (make demo runs this on a throwaway cluster)
\if :{?seed}
\else
\set seed 1237
\endif
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cmab;
\ir cafe.sql
\echo
\echo '== 1. Catalogue: 200 menu items'
SELECT category, count(*) AS items, min(price) AS min_price, max(price) AS max_price,
       count(*) FILTER (WHERE is_coffee) AS coffees
  FROM menu_item GROUP BY category ORDER BY category;

\echo '== 2. 1,000 synthetic users, seed' :seed
SELECT generate_users(:seed) AS users;
SELECT traffic_source, count(*) AS users, round(avg(age), 1) AS avg_age
  FROM app_user GROUP BY traffic_source ORDER BY count(*) DESC;
SELECT user_id, first_name, last_name, email, age, gender,
       round(latitude::numeric, 4) AS lat, round(longitude::numeric, 4) AS lon, traffic_source
  FROM app_user ORDER BY user_id LIMIT 3;

\echo '== 3. Features: one-hot, min-max scaling, TF-IDF + SVD text embedding (stored artefacts)'
SELECT build_features() AS rows_transformed;
SELECT feature, min, max FROM scaler ORDER BY feature;
SELECT cardinality(terms) AS vocabulary, array_length(components, 2) AS embedding_dim FROM text_model;
SELECT i.item_id, m.name, array(SELECT round(e::numeric, 3) FROM unnest(i.embedding[1:4]) AS e) AS embedding_head
  FROM item_feature AS i JOIN menu_item AS m USING (item_id) ORDER BY item_id LIMIT 3;

\echo '== 4. Context of user 1 on a Saturday morning (10 user + 5 time features)'
SELECT array(SELECT round(c::numeric, 3) FROM unnest(context(1, '2025-03-08 09:30')) AS c) AS context;

\echo '== 5. The hidden oracle: click probability of user 1 for a flat white and a pizza'
SELECT m.name, to_char(t.ts, 'Dy HH24:MI') AS at, round(click_probability(1, m.item_id, t.ts)::numeric, 3) AS p_click
  FROM menu_item AS m,
       (VALUES ('2025-03-04 08:00'::timestamp), ('2025-03-08 19:00')) AS t(ts)
 WHERE m.name IN ('Flat White', 'Margherita Pizza')
 ORDER BY m.item_id, t.ts;

\echo '== 6. Simulated log: 10,000 visits, random user x item x time, clicks from the oracle'
SELECT round(100 * simulate_log(:seed)::numeric, 2) AS click_rate_pct;

\echo '== 7. Offline benchmark: train on events 1-8000, test on 8001-10000, top-5'
\echo '   (AUC and CTR are over the matched rows only: test events whose logged item is in the'
\echo '    top 5, a few dozen of 2,000, so they are noisy; precision .. MAP average over clicked users)'
SELECT * FROM benchmark(:seed);

\echo '== 8. Live loop: LinUCB pre-trained on the log, 30 visits, one cmab_update each'
SELECT line AS "live loop" FROM live_loop(:seed) AS line;
