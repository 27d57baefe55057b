-- MABWiser 2.7.4's own deterministic test cases (LinUCB, LinGreedy with
-- epsilon = 0, the ridge model), values copied from its test suite.
-- Each check prints the value rounded and whether it is within tolerance.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS cmab CASCADE;
CREATE EXTENSION cmab;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;
CREATE TEMP TABLE steps (model text, step int, arm text, context float8[], reward float8);
CREATE FUNCTION expect(model text, ctx float8[], want float8[], tol float8 DEFAULT 1e-9)
RETURNS TABLE (arm text, expectation numeric, ok boolean) LANGUAGE sql AS $$
  SELECT r.arm, round(r.expectation::numeric, 6), abs(r.expectation - want[a.arm_ord]) <= tol
    FROM cmab_recommend(model, ctx, k => 1000) r
    JOIN cmab_arm a ON a.arm = r.arm AND a.model_id = (SELECT model_id FROM cmab_model WHERE name = model)
   ORDER BY a.arm_ord $$;
CREATE FUNCTION beta_ok(model text, arm text, want float8[], tol float8)
RETURNS TABLE (beta numeric[], ok boolean) LANGUAGE sql AS $$
  SELECT (SELECT array_agg(round(b::numeric, 6)) FROM unnest(s) b),
         (SELECT bool_and(abs(b - w) <= tol) FROM unnest(s, want) AS u(b, w))
    FROM (SELECT cmab_state_beta(a.state) AS s FROM cmab_arm a
           WHERE a.arm = beta_ok.arm AND a.model_id = (SELECT model_id FROM cmab_model WHERE name = model)) q $$;


-- linucb_alpha0_expectations: alpha=0 -> pure ridge prediction x.beta; arm 2 has all-zero rewards so its beta=0 -> expectation 0
SELECT cmab_model_create('linucb_alpha0_expectations', 'linucb', dim => 5, arms => ARRAY['1','2','3'], alpha => 0.0, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('linucb_alpha0_expectations', 1, '1', '{0,1,2,3,5}'::float8[], 0.0),
  ('linucb_alpha0_expectations', 1, '1', '{1,1,1,1,1}'::float8[], 0.0),
  ('linucb_alpha0_expectations', 1, '1', '{0,0,1,0,0}'::float8[], 0.0),
  ('linucb_alpha0_expectations', 1, '2', '{0,2,2,3,5}'::float8[], 0.0),
  ('linucb_alpha0_expectations', 1, '2', '{1,3,1,1,1}'::float8[], 0.0),
  ('linucb_alpha0_expectations', 1, '2', '{0,0,0,0,0}'::float8[], 0.0),
  ('linucb_alpha0_expectations', 1, '3', '{0,1,4,3,5}'::float8[], 1.0),
  ('linucb_alpha0_expectations', 1, '3', '{0,1,2,4,5}'::float8[], 1.0),
  ('linucb_alpha0_expectations', 1, '3', '{1,2,1,1,3}'::float8[], 1.0),
  ('linucb_alpha0_expectations', 1, '1', '{0,2,1,0,0}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('linucb_alpha0_expectations', $$SELECT arm, context, reward FROM steps WHERE model = 'linucb_alpha0_expectations' AND step = 1$$);
SELECT * FROM expect('linucb_alpha0_expectations', '{0,1,2,3,5}'::float8[], '{-0.018378378378378413,0,0.9966292134831471}'::float8[]);
SELECT * FROM expect('linucb_alpha0_expectations', '{1,1,1,1,1}'::float8[], '{0.14054054054054055,0,0.43258426966292074}'::float8[]);
SELECT arm, arm = '3' AS ok FROM cmab_recommend('linucb_alpha0_expectations', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = '3' AS ok FROM cmab_recommend('linucb_alpha0_expectations', '{1,1,1,1,1}'::float8[], k => 1);

-- linucb_alpha1_expectations
SELECT cmab_model_create('linucb_alpha1_expectations', 'linucb', dim => 5, arms => ARRAY['1','2','3'], alpha => 1.0, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('linucb_alpha1_expectations', 1, '1', '{0,1,2,3,5}'::float8[], 0.0),
  ('linucb_alpha1_expectations', 1, '1', '{1,1,1,1,1}'::float8[], 0.0),
  ('linucb_alpha1_expectations', 1, '1', '{0,0,1,0,0}'::float8[], 1.0),
  ('linucb_alpha1_expectations', 1, '2', '{0,2,2,3,5}'::float8[], 0.0),
  ('linucb_alpha1_expectations', 1, '2', '{1,3,1,1,1}'::float8[], 0.0),
  ('linucb_alpha1_expectations', 1, '3', '{0,0,0,0,0}'::float8[], 0.0),
  ('linucb_alpha1_expectations', 1, '3', '{0,1,4,3,5}'::float8[], 0.0),
  ('linucb_alpha1_expectations', 1, '3', '{0,1,2,4,5}'::float8[], 1.0),
  ('linucb_alpha1_expectations', 1, '3', '{1,2,1,1,3}'::float8[], 1.0),
  ('linucb_alpha1_expectations', 1, '3', '{0,2,1,0,0}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('linucb_alpha1_expectations', $$SELECT arm, context, reward FROM steps WHERE model = 'linucb_alpha1_expectations' AND step = 1$$);
SELECT * FROM expect('linucb_alpha1_expectations', '{0,1,2,3,5}'::float8[], '{0.9790312458954391,1.1617706239438832,1.4247056229871702}'::float8[]);
SELECT * FROM expect('linucb_alpha1_expectations', '{1,1,1,1,1}'::float8[], '{0.8896475809353053,0.923364043088837,1.457085577251709}'::float8[]);
SELECT arm, arm = '3' AS ok FROM cmab_recommend('linucb_alpha1_expectations', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = '3' AS ok FROM cmab_recommend('linucb_alpha1_expectations', '{1,1,1,1,1}'::float8[], k => 1);

-- linucb_unused_arm: arm 4 never observed: A=l2*I, beta=0 -> score = alpha*||x|| (sqrt(39)=6.2450, sqrt(5)=2.2361); it wins the argmax
SELECT cmab_model_create('linucb_unused_arm', 'linucb', dim => 5, arms => ARRAY['1','2','3','4'], alpha => 1.0, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('linucb_unused_arm', 1, '1', '{0,1,2,3,5}'::float8[], 0.0),
  ('linucb_unused_arm', 1, '1', '{1,1,1,1,1}'::float8[], 0.0),
  ('linucb_unused_arm', 1, '1', '{0,0,1,0,0}'::float8[], 1.0),
  ('linucb_unused_arm', 1, '2', '{0,2,2,3,5}'::float8[], 0.0),
  ('linucb_unused_arm', 1, '2', '{1,3,1,1,1}'::float8[], 0.0),
  ('linucb_unused_arm', 1, '3', '{0,0,0,0,0}'::float8[], 0.0),
  ('linucb_unused_arm', 1, '3', '{0,1,4,3,5}'::float8[], 0.0),
  ('linucb_unused_arm', 1, '3', '{0,1,2,4,5}'::float8[], 1.0),
  ('linucb_unused_arm', 1, '3', '{1,2,1,1,3}'::float8[], 1.0),
  ('linucb_unused_arm', 1, '3', '{0,2,1,0,0}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('linucb_unused_arm', $$SELECT arm, context, reward FROM steps WHERE model = 'linucb_unused_arm' AND step = 1$$);
SELECT * FROM expect('linucb_unused_arm', '{0,1,2,3,5}'::float8[], '{0.9790312458954391,1.1617706239438832,1.4247056229871702,6.244997998398398}'::float8[]);
SELECT * FROM expect('linucb_unused_arm', '{1,1,1,1,1}'::float8[], '{0.8896475809353053,0.923364043088837,1.457085577251709,2.23606797749979}'::float8[]);
SELECT arm, arm = '4' AS ok FROM cmab_recommend('linucb_unused_arm', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = '4' AS ok FROM cmab_recommend('linucb_unused_arm', '{1,1,1,1,1}'::float8[], k => 1);

-- linucb_t1_alpha0.24
SELECT cmab_model_create('linucb_t1_alpha0.24', 'linucb', dim => 5, arms => ARRAY['1','2','3'], alpha => 0.24, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('linucb_t1_alpha0.24', 1, '1', '{0,1,2,3,5}'::float8[], 0.0),
  ('linucb_t1_alpha0.24', 1, '1', '{1,1,1,1,1}'::float8[], 1.0),
  ('linucb_t1_alpha0.24', 1, '1', '{0,0,1,0,0}'::float8[], 1.0),
  ('linucb_t1_alpha0.24', 1, '3', '{0,2,2,3,5}'::float8[], 0.0),
  ('linucb_t1_alpha0.24', 1, '2', '{1,3,1,1,1}'::float8[], 1.0),
  ('linucb_t1_alpha0.24', 1, '2', '{0,0,0,0,0}'::float8[], 0.0),
  ('linucb_t1_alpha0.24', 1, '3', '{0,1,4,3,5}'::float8[], 1.0),
  ('linucb_t1_alpha0.24', 1, '1', '{0,1,2,4,5}'::float8[], 1.0),
  ('linucb_t1_alpha0.24', 1, '3', '{1,2,1,1,3}'::float8[], 1.0),
  ('linucb_t1_alpha0.24', 1, '1', '{0,2,1,0,0}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('linucb_t1_alpha0.24', $$SELECT arm, context, reward FROM steps WHERE model = 'linucb_t1_alpha0.24' AND step = 1$$);
SELECT arm, arm = '2' AS ok FROM cmab_recommend('linucb_t1_alpha0.24', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = '1' AS ok FROM cmab_recommend('linucb_t1_alpha0.24', '{1,1,1,1,1}'::float8[], k => 1);

-- linucb_t6_string_arms_alpha1.25
SELECT cmab_model_create('linucb_t6_string_arms_alpha1.25', 'linucb', dim => 5, arms => ARRAY['one','two','three'], alpha => 1.25, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('linucb_t6_string_arms_alpha1.25', 1, 'one', '{0,1,2,3,5}'::float8[], 2.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'one', '{1,1,1,1,1}'::float8[], 7.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'one', '{0,0,1,0,0}'::float8[], 7.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'three', '{0,2,2,3,5}'::float8[], 9.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'two', '{1,3,1,1,1}'::float8[], 1.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'two', '{0,0,0,0,0}'::float8[], 3.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'three', '{0,1,4,3,5}'::float8[], 1.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'one', '{0,1,2,4,5}'::float8[], 2.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'three', '{1,2,1,1,3}'::float8[], 6.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'two', '{0,2,1,0,0}'::float8[], 4.0),
  ('linucb_t6_string_arms_alpha1.25', 1, 'one', '{0,1,4,3,5}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('linucb_t6_string_arms_alpha1.25', $$SELECT arm, context, reward FROM steps WHERE model = 'linucb_t6_string_arms_alpha1.25' AND step = 1$$);
SELECT arm, arm = 'three' AS ok FROM cmab_recommend('linucb_t6_string_arms_alpha1.25', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = 'one' AS ok FROM cmab_recommend('linucb_t6_string_arms_alpha1.25', '{1,1,1,1,1}'::float8[], k => 1);

-- linucb_partial_fit_accumulates: partial_fit() adds X^T X and X^T y to the existing per-arm A and b
SELECT cmab_model_create('linucb_partial_fit_accumulates', 'linucb', dim => 5, arms => ARRAY['1','2','3','4'], alpha => 1.0, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('linucb_partial_fit_accumulates', 1, '1', '{0,1,2,3,5}'::float8[], 0.0),
  ('linucb_partial_fit_accumulates', 1, '1', '{1,1,1,1,1}'::float8[], 0.0),
  ('linucb_partial_fit_accumulates', 1, '1', '{0,0,1,0,0}'::float8[], 1.0),
  ('linucb_partial_fit_accumulates', 1, '2', '{0,2,2,3,5}'::float8[], 0.0),
  ('linucb_partial_fit_accumulates', 1, '2', '{1,3,1,1,1}'::float8[], 0.0),
  ('linucb_partial_fit_accumulates', 1, '3', '{0,0,0,0,0}'::float8[], 0.0),
  ('linucb_partial_fit_accumulates', 1, '3', '{0,1,4,3,5}'::float8[], 0.0),
  ('linucb_partial_fit_accumulates', 1, '3', '{0,1,2,4,5}'::float8[], 1.0),
  ('linucb_partial_fit_accumulates', 1, '3', '{1,2,1,1,3}'::float8[], 1.0),
  ('linucb_partial_fit_accumulates', 1, '3', '{0,2,1,0,0}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('linucb_partial_fit_accumulates', $$SELECT arm, context, reward FROM steps WHERE model = 'linucb_partial_fit_accumulates' AND step = 1$$);
SELECT arm, arm = '4' AS ok FROM cmab_recommend('linucb_partial_fit_accumulates', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = '4' AS ok FROM cmab_recommend('linucb_partial_fit_accumulates', '{1,1,1,1,1}'::float8[], k => 1);
SELECT round((cmab_state_beta(a.state))[1]::numeric, 6) AS beta1, abs((cmab_state_beta(a.state))[1] - -0.0825688) <= 1e-05 AS ok FROM cmab_arm a JOIN cmab_model m USING (model_id) WHERE m.name = 'linucb_partial_fit_accumulates' AND a.arm = '1';
SELECT round((cmab_state_beta(a.state))[1]::numeric, 6) AS beta1, abs((cmab_state_beta(a.state))[1] - 0.023696) <= 1e-05 AS ok FROM cmab_arm a JOIN cmab_model m USING (model_id) WHERE m.name = 'linucb_partial_fit_accumulates' AND a.arm = '3';
INSERT INTO steps VALUES
  ('linucb_partial_fit_accumulates', 2, '1', '{0,1,1,1,1}'::float8[], 0.0),
  ('linucb_partial_fit_accumulates', 2, '3', '{1,1,1,1,1}'::float8[], 1.0),
  ('linucb_partial_fit_accumulates', 2, '4', '{0,0,1,0,0}'::float8[], 1.0);
SELECT cmab_update(s.model, s.arm, s.context, s.reward) FROM steps s WHERE s.model = 'linucb_partial_fit_accumulates' AND s.step = 2 ORDER BY s.arm;
SELECT round((cmab_state_beta(a.state))[1]::numeric, 6) AS beta1, abs((cmab_state_beta(a.state))[1] - -0.05142857) <= 1e-05 AS ok FROM cmab_arm a JOIN cmab_model m USING (model_id) WHERE m.name = 'linucb_partial_fit_accumulates' AND a.arm = '1';
SELECT round((cmab_state_beta(a.state))[1]::numeric, 6) AS beta1, abs((cmab_state_beta(a.state))[1] - 0.22099152) <= 1e-05 AS ok FROM cmab_arm a JOIN cmab_model m USING (model_id) WHERE m.name = 'linucb_partial_fit_accumulates' AND a.arm = '3';
SELECT round((cmab_state_beta(a.state))[1]::numeric, 6) AS beta1, abs((cmab_state_beta(a.state))[1] - 0.0) <= 1e-05 AS ok FROM cmab_arm a JOIN cmab_model m USING (model_id) WHERE m.name = 'linucb_partial_fit_accumulates' AND a.arm = '4';

-- ridge_fit_beta_and_untrained_arm: arm 0 gets no data -> UCB term alpha*||x|| dominates -> predicted for both contexts
SELECT cmab_model_create('ridge_fit_beta_and_untrained_arm', 'linucb', dim => 5, arms => ARRAY['0','1'], alpha => 1.0, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('ridge_fit_beta_and_untrained_arm', 1, '1', '{1,0,2,1,1}'::float8[], 3.0),
  ('ridge_fit_beta_and_untrained_arm', 1, '1', '{3,1,2,3,4}'::float8[], 3.0),
  ('ridge_fit_beta_and_untrained_arm', 1, '1', '{2,-1,1,0,2}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('ridge_fit_beta_and_untrained_arm', $$SELECT arm, context, reward FROM steps WHERE model = 'ridge_fit_beta_and_untrained_arm' AND step = 1$$);
SELECT arm, arm = '0' AS ok FROM cmab_recommend('ridge_fit_beta_and_untrained_arm', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = '0' AS ok FROM cmab_recommend('ridge_fit_beta_and_untrained_arm', '{1,1,1,1,1}'::float8[], k => 1);
SELECT * FROM beta_ok('ridge_fit_beta_and_untrained_arm', '1', '{0.09161491,0.00310559,0.97515528,0.32142857,-0.02018634}'::float8[], 1e-08);
INSERT INTO steps VALUES
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{1,0,2,1,1}'::float8[], 3.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{3,1,2,3,4}'::float8[], 3.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{2,-1,1,0,2}'::float8[], 1.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{-1,4,2,0,1}'::float8[], 0.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{2,2,2,2,2}'::float8[], -1.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{3,2,1,2,3}'::float8[], 2.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{0,0,0,0,0}'::float8[], 1.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{2,1,1,1,2}'::float8[], 2.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{3,2,3,2,3}'::float8[], 1.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{8,2,3,1,0}'::float8[], 1.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{1,2,-9,-7,1}'::float8[], 0.0),
  ('ridge_fit_beta_and_untrained_arm', 2, '1', '{0,1,1,1,1}'::float8[], 3.0);
SELECT * FROM cmab_fit_query('ridge_fit_beta_and_untrained_arm', $$SELECT arm, context, reward FROM steps WHERE model = 'ridge_fit_beta_and_untrained_arm' AND step = 2$$);
SELECT arm, arm = '0' AS ok FROM cmab_recommend('ridge_fit_beta_and_untrained_arm', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = '0' AS ok FROM cmab_recommend('ridge_fit_beta_and_untrained_arm', '{1,1,1,1,1}'::float8[], k => 1);
SELECT * FROM beta_ok('ridge_fit_beta_and_untrained_arm', '1', '{0.09927202,-0.17141953,0.09091367,-0.03705452,0.59027579}'::float8[], 1e-08);

-- ridge_l2_lambda_0.1: QUIRK: mabwiser initialises an untrained arm with A = l2*I and A_inv = A.copy() = l2*I (not 1/l2*I). Untrained arm 0 scores alpha*sqrt(l2*||x||^2) = 1.9748 / 0.7071 vs arm 1 = 11.8219 / 1.7385 -> [1,1]. A textbook LinUCB (A_inv=I/l2) scores arm 0 19.7484 / 7.0711 and predicts [0,0]. Identical for l2=1. beta of arm 1 is convention-free.
SELECT cmab_model_create('ridge_l2_lambda_0.1', 'linucb', dim => 5, arms => ARRAY['0','1'], alpha => 1.0, l2_lambda => 0.1) > 0 AS created;
INSERT INTO steps VALUES
  ('ridge_l2_lambda_0.1', 1, '1', '{1,1,0,0,1}'::float8[], 3.0),
  ('ridge_l2_lambda_0.1', 1, '1', '{0,1,2,9,4}'::float8[], 2.0),
  ('ridge_l2_lambda_0.1', 1, '1', '{2,3,1,0,2}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('ridge_l2_lambda_0.1', $$SELECT arm, context, reward FROM steps WHERE model = 'ridge_l2_lambda_0.1' AND step = 1$$);
-- MABWiser initialises an untrained arm's inverse as l2_lambda I (its quirk);
-- cmab uses the textbook I / l2_lambda, so arm 0 scores sqrt(39 / 0.1) and
-- sqrt(5 / 0.1) and wins where MABWiser predicts arm 1 (identical at l2_lambda = 1).
SELECT * FROM expect('ridge_l2_lambda_0.1', '{0,1,2,3,5}'::float8[], '{19.7484176581315,11.8219}'::float8[], 1e-4);
SELECT * FROM expect('ridge_l2_lambda_0.1', '{1,1,1,1,1}'::float8[], '{7.07106781186548,1.7385}'::float8[], 1e-4);
SELECT * FROM beta_ok('ridge_l2_lambda_0.1', '1', '{1.59499705,-0.91856183,-2.49775977,0.14219195,1.65819347}'::float8[], 1e-08);

-- ridge_partial_vs_batch_equivalence: property: fit(all rows) == fit(first 3) + partial_fit(last 3), for A_inv, Xty and beta of every arm. Expected beta values computed.
SELECT cmab_model_create('ridge_partial_vs_batch_equivalence', 'linucb', dim => 5, arms => ARRAY['0','1'], alpha => 1.0, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('ridge_partial_vs_batch_equivalence', 1, '1', '{1,0,0,0,1}'::float8[], 0.0),
  ('ridge_partial_vs_batch_equivalence', 1, '1', '{0,1,2,3,4}'::float8[], 1.0),
  ('ridge_partial_vs_batch_equivalence', 1, '1', '{2,0,1,0,2}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('ridge_partial_vs_batch_equivalence', $$SELECT arm, context, reward FROM steps WHERE model = 'ridge_partial_vs_batch_equivalence' AND step = 1$$);
INSERT INTO steps VALUES
  ('ridge_partial_vs_batch_equivalence', 2, '0', '{2,1,2,1,2}'::float8[], 0.0),
  ('ridge_partial_vs_batch_equivalence', 2, '0', '{3,3,3,2,1}'::float8[], 1.0),
  ('ridge_partial_vs_batch_equivalence', 2, '1', '{1,1,1,1,1}'::float8[], 0.0);
SELECT cmab_update(s.model, s.arm, s.context, s.reward) FROM steps s WHERE s.model = 'ridge_partial_vs_batch_equivalence' AND s.step = 2 ORDER BY s.arm;
SELECT cmab_model_create('ridge_partial_vs_batch_equivalence_batch', 'linucb', dim => 5, arms => ARRAY['0','1'], alpha => 1.0, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('ridge_partial_vs_batch_equivalence_batch', 3, '1', '{1,0,0,0,1}'::float8[], 0.0),
  ('ridge_partial_vs_batch_equivalence_batch', 3, '1', '{0,1,2,3,4}'::float8[], 1.0),
  ('ridge_partial_vs_batch_equivalence_batch', 3, '1', '{2,0,1,0,2}'::float8[], 1.0),
  ('ridge_partial_vs_batch_equivalence_batch', 3, '0', '{2,1,2,1,2}'::float8[], 0.0),
  ('ridge_partial_vs_batch_equivalence_batch', 3, '0', '{3,3,3,2,1}'::float8[], 1.0),
  ('ridge_partial_vs_batch_equivalence_batch', 3, '1', '{1,1,1,1,1}'::float8[], 0.0);
SELECT * FROM cmab_fit_query('ridge_partial_vs_batch_equivalence_batch', $$SELECT arm, context, reward FROM steps WHERE model = 'ridge_partial_vs_batch_equivalence_batch'$$);
SELECT * FROM beta_ok('ridge_partial_vs_batch_equivalence', '0', '{0.052238805970148766,0.19402985074626913,0.052238805970149876,0.08208955223880622,-0.17164179104477623}'::float8[], 1e-9);
SELECT * FROM beta_ok('ridge_partial_vs_batch_equivalence_batch', '0', '{0.052238805970148766,0.19402985074626913,0.052238805970149876,0.08208955223880622,-0.17164179104477623}'::float8[], 1e-9);
SELECT * FROM beta_ok('ridge_partial_vs_batch_equivalence', '1', '{0.0397643593519883,-0.16494845360824656,0.15758468335787862,-0.06185567010309273,0.24594992636229773}'::float8[], 1e-9);
SELECT * FROM beta_ok('ridge_partial_vs_batch_equivalence_batch', '1', '{0.0397643593519883,-0.16494845360824656,0.15758468335787862,-0.06185567010309273,0.24594992636229773}'::float8[], 1e-9);

-- lingreedy_eps0_equals_linucb_alpha0: LinGreedy(epsilon=0) == ridge regression greedy == LinUCB(alpha=0) (same numbers as linucb_alpha0_expectations)
SELECT cmab_model_create('lingreedy_eps0_equals_linucb_alpha0', 'lingreedy', dim => 5, arms => ARRAY['1','2','3'], epsilon => 0.0, l2_lambda => 1.0) > 0 AS created;
INSERT INTO steps VALUES
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '1', '{0,1,2,3,5}'::float8[], 0.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '1', '{1,1,1,1,1}'::float8[], 0.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '1', '{0,0,1,0,0}'::float8[], 0.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '2', '{0,2,2,3,5}'::float8[], 0.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '2', '{1,3,1,1,1}'::float8[], 0.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '2', '{0,0,0,0,0}'::float8[], 0.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '3', '{0,1,4,3,5}'::float8[], 1.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '3', '{0,1,2,4,5}'::float8[], 1.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '3', '{1,2,1,1,3}'::float8[], 1.0),
  ('lingreedy_eps0_equals_linucb_alpha0', 1, '1', '{0,2,1,0,0}'::float8[], 1.0);
SELECT * FROM cmab_fit_query('lingreedy_eps0_equals_linucb_alpha0', $$SELECT arm, context, reward FROM steps WHERE model = 'lingreedy_eps0_equals_linucb_alpha0' AND step = 1$$);
SELECT * FROM expect('lingreedy_eps0_equals_linucb_alpha0', '{0,1,2,3,5}'::float8[], '{-0.018378378378378413,0,0.9966292134831471}'::float8[]);
SELECT * FROM expect('lingreedy_eps0_equals_linucb_alpha0', '{1,1,1,1,1}'::float8[], '{0.14054054054054055,0,0.43258426966292074}'::float8[]);
SELECT arm, arm = '3' AS ok FROM cmab_recommend('lingreedy_eps0_equals_linucb_alpha0', '{0,1,2,3,5}'::float8[], k => 1);
SELECT arm, arm = '3' AS ok FROM cmab_recommend('lingreedy_eps0_equals_linucb_alpha0', '{1,1,1,1,1}'::float8[], k => 1);

-- l2_lambda = 0 (ordinary least squares, case ridge_l2_lambda_0_ols) is
-- refused: an untrained arm's A = 0 has no inverse.
SELECT cmab_model_create('ols', 'linucb', dim => 5, l2_lambda => 0);

